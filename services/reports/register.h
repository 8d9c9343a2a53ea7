// The grant register and 360Giving open data, as plain functions of the
// records ReportService gathers: no gRPC and no storage, so each rule of the
// formats is testable alone.
#ifndef GRANTFLOW_SERVICES_REPORTS_REGISTER_H_
#define GRANTFLOW_SERVICES_REPORTS_REGISTER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grantflow/applications/v1/applications.pb.h"
#include "grantflow/awards/v1/awards.pb.h"
#include "grantflow/programmes/v1/programmes.pb.h"
#include "grantflow/reports/v1/reports.pb.h"
#include "grantflow/workflow/v1/workflow.pb.h"
#include "nlohmann/json.hpp"

namespace grantflow::reports {

namespace pb = ::grantflow::reports::v1;

// What one grant's record is made of; each part from the service that owns
// it. `award` is null when AwardService has no record (the award was
// recorded at the engine directly): the record then has no award or
// publication date.
struct GrantParts {
  const workflow::v1::Case* kase = nullptr;
  const awards::v1::Award* award = nullptr;
  const applications::v1::Application* application = nullptr;
  const applications::v1::Organisation* organisation = nullptr;
  std::string round_title = "";
};

// The register's record of an awarded grant. `prefix` is the publisher's
// 360Giving prefix (for recipients registered with neither the Charity
// Commission nor Companies House).
pb::GrantRecord MakeGrantRecord(const GrantParts& parts,
                                absl::string_view prefix);

// The organisation in org-id.guide form: GB-CHC-{charity number} (England
// and Wales), else GB-COH-{company number}, else {prefix}-{organisation id}.
std::string OrgId(const applications::v1::Organisation& org,
                  absl::string_view prefix);

// The register as CSV (a header, one row per grant in the order given, and
// a totals row), amounts in pounds with two decimals.
std::string GrantRegisterCsv(const std::vector<pb::GrantRecord>& grants);

// True when `g` may be published at `now`: its publication date has come.
bool PublicationDue(const pb::GrantRecord& g, absl::Time now);

// One grant in 360Giving form (standard 1.4) under the fund's funder.
nlohmann::json Grant360(const pb::GrantRecord& g,
                        const programmes::v1::Fund& fund,
                        absl::string_view prefix);

// The 360Giving data package of `grants` issued at `now`.
nlohmann::json Package360(const programmes::v1::Fund& fund,
                          nlohmann::json grants, absl::Time now);

}  // namespace grantflow::reports

#endif  // GRANTFLOW_SERVICES_REPORTS_REGISTER_H_
