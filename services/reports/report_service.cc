#include "services/reports/report_service.h"

namespace grantflow::reports {

#define GRANTFLOW_DEFINE(Method, Req, Resp)                                   \
  GRANTFLOW_DEFINE_RPC(ReportServiceImpl,                                     \
                       "grantflow.reports.v1.ReportService", domain_, Method, \
                       Req, Resp)
GRANTFLOW_REPORTS_RPCS(GRANTFLOW_DEFINE)
#undef GRANTFLOW_DEFINE

}  // namespace grantflow::reports
