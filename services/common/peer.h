// Calling another grantflow service: where it is (a channel, in-process when
// co-hosted, TCP otherwise) and who the caller is to it (the host's own
// "service" identity). Used by the clients a domain class holds for the
// services it must ask synchronously.
#ifndef GRANTFLOW_SERVICES_COMMON_PEER_H_
#define GRANTFLOW_SERVICES_COMMON_PEER_H_

#include <atomic>
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
  // Every call to the peer carries this deadline.
  std::chrono::milliseconds deadline{10'000};
  // Calls waiting on this peer now, shared by every copy of it (the host
  // keeps one counter per peer service). At max_in_flight a new call fails
  // at once, RESOURCE_EXHAUSTED, instead of holding another of the server's
  // threads on a slow or dead peer: the threads left serve unrelated RPCs.
  std::shared_ptr<std::atomic<int>> in_flight =
      std::make_shared<std::atomic<int>>(0);
  int max_in_flight = 16;

  // A context carrying the credentials and the deadline.
  absl::StatusOr<std::unique_ptr<grpc::ClientContext>> Context() const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + deadline);
    RETURN_IF_ERROR(credentials(ctx.get()));
    return ctx;
  }
};

// A place among a peer's calls in flight, given back when destroyed.
class PeerSlot {
 public:
  // RESOURCE_EXHAUSTED when `peer` already has max_in_flight calls waiting.
  static absl::StatusOr<PeerSlot> Take(const Peer& peer) {
    if (peer.in_flight->fetch_add(1) >= peer.max_in_flight) {
      peer.in_flight->fetch_sub(1);
      return absl::ResourceExhaustedError(
          "too many calls are waiting on a slow service; try again shortly");
    }
    return PeerSlot(peer.in_flight);
  }
  PeerSlot(PeerSlot&& other) noexcept : count_(std::move(other.count_)) {}
  PeerSlot& operator=(PeerSlot&&) = delete;
  ~PeerSlot() {
    if (count_ != nullptr) count_->fetch_sub(1);
  }

 private:
  explicit PeerSlot(std::shared_ptr<std::atomic<int>> count)
      : count_(std::move(count)) {}
  std::shared_ptr<std::atomic<int>> count_;
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
  ASSIGN_OR_RETURN(PeerSlot slot, PeerSlot::Take(peer));
  ASSIGN_OR_RETURN(std::unique_ptr<grpc::ClientContext> ctx, peer.Context());
  auto stub = Service::NewStub(peer.channel());
  Resp out;
  grpc::Status s = ((*stub).*method)(ctx.get(), req, &out);
  if (!s.ok()) return FromGrpcStatus(s);
  return out;
}

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_COMMON_PEER_H_
