// gRPC adapter for ProgrammeService: authentication, authorisation and status
// translation only; the logic is in programmes.h.
#ifndef GRANTFLOW_SERVICES_PROGRAMMES_PROGRAMME_SERVICE_H_
#define GRANTFLOW_SERVICES_PROGRAMMES_PROGRAMME_SERVICE_H_

#include "grantflow/programmes/v1/programmes.grpc.pb.h"
#include "services/common/call.h"
#include "services/programmes/programmes.h"

namespace grantflow::programmes {

// Thread-safe. Does not own `domain`, which must outlive the service.
class ProgrammeServiceImpl final : public pb::ProgrammeService::Service {
 public:
  ProgrammeServiceImpl(Programmes* domain, CallEnv env)
      : domain_(domain), env_(env) {}

#define GRANTFLOW_RPC(Method, Req, Resp)                            \
  grpc::Status Method(grpc::ServerContext* ctx, const pb::Req* req, \
                      pb::Resp* resp) override;
  GRANTFLOW_RPC(CreateFund, CreateFundRequest, Fund)
  GRANTFLOW_RPC(GetFund, GetFundRequest, Fund)
  GRANTFLOW_RPC(ListFunds, ListFundsRequest, ListFundsResponse)
  GRANTFLOW_RPC(UpdateFund, UpdateFundRequest, Fund)
  GRANTFLOW_RPC(CreateBudgetLine, CreateBudgetLineRequest, BudgetLine)
  GRANTFLOW_RPC(GetBudgetLine, GetBudgetLineRequest, BudgetLine)
  GRANTFLOW_RPC(ListBudgetLines, ListBudgetLinesRequest,
                ListBudgetLinesResponse)
  GRANTFLOW_RPC(UpdateBudgetLine, UpdateBudgetLineRequest, BudgetLine)
  GRANTFLOW_RPC(CreateRound, CreateRoundRequest, Round)
  GRANTFLOW_RPC(GetRound, GetRoundRequest, Round)
  GRANTFLOW_RPC(ListRounds, ListRoundsRequest, ListRoundsResponse)
  GRANTFLOW_RPC(UpdateRound, UpdateRoundRequest, Round)
#undef GRANTFLOW_RPC

 private:
  Programmes* domain_;
  CallEnv env_;
};

}  // namespace grantflow::programmes

#endif  // GRANTFLOW_SERVICES_PROGRAMMES_PROGRAMME_SERVICE_H_
