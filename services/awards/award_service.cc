#include "services/awards/award_service.h"

namespace grantflow::awards {

#define GRANTFLOW_DEFINE(Method, Req, Resp)                                  \
  GRANTFLOW_DEFINE_RPC(AwardServiceImpl, "grantflow.awards.v1.AwardService", \
                       domain_, Method, Req, Resp)
GRANTFLOW_AWARDS_RPCS(GRANTFLOW_DEFINE)
#undef GRANTFLOW_DEFINE

}  // namespace grantflow::awards
