// AgreementService as a hostable service: agreements on their own store,
// and the service's declarations for the host.
#ifndef GRANTFLOW_SERVICES_AGREEMENTS_MODULE_H_
#define GRANTFLOW_SERVICES_AGREEMENTS_MODULE_H_

#include "services/common/service_module.h"

namespace grantflow::agreements {

// Name "agreements". Needs workflow (every step is asked of the engine
// first) and applications (the application and organisation an agreement
// is drafted from). Receives agreements.apply_case_outcome; its background
// pass adds reminders and marks reports overdue.
ServiceModule AgreementsModule();

}  // namespace grantflow::agreements

#endif  // GRANTFLOW_SERVICES_AGREEMENTS_MODULE_H_
