// Where services read what a group applied with and who the group is:
// ApplicationService, over gRPC, as the host's service identity. Used by the
// pre-agreement checks (the organisation's registration numbers, the
// project's dates, whether it works with children or adults at risk).
#ifndef GRANTFLOW_SERVICES_COMMON_APPLICANT_SOURCE_H_
#define GRANTFLOW_SERVICES_COMMON_APPLICANT_SOURCE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grantflow/applications/v1/applications.pb.h"
#include "services/common/peer.h"

namespace grantflow {

// Implementations are thread-safe. NOT_FOUND when there is no such record,
// UNAVAILABLE when ApplicationService cannot be reached.
class ApplicantSource {
 public:
  virtual ~ApplicantSource() = default;
  virtual absl::StatusOr<applications::v1::Application> GetApplication(
      const std::string& name) = 0;
  virtual absl::StatusOr<applications::v1::Organisation> GetOrganisation(
      const std::string& name) = 0;
};

// Calls ApplicationService over `applications`.
std::unique_ptr<ApplicantSource> NewPeerApplicantSource(Peer applications);

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_COMMON_APPLICANT_SOURCE_H_
