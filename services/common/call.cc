#include "services/common/call.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "platform/status_macros.h"
#include "services/common/authz.h"

namespace grantflow {

absl::StatusOr<Call> StartCall(const grpc::ServerContext& context,
                               const CallEnv& env,
                               absl::string_view full_method) {
  const auto& md = context.client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) {
    return absl::UnauthenticatedError(
        "missing 'authorization: Bearer <token>' metadata");
  }
  std::string header(it->second.data(), it->second.size());
  constexpr absl::string_view kBearer = "Bearer ";
  if (!absl::StartsWithIgnoreCase(header, kBearer)) {
    return absl::UnauthenticatedError(
        "authorization metadata must be 'Bearer <token>'");
  }
  Call call;
  call.now = env.clock->Now();
  ASSIGN_OR_RETURN(
      auth::Principal who,
      env.verifier->Verify(header.substr(kBearer.size()), call.now));
  call.principal = std::move(who);
  RETURN_IF_ERROR(authz::Authorize(call.principal, full_method));
  call.method = std::string(full_method);
  call.method_roles = authz::Table().at(call.method);
  call.authorization = std::move(header);
  return call;
}

void ForwardCredentials(const Call& call, grpc::ClientContext* context) {
  context->AddMetadata("authorization", call.authorization);
}

}  // namespace grantflow
