// The host's AuditService (grantflow.audit.v1): every grantflowd process
// answers for the audit logs (rule R8) of the services it hosts, each a
// hash chain in the service's own store.
#ifndef GRANTFLOW_SERVICES_GRANTFLOWD_AUDIT_SERVICE_H_
#define GRANTFLOW_SERVICES_GRANTFLOWD_AUDIT_SERVICE_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "grantflow/audit/v1/audit.grpc.pb.h"
#include "platform/call.h"
#include "services/common/call.h"
#include "storage/store.h"

namespace grantflow {

// Reads the hosted stores' audit logs. The stores are not owned and must
// outlive it; thread-safe (the stores are).
class AuditLog {
 public:
  explicit AuditLog(std::map<std::string, storage::Store*> stores)
      : stores_(std::move(stores)) {}

  // NOT_FOUND for a service not hosted here; otherwise one report per
  // service asked for (every hosted one when none is named).
  absl::StatusOr<audit::v1::VerifyChainResponse> VerifyChain(
      const Call& call, const audit::v1::VerifyChainRequest& req);
  // INVALID_ARGUMENT for a missing service, a bad page or time range;
  // NOT_FOUND for a service not hosted here.
  absl::StatusOr<audit::v1::ListEntriesResponse> ListEntries(
      const Call& call, const audit::v1::ListEntriesRequest& req);

 private:
  absl::StatusOr<storage::Store*> StoreOf(const std::string& service,
                                          const std::string& field) const;
  std::map<std::string, storage::Store*> stores_;
};

#define GRANTFLOW_AUDIT_RPCS(X)                 \
  X(VerifyChain, audit::v1::VerifyChainRequest, \
    audit::v1::VerifyChainResponse)             \
  X(ListEntries, audit::v1::ListEntriesRequest, audit::v1::ListEntriesResponse)

// The thin gRPC adapter.
class AuditServiceImpl final : public audit::v1::AuditService::Service {
 public:
  AuditServiceImpl(CallEnv env, AuditLog* log) : env_(env), log_(log) {}
  GRANTFLOW_AUDIT_RPCS(GRANTFLOW_DECLARE_RPC)

 private:
  CallEnv env_;
  AuditLog* log_;  // not owned
};

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_GRANTFLOWD_AUDIT_SERVICE_H_
