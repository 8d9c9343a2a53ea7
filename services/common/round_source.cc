#include "services/common/round_source.h"

#include <chrono>

#include "services/common/call.h"
#include "services/common/grpc_status.h"

namespace grantflow {
namespace {

class GrpcRoundSource final : public RoundSource {
 public:
  explicit GrpcRoundSource(Peer peer) : peer_(std::move(peer)) {}

  // As the caller (their credentials forwarded), with the peer's deadline
  // and within its calls in flight.
  absl::StatusOr<programmes::v1::Round> GetRound(
      const Call& call, const std::string& name) override {
    ASSIGN_OR_RETURN(PeerSlot slot, PeerSlot::Take(peer_));
    grpc::ClientContext ctx;
    ForwardCredentials(call, &ctx);
    ctx.set_deadline(std::chrono::system_clock::now() + peer_.deadline);
    programmes::v1::GetRoundRequest req;
    req.set_name(name);
    programmes::v1::Round round;
    grpc::Status s = programmes::v1::ProgrammeService::NewStub(peer_.channel())
                         ->GetRound(&ctx, req, &round);
    if (!s.ok()) return FromGrpcStatus(s);
    return round;
  }

 private:
  Peer peer_;
};

}  // namespace

std::unique_ptr<RoundSource> NewGrpcRoundSource(Peer programmes) {
  return std::make_unique<GrpcRoundSource>(std::move(programmes));
}

}  // namespace grantflow
