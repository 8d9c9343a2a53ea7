// gRPC adapter for AwardService: authentication, authorisation and status
// translation only; the logic is in awards.h.
#ifndef GRANTFLOW_SERVICES_AWARDS_AWARD_SERVICE_H_
#define GRANTFLOW_SERVICES_AWARDS_AWARD_SERVICE_H_

#include "grantflow/awards/v1/awards.grpc.pb.h"
#include "services/awards/awards.h"
#include "services/common/call.h"

// The service's RPCs: X(Method, Request, Response).
#define GRANTFLOW_AWARDS_RPCS(X)                               \
  X(DecideAward, pb::DecideAwardRequest, pb::Award)            \
  X(GetAward, pb::GetAwardRequest, pb::Award)                  \
  X(ListAwards, pb::ListAwardsRequest, pb::ListAwardsResponse) \
  X(SetPublicationDate, pb::SetPublicationDateRequest, pb::Award)

namespace grantflow::awards {

// Thread-safe. Does not own `domain`, which must outlive the service.
class AwardServiceImpl final : public pb::AwardService::Service {
 public:
  AwardServiceImpl(Awards* domain, CallEnv env) : domain_(domain), env_(env) {}

  GRANTFLOW_AWARDS_RPCS(GRANTFLOW_DECLARE_RPC)

 private:
  Awards* domain_;
  CallEnv env_;
};

}  // namespace grantflow::awards

#endif  // GRANTFLOW_SERVICES_AWARDS_AWARD_SERVICE_H_
