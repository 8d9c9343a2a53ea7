#include "services/applications/application_service.h"

namespace grantflow::applications {

#define GRANTFLOW_DEFINE(Method, Req, Resp)                            \
  GRANTFLOW_DEFINE_RPC(ApplicationServiceImpl,                         \
                       "grantflow.applications.v1.ApplicationService", \
                       domain_, Method, Req, Resp)
GRANTFLOW_APPLICATION_RPCS(GRANTFLOW_DEFINE)
#undef GRANTFLOW_DEFINE

}  // namespace grantflow::applications
