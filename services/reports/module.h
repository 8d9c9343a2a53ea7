// ReportService as a hostable service: the grant register and open data,
// read from the services that own them.
#ifndef GRANTFLOW_SERVICES_REPORTS_MODULE_H_
#define GRANTFLOW_SERVICES_REPORTS_MODULE_H_

#include "services/common/service_module.h"

namespace grantflow::reports {

// Name "reports". Needs workflow, applications, awards and programmes (it
// reads each grant's parts from them). Keeps nothing in its store; receives
// and sends no tasks.
ServiceModule ReportsModule();

}  // namespace grantflow::reports

#endif  // GRANTFLOW_SERVICES_REPORTS_MODULE_H_
