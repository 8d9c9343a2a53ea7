#include "services/common/round_source.h"

#include <chrono>

#include "services/common/call.h"
#include "services/common/grpc_status.h"

namespace grantflow {
namespace {

class GrpcRoundSource final : public RoundSource {
 public:
  explicit GrpcRoundSource(ChannelProvider channel)
      : channel_(std::move(channel)) {}

  absl::StatusOr<programmes::v1::Round> GetRound(
      const Call& call, const std::string& name) override {
    grpc::ClientContext ctx;
    ForwardCredentials(call, &ctx);
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    programmes::v1::GetRoundRequest req;
    req.set_name(name);
    programmes::v1::Round round;
    grpc::Status s = programmes::v1::ProgrammeService::NewStub(channel_())
                         ->GetRound(&ctx, req, &round);
    if (!s.ok()) return FromGrpcStatus(s);
    return round;
  }

 private:
  ChannelProvider channel_;
};

}  // namespace

std::unique_ptr<RoundSource> NewGrpcRoundSource(ChannelProvider channel) {
  return std::make_unique<GrpcRoundSource>(std::move(channel));
}

}  // namespace grantflow
