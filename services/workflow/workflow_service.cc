#include "services/workflow/workflow_service.h"

namespace grantflow::workflows {

#define GRANTFLOW_DEFINE(Method, Req, Resp)                              \
  GRANTFLOW_DEFINE_RPC(WorkflowServiceImpl,                              \
                       "grantflow.workflow.v1.WorkflowService", engine_, \
                       Method, Req, Resp)
GRANTFLOW_WORKFLOW_RPCS(GRANTFLOW_DEFINE)
#undef GRANTFLOW_DEFINE

}  // namespace grantflow::workflows
