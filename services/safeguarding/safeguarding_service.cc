#include "services/safeguarding/safeguarding_service.h"

namespace grantflow::safeguarding {

#define GRANTFLOW_DEFINE(Method, Req, Resp)                             \
  GRANTFLOW_DEFINE_RPC(SafeguardingServiceImpl,                         \
                       "grantflow.safeguarding.v1.SafeguardingService", \
                       domain_, Method, Req, Resp)
GRANTFLOW_SAFEGUARDING_RPCS(GRANTFLOW_DEFINE)
#undef GRANTFLOW_DEFINE

}  // namespace grantflow::safeguarding
