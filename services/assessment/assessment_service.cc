#include "services/assessment/assessment_service.h"

namespace grantflow::assessment {

#define GRANTFLOW_DEFINE(Method, Req, Resp)                                  \
  GRANTFLOW_DEFINE_RPC(AssessmentServiceImpl,                                \
                       "grantflow.assessment.v1.AssessmentService", domain_, \
                       Method, Req, Resp)
GRANTFLOW_ASSESSMENT_RPCS(GRANTFLOW_DEFINE)
#undef GRANTFLOW_DEFINE

}  // namespace grantflow::assessment
