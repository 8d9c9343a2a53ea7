// A funding agreement's terms, apart from storage: defaults from the
// application and the fund's template, validation field by field, shares
// resolved to pence, and the rendered document signatures bind to. Pure
// functions; thread-safe.
#ifndef GRANTFLOW_SERVICES_AGREEMENTS_TERMS_H_
#define GRANTFLOW_SERVICES_AGREEMENTS_TERMS_H_

#include <string>

#include "absl/time/time.h"
#include "grantflow/agreements/v1/agreements.pb.h"
#include "grantflow/applications/v1/applications.pb.h"
#include "grantflow/workflow/v1/workflow.pb.h"
#include "platform/errors.h"

namespace grantflow::agreements {

namespace pb = ::grantflow::agreements::v1;

inline constexpr int kMaxInstalments = 24;
inline constexpr int kMaxReports = 12;
inline constexpr int kMaxIndicators = 20;
inline constexpr int32_t kWholeBp = 10'000;

// Fills what `terms` leaves out: the maximum is the award; purpose, dates
// from the application; one instalment of everything on execution; a final
// report a month after the end date; each report asks the template's
// indicators besides its own.
void FillDefaults(const applications::v1::Application& app,
                  const pb::AgreementTemplate& tmpl, int64_t award_pence,
                  pb::Terms* terms);

// Adds a violation per bad field of `terms` (named under `field`): the
// maximum within 1p..`award_pence`, dates real and in order, instalments
// each an amount or a share, due in one way, adding up exactly to the
// maximum, reports unique with exactly one final. Resolves each
// instalment's resolved_pence when the amounts are valid.
void ValidateTerms(int64_t award_pence, const std::string& field,
                   pb::Terms* terms, errors::Violations* v);

// For a variation: every payment made or authorised keeps its instalment
// at no less than its amount.
void CheckPaymentsKept(const workflow::v1::Case& c, const pb::Terms& terms,
                       const std::string& field, errors::Violations* v);

// The instant a YYYY-MM-DD date ends (midnight UTC after it).
absl::Time EndOfDay(const std::string& date);

// The document for `version` of `a` under `tmpl`, as plain text (what the
// SHA-256 is of) or HTML (the same words, with the text's hash in its
// footer).
std::string RenderText(const pb::Agreement& a, const pb::Version& version,
                       const pb::AgreementTemplate& tmpl);
std::string RenderHtml(const pb::Agreement& a, const pb::Version& version,
                       const pb::AgreementTemplate& tmpl,
                       const std::string& text_sha256);

// The engine's schedule and reports for executing `terms`.
workflow::v1::FactPayload ExecutionPayload(const pb::Terms& terms);

}  // namespace grantflow::agreements

#endif  // GRANTFLOW_SERVICES_AGREEMENTS_TERMS_H_
