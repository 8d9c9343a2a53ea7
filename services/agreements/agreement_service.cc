#include "services/agreements/agreement_service.h"

namespace grantflow::agreements {

#define GRANTFLOW_DEFINE(Method, Req, Resp)                                 \
  GRANTFLOW_DEFINE_RPC(AgreementServiceImpl,                                \
                       "grantflow.agreements.v1.AgreementService", domain_, \
                       Method, Req, Resp)
GRANTFLOW_AGREEMENTS_RPCS(GRANTFLOW_DEFINE)
#undef GRANTFLOW_DEFINE

}  // namespace grantflow::agreements
