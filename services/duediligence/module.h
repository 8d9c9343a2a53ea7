// DueDiligenceService as a hostable service: checks on their own store, and
// the service's declarations for the host.
#ifndef GRANTFLOW_SERVICES_DUEDILIGENCE_MODULE_H_
#define GRANTFLOW_SERVICES_DUEDILIGENCE_MODULE_H_

#include "services/common/service_module.h"

namespace grantflow::duediligence {

// Name "duediligence". Needs workflow (the case, and every outcome is asked
// of the engine first) and applications (the organisation's registration
// numbers, the project's dates). Receives tasks::kOpenDueDiligence (an award
// approved) and tasks::kDueDiligenceCaseOutcome (a withdrawal) from the
// engine. Sends no tasks.
ServiceModule DueDiligenceModule();

}  // namespace grantflow::duediligence

#endif  // GRANTFLOW_SERVICES_DUEDILIGENCE_MODULE_H_
