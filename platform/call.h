// What a domain handler knows about the call it serves: who, which method,
// when. Free of gRPC, so the engine and the services' domain classes can take
// it; services/common/call.h builds it from a gRPC call.
#ifndef GRANTFLOW_PLATFORM_CALL_H_
#define GRANTFLOW_PLATFORM_CALL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "platform/auth.h"
#include "platform/errors.h"
#include "platform/reasons.h"
#include "platform/resources.h"

namespace grantflow {

struct Call {
  auth::Principal principal;
  std::string method;         // full gRPC method name, or an internal one
  absl::Time now;             // the injected clock's time at the start
  std::string authorization;  // the caller's metadata, forwarded to peers
  // The roles the authorisation table allows for `method`: with roles
  // scoped to funds, the caller must hold one of them in the fund of
  // whatever the call is about. Points into the immutable table; null for
  // the host's own calls (then any role counts).
  const std::vector<std::string>* method_roles = nullptr;
};

// OK when the caller holds, in `fund` ("funds/{id}"; "" for a resource
// under no fund), one of the roles that let them make this call;
// PERMISSION_DENIED with reason ROLE_NOT_IN_FUND otherwise.
inline absl::Status RequireFundScope(const Call& call, absl::string_view fund) {
  static const std::vector<std::string> kAny;
  return auth::RequireRoleIn(
      call.principal, call.method_roles ? *call.method_roles : kAny, fund);
}
// For a report on one fund: INVALID_ARGUMENT on "fund" unless `fund` is
// funds/{id}; then RequireFundScope.
inline absl::Status RequireFundReport(const Call& call,
                                      const std::string& fund) {
  if (!ParseName(fund, {"funds"})) {
    errors::Violations v;
    v.Add("fund", "must be funds/{fund}");
    return v.ToStatus();
  }
  return RequireFundScope(call, fund);
}
// OK when the caller holds one of those roles in every fund (not scoped to
// some), for what spans funds (a remittance batch pays several);
// PERMISSION_DENIED ROLE_NOT_IN_FUND naming `what` otherwise.
inline absl::Status RequireEveryFund(const Call& call, absl::string_view what) {
  const auth::Principal& who = call.principal;
  const std::vector<std::string>& wanted =
      call.method_roles == nullptr ? who.roles : *call.method_roles;
  for (const std::string& r : wanted) {
    if (who.HasRole(r) && !who.role_funds.contains(r)) {
      return absl::OkStatus();
    }
  }
  return errors::WithReason(
      absl::PermissionDeniedError(
          absl::StrCat(who.user, " holds their roles in some funds only; ",
                       what, " spans every fund")),
      reasons::kRoleNotInFund);
}
// The same as a test, for lists that leave out what the caller may not see.
inline bool InFundScope(const Call& call, absl::string_view fund) {
  return RequireFundScope(call, fund).ok();
}

}  // namespace grantflow

#endif  // GRANTFLOW_PLATFORM_CALL_H_
