#include "services/common/applicant_source.h"

#include "grantflow/applications/v1/applications.grpc.pb.h"

namespace grantflow {
namespace {

namespace apb = ::grantflow::applications::v1;

class PeerApplicantSource final : public ApplicantSource {
 public:
  explicit PeerApplicantSource(Peer applications)
      : applications_(std::move(applications)) {}

  absl::StatusOr<apb::Application> GetApplication(
      const std::string& name) override {
    apb::GetApplicationRequest req;
    req.set_name(name);
    return CallPeer<apb::ApplicationService>(
        applications_, &apb::ApplicationService::Stub::GetApplication, req);
  }

  absl::StatusOr<apb::Organisation> GetOrganisation(
      const std::string& name) override {
    apb::GetOrganisationRequest req;
    req.set_name(name);
    return CallPeer<apb::ApplicationService>(
        applications_, &apb::ApplicationService::Stub::GetOrganisation, req);
  }

 private:
  Peer applications_;
};

}  // namespace

std::unique_ptr<ApplicantSource> NewPeerApplicantSource(Peer applications) {
  return std::make_unique<PeerApplicantSource>(std::move(applications));
}

}  // namespace grantflow
