#include "services/common/call.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "platform/status_macros.h"
#include "services/common/authz.h"

namespace grantflow {

absl::StatusOr<Call> StartCall(const grpc::ServerContext& context,
                               const CallEnv& env,
                               absl::string_view full_method) {
  const auto& md = context.client_metadata();
  Call call;
  call.now = env.clock->Now();
  // Who the transport says the caller is: a service's verified client
  // certificate, or the host's own in-process channel.
  std::string certified;
  if (env.service_identity_from_certificate) {
    std::shared_ptr<const grpc::AuthContext> ac = context.auth_context();
    if (ac != nullptr && ac->IsPeerAuthenticated()) {
      for (const grpc::string_ref& cn :
           ac->FindPropertyValues("x509_common_name")) {
        certified =
            auth::CanonicalUser(std::string(cn.data(), cn.size())).value_or("");
      }
    }
  }
  bool in_process = false;
  if (!env.in_process_secret.empty()) {
    auto s = md.find(kInProcessMetadata);
    in_process = s != md.end() &&
                 CRYPTO_memcmp(s->second.data(), env.in_process_secret.data(),
                               std::min(s->second.size(),
                                        env.in_process_secret.size())) == 0 &&
                 s->second.size() == env.in_process_secret.size();
  }
  auto it = md.find("authorization");
  if (it == md.end()) {
    if (certified.empty()) {
      return absl::UnauthenticatedError(
          "missing 'authorization: Bearer <token>' metadata");
    }
    // A peer service, known by its certificate alone.
    call.principal.user = certified;
    call.principal.roles = {"service"};
  } else {
    std::string header(it->second.data(), it->second.size());
    constexpr absl::string_view kBearer = "Bearer ";
    if (!absl::StartsWithIgnoreCase(header, kBearer)) {
      return absl::UnauthenticatedError(
          "authorization metadata must be 'Bearer <token>'");
    }
    ASSIGN_OR_RETURN(
        auth::Principal who,
        env.verifier->Verify(header.substr(kBearer.size()), call.now));
    if (env.service_identity_from_certificate && who.HasRole("service") &&
        !in_process) {
      if (certified.empty()) {
        return absl::UnauthenticatedError(
            "a service is known by its client certificate, not by a token");
      }
      who.user = certified;
    }
    call.principal = std::move(who);
    call.authorization = std::move(header);
  }
  RETURN_IF_ERROR(authz::Authorize(call.principal, full_method));
  call.method = std::string(full_method);
  call.method_roles = &authz::Table().at(call.method);
  return call;
}

void ForwardCredentials(const Call& call, grpc::ClientContext* context) {
  // A peer known by its certificate has no token to pass on; the channel's
  // own certificate then speaks for this host.
  if (!call.authorization.empty()) {
    context->AddMetadata("authorization", call.authorization);
  }
}

}  // namespace grantflow
