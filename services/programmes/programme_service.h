// gRPC adapter for ProgrammeService: authentication, authorisation and status
// translation only; the logic is in programmes.h.
#ifndef GRANTFLOW_SERVICES_PROGRAMMES_PROGRAMME_SERVICE_H_
#define GRANTFLOW_SERVICES_PROGRAMMES_PROGRAMME_SERVICE_H_

#include "grantflow/programmes/v1/programmes.grpc.pb.h"
#include "services/common/call.h"
#include "services/programmes/programmes.h"

// The service's RPCs: X(Method, Request, Response).
#define GRANTFLOW_PROGRAMME_RPCS(X)                                           \
  X(CreateFund, pb::CreateFundRequest, pb::Fund)                              \
  X(GetFund, pb::GetFundRequest, pb::Fund)                                    \
  X(ListFunds, pb::ListFundsRequest, pb::ListFundsResponse)                   \
  X(UpdateFund, pb::UpdateFundRequest, pb::Fund)                              \
  X(CreateBudgetLine, pb::CreateBudgetLineRequest, pb::BudgetLine)            \
  X(GetBudgetLine, pb::GetBudgetLineRequest, pb::BudgetLine)                  \
  X(ListBudgetLines, pb::ListBudgetLinesRequest, pb::ListBudgetLinesResponse) \
  X(UpdateBudgetLine, pb::UpdateBudgetLineRequest, pb::BudgetLine)            \
  X(CreateRound, pb::CreateRoundRequest, pb::Round)                           \
  X(GetRound, pb::GetRoundRequest, pb::Round)                                 \
  X(ListRounds, pb::ListRoundsRequest, pb::ListRoundsResponse)                \
  X(UpdateRound, pb::UpdateRoundRequest, pb::Round)

namespace grantflow::programmes {

// Thread-safe. Does not own `domain`, which must outlive the service.
class ProgrammeServiceImpl final : public pb::ProgrammeService::Service {
 public:
  ProgrammeServiceImpl(Programmes* domain, CallEnv env)
      : domain_(domain), env_(env) {}

  GRANTFLOW_PROGRAMME_RPCS(GRANTFLOW_DECLARE_RPC)

 private:
  Programmes* domain_;
  CallEnv env_;
};

}  // namespace grantflow::programmes

#endif  // GRANTFLOW_SERVICES_PROGRAMMES_PROGRAMME_SERVICE_H_
