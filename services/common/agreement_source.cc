#include "services/common/agreement_source.h"

#include "grantflow/agreements/v1/agreements.grpc.pb.h"

namespace grantflow {
namespace {

namespace gpb = ::grantflow::agreements::v1;

class PeerAgreementSource final : public AgreementSource {
 public:
  explicit PeerAgreementSource(Peer agreements)
      : agreements_(std::move(agreements)) {}

  absl::StatusOr<gpb::Agreement> GetAgreement(
      const std::string& name) override {
    gpb::GetAgreementRequest req;
    req.set_name(name);
    return CallPeer<gpb::AgreementService>(
        agreements_, &gpb::AgreementService::Stub::GetAgreement, req);
  }

 private:
  Peer agreements_;
};

}  // namespace

std::unique_ptr<AgreementSource> NewPeerAgreementSource(Peer agreements) {
  return std::make_unique<PeerAgreementSource>(std::move(agreements));
}

}  // namespace grantflow
