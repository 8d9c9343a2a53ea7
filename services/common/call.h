// The per-RPC envelope every service adapter uses: authenticate the bearer
// token, authorise the method against the one table, run the domain handler,
// and translate its absl::Status to gRPC.
#ifndef GRANTFLOW_SERVICES_COMMON_CALL_H_
#define GRANTFLOW_SERVICES_COMMON_CALL_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "grpcpp/server_context.h"
#include "platform/auth.h"
#include "platform/call.h"
#include "platform/clock.h"
#include "services/common/grpc_status.h"

namespace grantflow {

// Everything StartCall needs. Pointers are not owned and must outlive calls.
struct CallEnv {
  const auth::TokenVerifier* verifier = nullptr;
  Clock* clock = nullptr;
  // Mutual TLS (grantflowd given a client CA): a remote caller is a service
  // only by the client certificate it presented, which the CA signed; its
  // common name becomes its identity. A token claiming the "service" role
  // is then refused from anyone else.
  bool service_identity_from_certificate = false;
  // Calls through the host's own in-process channel carry this secret (in
  // kInProcessMetadata) in place of a certificate. Empty: none expected.
  std::string in_process_secret;
};

// The metadata key of CallEnv::in_process_secret.
inline constexpr char kInProcessMetadata[] = "x-grantflow-in-process";

// UNAUTHENTICATED when the "authorization: Bearer <token>" metadata is
// missing (and no verified service certificate stands in for it) or the
// token does not verify, or claims the "service" role without the
// certificate mutual TLS asks for; PERMISSION_DENIED when the table does not
// allow any of the caller's roles.
absl::StatusOr<Call> StartCall(const grpc::ServerContext& context,
                               const CallEnv& env,
                               absl::string_view full_method);

// Copies the caller's authorization into a client context for a peer call.
void ForwardCredentials(const Call& call, grpc::ClientContext* context);

// Runs `handler(call, request) -> absl::StatusOr<Response>` under StartCall.
template <typename Request, typename Response, typename Handler>
grpc::Status Serve(grpc::ServerContext* context, const CallEnv& env,
                   absl::string_view full_method, const Request& request,
                   Response* response, Handler&& handler) {
  absl::StatusOr<Call> call = StartCall(*context, env, full_method);
  if (!call.ok()) return ToGrpcStatus(call.status());
  absl::StatusOr<Response> result = handler(*call, request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace grantflow

// Service adapters list their RPCs once, as X(Method, Request, Response), and
// expand the list twice: GRANTFLOW_DECLARE_RPC in the class, and
// GRANTFLOW_DEFINE_RPC in the .cc, where each RPC authenticates, authorises
// by its full method name and hands the request to `domain->Method`.
#define GRANTFLOW_DECLARE_RPC(Method, Req, Resp)                            \
  grpc::Status Method(grpc::ServerContext* ctx, const Req* req, Resp* resp) \
      override;

#define GRANTFLOW_DEFINE_RPC(Class, Service, domain, Method, Req, Resp) \
  grpc::Status Class::Method(grpc::ServerContext* ctx, const Req* req,  \
                             Resp* resp) {                              \
    return ::grantflow::Serve(                                          \
        ctx, env_, "/" Service "/" #Method, *req, resp,                 \
        [this](const ::grantflow::Call& call, const Req& r) {           \
          return domain->Method(call, r);                               \
        });                                                             \
  }

#endif  // GRANTFLOW_SERVICES_COMMON_CALL_H_
