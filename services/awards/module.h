// AwardService as a hostable service: awards on their own store, and the
// service's declarations for the host.
#ifndef GRANTFLOW_SERVICES_AWARDS_MODULE_H_
#define GRANTFLOW_SERVICES_AWARDS_MODULE_H_

#include "services/common/service_module.h"

namespace grantflow::awards {

// Name "awards". Needs workflow (every decision is asked of the engine
// first). Receives and sends no tasks.
ServiceModule AwardsModule();

}  // namespace grantflow::awards

#endif  // GRANTFLOW_SERVICES_AWARDS_MODULE_H_
