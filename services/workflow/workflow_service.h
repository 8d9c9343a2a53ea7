// gRPC adapter for WorkflowService: authentication, authorisation and status
// translation only; the engine is in workflows/engine.h.
#ifndef GRANTFLOW_SERVICES_WORKFLOW_WORKFLOW_SERVICE_H_
#define GRANTFLOW_SERVICES_WORKFLOW_WORKFLOW_SERVICE_H_

#include "grantflow/workflow/v1/workflow.grpc.pb.h"
#include "services/common/call.h"
#include "workflows/engine.h"

// The service's RPCs: X(Method, Request, Response).
#define GRANTFLOW_WORKFLOW_RPCS(X)                                       \
  X(StartCase, wpb::StartCaseRequest, wpb::Case)                         \
  X(RecordFact, wpb::RecordFactRequest, wpb::Case)                       \
  X(GetCase, wpb::GetCaseRequest, wpb::Case)                             \
  X(ListCases, wpb::ListCasesRequest, wpb::ListCasesResponse)            \
  X(GetHistory, wpb::GetHistoryRequest, wpb::GetHistoryResponse)         \
  X(RegisterBudgetLine, wpb::RegisterBudgetLineRequest, wpb::LedgerLine) \
  X(GetLedgerLine, wpb::GetLedgerLineRequest, wpb::LedgerLine)           \
  X(ListLedger, wpb::ListLedgerRequest, wpb::ListLedgerResponse)         \
  X(GetFundDashboard, wpb::GetFundDashboardRequest, wpb::FundDashboard)  \
  X(AuthorizePayment, wpb::AuthorizePaymentRequest, wpb::Payment)        \
  X(ConfirmPayment, wpb::ConfirmPaymentRequest, wpb::Payment)            \
  X(VoidPayment, wpb::VoidPaymentRequest, wpb::Payment)                  \
  X(ListTasks, opb::ListTasksRequest, opb::ListTasksResponse)            \
  X(RetryTask, opb::RetryTaskRequest, opb::Task)

namespace grantflow::workflows {

// Thread-safe. Does not own `engine`, which must outlive the service.
class WorkflowServiceImpl final : public wpb::WorkflowService::Service {
 public:
  WorkflowServiceImpl(Engine* engine, CallEnv env)
      : engine_(engine), env_(env) {}

  GRANTFLOW_WORKFLOW_RPCS(GRANTFLOW_DECLARE_RPC)

 private:
  Engine* engine_;
  CallEnv env_;
};

}  // namespace grantflow::workflows

#endif  // GRANTFLOW_SERVICES_WORKFLOW_WORKFLOW_SERVICE_H_
