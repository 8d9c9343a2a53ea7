#include "services/duediligence/duediligence_service.h"

namespace grantflow::duediligence {

#define GRANTFLOW_DEFINE(Method, Req, Resp)                             \
  GRANTFLOW_DEFINE_RPC(DueDiligenceServiceImpl,                         \
                       "grantflow.duediligence.v1.DueDiligenceService", \
                       domain_, Method, Req, Resp)
GRANTFLOW_DUEDILIGENCE_RPCS(GRANTFLOW_DEFINE)
#undef GRANTFLOW_DEFINE

}  // namespace grantflow::duediligence
