// Conversion between absl::Status (with payloads) and grpc::Status carrying a
// serialized google.rpc.Status in its error details.
#ifndef GRANTFLOW_SERVICES_COMMON_GRPC_STATUS_H_
#define GRANTFLOW_SERVICES_COMMON_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace grantflow {

// Same code and message; every payload becomes a google.protobuf.Any detail.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The inverse: details become payloads again, so a status from a peer service
// can be passed on or inspected with errors::ReasonOf / FieldViolationsOf.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_COMMON_GRPC_STATUS_H_
