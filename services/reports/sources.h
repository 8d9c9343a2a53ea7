// Where ReportService reads awards, funds and rounds: AwardService and
// ProgrammeService over gRPC, as the host's service identity. (Cases come
// through CaseClient and applications through ApplicantSource, the pieces
// the other services use.)
#ifndef GRANTFLOW_SERVICES_REPORTS_SOURCES_H_
#define GRANTFLOW_SERVICES_REPORTS_SOURCES_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grantflow/awards/v1/awards.pb.h"
#include "grantflow/programmes/v1/programmes.pb.h"
#include "services/common/peer.h"

namespace grantflow::reports {

// Implementations are thread-safe. NOT_FOUND when there is no such record,
// UNAVAILABLE when the owning service cannot be reached.
class ReportSources {
 public:
  virtual ~ReportSources() = default;
  virtual absl::StatusOr<awards::v1::Award> GetAward(
      const std::string& name) = 0;
  virtual absl::StatusOr<programmes::v1::Fund> GetFund(
      const std::string& name) = 0;
  virtual absl::StatusOr<programmes::v1::Round> GetRound(
      const std::string& name) = 0;
};

// Calls AwardService over `awards` and ProgrammeService over `programmes`.
std::unique_ptr<ReportSources> NewPeerReportSources(Peer awards,
                                                    Peer programmes);

}  // namespace grantflow::reports

#endif  // GRANTFLOW_SERVICES_REPORTS_SOURCES_H_
