// SafeguardingService as a hostable service: checks, DBS records and the
// access log on their own store, and the service's declarations for the
// host.
#ifndef GRANTFLOW_SERVICES_SAFEGUARDING_MODULE_H_
#define GRANTFLOW_SERVICES_SAFEGUARDING_MODULE_H_

#include "services/common/service_module.h"

namespace grantflow::safeguarding {

// Name "safeguarding". Needs workflow (every outcome is asked of the engine
// first) and applications (whom the project works with). Receives
// tasks::kOpenSafeguarding (an award approved) and
// tasks::kSafeguardingCaseOutcome (a withdrawal) from the engine. Sends no
// tasks. Its background work purges DBS records that are due.
ServiceModule SafeguardingModule();

}  // namespace grantflow::safeguarding

#endif  // GRANTFLOW_SERVICES_SAFEGUARDING_MODULE_H_
