#include "services/programmes/programme_service.h"

namespace grantflow::programmes {

// Each RPC: authenticate, authorise by the full method name, delegate.
#define GRANTFLOW_RPC(Method, Req, Resp)                                     \
  grpc::Status ProgrammeServiceImpl::Method(                                 \
      grpc::ServerContext* ctx, const pb::Req* req, pb::Resp* resp) {        \
    return Serve(ctx, env_,                                                  \
                 "/grantflow.programmes.v1.ProgrammeService/" #Method, *req, \
                 resp, [this](const Call& call, const pb::Req& r) {          \
                   return domain_->Method(call, r);                          \
                 });                                                         \
  }
GRANTFLOW_RPC(CreateFund, CreateFundRequest, Fund)
GRANTFLOW_RPC(GetFund, GetFundRequest, Fund)
GRANTFLOW_RPC(ListFunds, ListFundsRequest, ListFundsResponse)
GRANTFLOW_RPC(UpdateFund, UpdateFundRequest, Fund)
GRANTFLOW_RPC(CreateBudgetLine, CreateBudgetLineRequest, BudgetLine)
GRANTFLOW_RPC(GetBudgetLine, GetBudgetLineRequest, BudgetLine)
GRANTFLOW_RPC(ListBudgetLines, ListBudgetLinesRequest, ListBudgetLinesResponse)
GRANTFLOW_RPC(UpdateBudgetLine, UpdateBudgetLineRequest, BudgetLine)
GRANTFLOW_RPC(CreateRound, CreateRoundRequest, Round)
GRANTFLOW_RPC(GetRound, GetRoundRequest, Round)
GRANTFLOW_RPC(ListRounds, ListRoundsRequest, ListRoundsResponse)
GRANTFLOW_RPC(UpdateRound, UpdateRoundRequest, Round)
#undef GRANTFLOW_RPC

}  // namespace grantflow::programmes
