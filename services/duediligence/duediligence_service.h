// gRPC adapter for DueDiligenceService: authentication, authorisation and
// status translation only; the logic is in checks.h.
#ifndef GRANTFLOW_SERVICES_DUEDILIGENCE_DUEDILIGENCE_SERVICE_H_
#define GRANTFLOW_SERVICES_DUEDILIGENCE_DUEDILIGENCE_SERVICE_H_

#include "grantflow/duediligence/v1/duediligence.grpc.pb.h"
#include "services/common/call.h"
#include "services/duediligence/checks.h"

// The service's RPCs: X(Method, Request, Response).
#define GRANTFLOW_DUEDILIGENCE_RPCS(X)                                      \
  X(OpenCheck, pb::OpenCheckRequest, pb::DueDiligenceCheck)                 \
  X(GetCheck, pb::GetCheckRequest, pb::DueDiligenceCheck)                   \
  X(ListChecks, pb::ListChecksRequest, pb::ListChecksResponse)              \
  X(RecordItem, pb::RecordItemRequest, pb::DueDiligenceCheck)               \
  X(RunDuplicateCheck, pb::RunDuplicateCheckRequest, pb::DueDiligenceCheck) \
  X(ConcludeCheck, pb::ConcludeCheckRequest, pb::DueDiligenceCheck)         \
  X(DecideReferral, pb::DecideReferralRequest, pb::DueDiligenceCheck)       \
  X(ClearCondition, pb::ClearConditionRequest, pb::DueDiligenceCheck)       \
  X(ApplyCaseOutcome, pb::ApplyCaseOutcomeRequest, pb::DueDiligenceCheck)   \
  X(GetPolicy, pb::GetPolicyRequest, pb::Policy)                            \
  X(UpdatePolicy, pb::UpdatePolicyRequest, pb::Policy)

namespace grantflow::duediligence {

// Thread-safe. Does not own `domain`, which must outlive the service.
class DueDiligenceServiceImpl final : public pb::DueDiligenceService::Service {
 public:
  DueDiligenceServiceImpl(Checks* domain, CallEnv env)
      : domain_(domain), env_(env) {}

  GRANTFLOW_DUEDILIGENCE_RPCS(GRANTFLOW_DECLARE_RPC)

 private:
  Checks* domain_;
  CallEnv env_;
};

}  // namespace grantflow::duediligence

#endif  // GRANTFLOW_SERVICES_DUEDILIGENCE_DUEDILIGENCE_SERVICE_H_
