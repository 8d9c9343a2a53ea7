// gRPC adapter for SafeguardingService: authentication, authorisation and
// status translation only; the logic is in safeguarding.h.
#ifndef GRANTFLOW_SERVICES_SAFEGUARDING_SAFEGUARDING_SERVICE_H_
#define GRANTFLOW_SERVICES_SAFEGUARDING_SAFEGUARDING_SERVICE_H_

#include "grantflow/safeguarding/v1/safeguarding.grpc.pb.h"
#include "services/common/call.h"
#include "services/safeguarding/safeguarding.h"

// The service's RPCs: X(Method, Request, Response).
#define GRANTFLOW_SAFEGUARDING_RPCS(X)                                     \
  X(OpenCheck, pb::OpenCheckRequest, pb::SafeguardingCheck)                \
  X(GetCheck, pb::GetCheckRequest, pb::SafeguardingCheck)                  \
  X(ListChecks, pb::ListChecksRequest, pb::ListChecksResponse)             \
  X(MarkRequired, pb::MarkRequiredRequest, pb::MarkRequiredResponse)       \
  X(RecordItem, pb::RecordItemRequest, pb::SafeguardingCheck)              \
  X(AddDbsRecord, pb::AddDbsRecordRequest, pb::AddDbsRecordResponse)       \
  X(ListDbsRecords, pb::ListDbsRecordsRequest, pb::ListDbsRecordsResponse) \
  X(ConcludeCheck, pb::ConcludeCheckRequest, pb::SafeguardingCheck)        \
  X(ClearCondition, pb::ClearConditionRequest, pb::SafeguardingCheck)      \
  X(ApplyCaseOutcome, pb::ApplyCaseOutcomeRequest, pb::SafeguardingCheck)  \
  X(ListAccessLog, pb::ListAccessLogRequest, pb::ListAccessLogResponse)

namespace grantflow::safeguarding {

// Thread-safe. Does not own `domain`, which must outlive the service.
class SafeguardingServiceImpl final : public pb::SafeguardingService::Service {
 public:
  SafeguardingServiceImpl(Safeguarding* domain, CallEnv env)
      : domain_(domain), env_(env) {}

  GRANTFLOW_SAFEGUARDING_RPCS(GRANTFLOW_DECLARE_RPC)

 private:
  Safeguarding* domain_;
  CallEnv env_;
};

}  // namespace grantflow::safeguarding

#endif  // GRANTFLOW_SERVICES_SAFEGUARDING_SAFEGUARDING_SERVICE_H_
