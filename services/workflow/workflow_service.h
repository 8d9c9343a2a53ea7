// gRPC adapter for WorkflowService: authentication, authorisation and status
// translation only; the engine is in workflows/engine.h.
#ifndef GRANTFLOW_SERVICES_WORKFLOW_WORKFLOW_SERVICE_H_
#define GRANTFLOW_SERVICES_WORKFLOW_WORKFLOW_SERVICE_H_

#include "grantflow/workflow/v1/workflow.grpc.pb.h"
#include "services/common/call.h"
#include "workflows/engine.h"

namespace grantflow::workflows {

// Thread-safe. Does not own `engine`, which must outlive the service.
class WorkflowServiceImpl final : public wpb::WorkflowService::Service {
 public:
  WorkflowServiceImpl(Engine* engine, CallEnv env)
      : engine_(engine), env_(env) {}

#define GRANTFLOW_RPC(Method, Req, Resp)                             \
  grpc::Status Method(grpc::ServerContext* ctx, const wpb::Req* req, \
                      wpb::Resp* resp) override;
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

 private:
  Engine* engine_;
  CallEnv env_;
};

}  // namespace grantflow::workflows

#endif  // GRANTFLOW_SERVICES_WORKFLOW_WORKFLOW_SERVICE_H_
