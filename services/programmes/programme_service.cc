#include "services/programmes/programme_service.h"

namespace grantflow::programmes {

#define GRANTFLOW_DEFINE(Method, Req, Resp)                                 \
  GRANTFLOW_DEFINE_RPC(ProgrammeServiceImpl,                                \
                       "grantflow.programmes.v1.ProgrammeService", domain_, \
                       Method, Req, Resp)
GRANTFLOW_PROGRAMME_RPCS(GRANTFLOW_DEFINE)
#undef GRANTFLOW_DEFINE

}  // namespace grantflow::programmes
