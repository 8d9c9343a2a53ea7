// What a domain handler knows about the call it serves: who, which method,
// when. Free of gRPC, so the engine and the services' domain classes can take
// it; services/common/call.h builds it from a gRPC call.
#ifndef GRANTFLOW_PLATFORM_CALL_H_
#define GRANTFLOW_PLATFORM_CALL_H_

#include <string>

#include "absl/time/time.h"
#include "platform/auth.h"

namespace grantflow {

struct Call {
  auth::Principal principal;
  std::string method;         // full gRPC method name, or an internal one
  absl::Time now;             // the injected clock's time at the start
  std::string authorization;  // the caller's metadata, forwarded to peers
};

}  // namespace grantflow

#endif  // GRANTFLOW_PLATFORM_CALL_H_
