// The one authorisation table: which roles may call each RPC. Default deny:
// an RPC without an entry cannot be called by anyone. Finer rules (an
// applicant acts only for their own organisation) live in the domain code.
#ifndef GRANTFLOW_SERVICES_COMMON_AUTHZ_H_
#define GRANTFLOW_SERVICES_COMMON_AUTHZ_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "platform/auth.h"

namespace grantflow::authz {

// Keys are full gRPC method names:
// "/grantflow.programmes.v1.ProgrammeService/CreateFund". Values are the roles
// allowed. Immutable; thread-safe.
const absl::flat_hash_map<std::string, std::vector<std::string>>& Table();

// OK when one of the principal's roles is listed for `full_method`;
// PERMISSION_DENIED otherwise, including for methods missing from the table.
absl::Status Authorize(const auth::Principal& principal,
                       absl::string_view full_method);

}  // namespace grantflow::authz

#endif  // GRANTFLOW_SERVICES_COMMON_AUTHZ_H_
