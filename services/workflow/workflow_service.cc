#include "services/workflow/workflow_service.h"

namespace grantflow::workflows {

// Each RPC: authenticate, authorise by the full method name, delegate.
#define GRANTFLOW_RPC(Method, Req, Resp)                                       \
  grpc::Status WorkflowServiceImpl::Method(                                    \
      grpc::ServerContext* ctx, const wpb::Req* req, wpb::Resp* resp) {        \
    return Serve(ctx, env_, "/grantflow.workflow.v1.WorkflowService/" #Method, \
                 *req, resp, [this](const Call& call, const wpb::Req& r) {     \
                   return engine_->Method(call, r);                            \
                 });                                                           \
  }
GRANTFLOW_RPC(StartCase, StartCaseRequest, Case)
GRANTFLOW_RPC(RecordFact, RecordFactRequest, Case)
GRANTFLOW_RPC(GetCase, GetCaseRequest, Case)
GRANTFLOW_RPC(ListCases, ListCasesRequest, ListCasesResponse)
GRANTFLOW_RPC(GetHistory, GetHistoryRequest, GetHistoryResponse)
GRANTFLOW_RPC(RegisterBudgetLine, RegisterBudgetLineRequest, LedgerLine)
GRANTFLOW_RPC(GetLedgerLine, GetLedgerLineRequest, LedgerLine)
GRANTFLOW_RPC(ListLedger, ListLedgerRequest, ListLedgerResponse)
GRANTFLOW_RPC(AuthorizePayment, AuthorizePaymentRequest, Payment)
GRANTFLOW_RPC(ConfirmPayment, ConfirmPaymentRequest, Payment)
GRANTFLOW_RPC(VoidPayment, VoidPaymentRequest, Payment)
GRANTFLOW_RPC(ListTasks, ListTasksRequest, ListTasksResponse)
GRANTFLOW_RPC(RetryTask, RetryTaskRequest, Task)
#undef GRANTFLOW_RPC

}  // namespace grantflow::workflows
