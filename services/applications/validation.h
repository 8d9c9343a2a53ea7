// Field rules for organisations and applications, apart from storage so
// they can be tested directly. Each adds violations under `prefix`.
#ifndef GRANTFLOW_SERVICES_APPLICATIONS_VALIDATION_H_
#define GRANTFLOW_SERVICES_APPLICATIONS_VALIDATION_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grantflow/applications/v1/applications.pb.h"
#include "grantflow/programmes/v1/programmes.pb.h"
#include "platform/equality.h"
#include "platform/errors.h"
#include "platform/london.h"

namespace grantflow::applications {

namespace pb = ::grantflow::applications::v1;

// England & Wales charity numbers: 6 or 7 digits.
bool IsCharityNumber(absl::string_view s);
// Companies House numbers: 8 digits, or 2 capital letters and 6 digits.
bool IsCompanyNumber(absl::string_view s);
bool IsUkPostcode(absl::string_view s);
bool IsEmail(absl::string_view s);

void ValidateOrganisation(const pb::Organisation& org,
                          const std::string& prefix, errors::Violations* v);

// Rewrites member_users and signatory_users in canonical form
// (auth::CanonicalUser); names that have none are left for
// ValidateOrganisation to report.
void CanonicaliseUsers(pb::Organisation* org);

// Checks the fields a draft has, allowing missing ones. When `round` is
// non-null, the amount is checked against its limits.
void ValidateDraft(const pb::Application& app,
                   const programmes::v1::Round* round,
                   const std::string& prefix, errors::Violations* v);

// Checks that a draft is complete enough to submit on `today`: adds one
// violation per missing or inconsistent field.
void CheckComplete(const pb::Application& app,
                   const programmes::v1::Round& round, absl::Time now,
                   const std::string& prefix, errors::Violations* v);

// Answers drawn from platform's EqualityCategories(), each at most once.
void ValidateEqualityMonitoring(const pb::EqualityMonitoring& em,
                                const std::string& prefix,
                                errors::Violations* v);

}  // namespace grantflow::applications

#endif  // GRANTFLOW_SERVICES_APPLICATIONS_VALIDATION_H_
