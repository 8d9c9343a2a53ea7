// Builds the audit record a service commits with each change (rule R8).
#ifndef GRANTFLOW_PLATFORM_AUDIT_H_
#define GRANTFLOW_PLATFORM_AUDIT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "platform/call.h"
#include "storage/store.h"

namespace grantflow {

// Adds an audit entry for `call` changing `resource` to `writes`.
inline void AuditChange(storage::WriteSet& writes, const Call& call,
                        absl::string_view resource,
                        absl::string_view request_id, absl::string_view details,
                        absl::string_view reason = "") {
  storage::AuditRecord r;
  r.time_micros = absl::ToUnixMicros(call.now);
  r.actor = call.principal.user;
  r.action = call.method;
  r.resource = std::string(resource);
  r.request_id = std::string(request_id);
  r.reason = std::string(reason);
  r.details = std::string(details);
  writes.Audit(std::move(r));
}

}  // namespace grantflow

#endif  // GRANTFLOW_PLATFORM_AUDIT_H_
