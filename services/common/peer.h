// Calling another grantflow service: where it is (a channel, in-process when
// co-hosted, TCP otherwise) and who the caller is to it (the host's own
// "service" identity). Used by the clients a domain class holds for the
// services it must ask synchronously.
#ifndef GRANTFLOW_SERVICES_COMMON_PEER_H_
#define GRANTFLOW_SERVICES_COMMON_PEER_H_

#include <chrono>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "platform/status_macros.h"
#include "services/common/grpc_status.h"

namespace grantflow {

// Supplies the channel to a service; called on every call, so a host can
// hand out an in-process channel that exists only once its server has
// started. Must be thread-safe and return a non-null channel.
using ChannelProvider = std::function<std::shared_ptr<grpc::Channel>()>;

// Adds the caller's credentials to a client context. Thread-safe.
using Credentials = std::function<absl::Status(grpc::ClientContext*)>;

struct Peer {
  ChannelProvider channel;
  Credentials credentials;
  std::chrono::milliseconds deadline{10'000};

  // A context carrying the credentials and the deadline.
  absl::StatusOr<std::unique_ptr<grpc::ClientContext>> Context() const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + deadline);
    RETURN_IF_ERROR(credentials(ctx.get()));
    return ctx;
  }
};

// One unary call of `Service`'s `method` on `peer`, with the peer's
// credentials and deadline, its status translated (details kept):
//   CallPeer<wpb::WorkflowService>(peer, &wpb::WorkflowService::Stub::GetCase,
//                                  req);
template <typename Service, typename Req, typename Resp>
absl::StatusOr<Resp> CallPeer(const Peer& peer,
                              grpc::Status (Service::Stub::*method)(
                                  grpc::ClientContext*, const Req&, Resp*),
                              const Req& req) {
  ASSIGN_OR_RETURN(std::unique_ptr<grpc::ClientContext> ctx, peer.Context());
  auto stub = Service::NewStub(peer.channel());
  Resp out;
  grpc::Status s = ((*stub).*method)(ctx.get(), req, &out);
  if (!s.ok()) return FromGrpcStatus(s);
  return out;
}

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_COMMON_PEER_H_
