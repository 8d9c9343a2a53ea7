// AssessmentService as a hostable service: assessments on their own store,
// and the service's declarations for the host.
#ifndef GRANTFLOW_SERVICES_ASSESSMENT_MODULE_H_
#define GRANTFLOW_SERVICES_ASSESSMENT_MODULE_H_

#include "services/common/service_module.h"

namespace grantflow::assessment {

// Name "assessment". Needs programmes (a round's rules and criteria) and
// workflow (screening decisions are asked of the engine first). Receives
// tasks::kOpenAssessment (from ApplicationService, on submission) and
// tasks::kAssessmentCaseOutcome (from the engine, on withdrawal). Sends no
// tasks.
ServiceModule AssessmentModule();

}  // namespace grantflow::assessment

#endif  // GRANTFLOW_SERVICES_ASSESSMENT_MODULE_H_
