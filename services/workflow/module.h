// The workflow engine as a hostable service: WorkflowService on the engine's
// own store, its lifecycle definitions (built-in plus --definitions_dir), and
// its declarations for the host.
#ifndef GRANTFLOW_SERVICES_WORKFLOW_MODULE_H_
#define GRANTFLOW_SERVICES_WORKFLOW_MODULE_H_

#include "services/common/service_module.h"

namespace grantflow::workflows {

// Name "workflow". Needs programmes (a round's terms when an award is
// approved) and applications (an organisation's signatories). Receives
// tasks::kStartCase. Sends the task kinds its lifecycle definitions name.
// Background: fires due timers.
ServiceModule WorkflowModule();

}  // namespace grantflow::workflows

#endif  // GRANTFLOW_SERVICES_WORKFLOW_MODULE_H_
