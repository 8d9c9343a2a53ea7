// Where services learn about rounds (their limits, rules and criteria):
// ProgrammeService, over gRPC.
#ifndef GRANTFLOW_SERVICES_COMMON_ROUND_SOURCE_H_
#define GRANTFLOW_SERVICES_COMMON_ROUND_SOURCE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grantflow/programmes/v1/programmes.grpc.pb.h"
#include "grpcpp/channel.h"
#include "platform/call.h"
#include "services/common/peer.h"

namespace grantflow {

// Implementations are thread-safe.
class RoundSource {
 public:
  virtual ~RoundSource() = default;
  // The round named `name` as `call`'s caller may see it; NOT_FOUND when
  // there is none, UNAVAILABLE when ProgrammeService cannot be reached.
  virtual absl::StatusOr<programmes::v1::Round> GetRound(
      const Call& call, const std::string& name) = 0;
};

// Calls ProgrammeService.GetRound over the provided channel (in-process when
// co-hosted, TCP otherwise) with the caller's own credentials.
std::unique_ptr<RoundSource> NewGrpcRoundSource(Peer programmes);

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_COMMON_ROUND_SOURCE_H_
