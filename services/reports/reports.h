// ReportService's domain: the grant register and the 360Giving export,
// gathered from the services that own each part (see
// proto/grantflow/reports/v1). It writes nothing.
#ifndef GRANTFLOW_SERVICES_REPORTS_REPORTS_H_
#define GRANTFLOW_SERVICES_REPORTS_REPORTS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grantflow/reports/v1/reports.pb.h"
#include "platform/call.h"
#include "services/common/applicant_source.h"
#include "services/common/case_client.h"
#include "services/reports/sources.h"

namespace grantflow::reports {

namespace pb = ::grantflow::reports::v1;

// Thread-safe. Does not own the sources; they must outlive it. Every method
// first checks the caller may read the fund's reports (RequireFundReport).
// Status codes: INVALID_ARGUMENT (fund, round, page_token named),
// PERMISSION_DENIED (ROLE_NOT_IN_FUND), NOT_FOUND (no such fund),
// FAILED_PRECONDITION (Export360Giving: NO_FUNDER_ORG_ID,
// NOTHING_TO_PUBLISH), UNAVAILABLE (an owning service unreachable).
class Reports {
 public:
  // `open_data_prefix` is the publisher's 360Giving prefix (e.g.
  // "360G-grantflow"): grant ids and unregistered recipients' ids start
  // with it.
  Reports(CaseClient* cases, ApplicantSource* applicants, ReportSources* more,
          std::string open_data_prefix);

  absl::StatusOr<pb::ListGrantsResponse> ListGrants(
      const Call& call, const pb::ListGrantsRequest& req);
  absl::StatusOr<pb::ExportFile> ExportGrantRegister(
      const Call& call, const pb::ExportGrantRegisterRequest& req);
  absl::StatusOr<pb::ExportFile> Export360Giving(
      const Call& call, const pb::Export360GivingRequest& req);

 private:
  class Gatherer;
  // Checks the fund (and round) and the caller's scope; returns the fund.
  absl::StatusOr<programmes::v1::Fund> CheckScope(
      const Call& call, const std::string& fund,
      const std::string& round) const;
  // Every awarded grant of the fund (or round), with its case's IsFunded.
  absl::StatusOr<std::vector<std::pair<pb::GrantRecord, bool>>> AllGrants(
      const std::string& fund, const std::string& round);

  CaseClient* cases_;
  ApplicantSource* applicants_;
  ReportSources* more_;
  const std::string prefix_;
};

}  // namespace grantflow::reports

#endif  // GRANTFLOW_SERVICES_REPORTS_REPORTS_H_
