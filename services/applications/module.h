// ApplicationService as a hostable service: organisations and applications
// on their own store, and the service's declarations for the host.
#ifndef GRANTFLOW_SERVICES_APPLICATIONS_MODULE_H_
#define GRANTFLOW_SERVICES_APPLICATIONS_MODULE_H_

#include "services/common/service_module.h"

namespace grantflow::applications {

// Name "applications". Needs programmes (a round's terms) and workflow
// (withdrawals are asked of the engine first). Receives
// tasks::kApplyCaseOutcome. Sends tasks::kStartCase and
// tasks::kOpenAssessment.
ServiceModule ApplicationsModule();

}  // namespace grantflow::applications

#endif  // GRANTFLOW_SERVICES_APPLICATIONS_MODULE_H_
