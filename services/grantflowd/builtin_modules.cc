#include "services/grantflowd/builtin_modules.h"

#include "services/agreements/module.h"
#include "services/applications/module.h"
#include "services/assessment/module.h"
#include "services/awards/module.h"
#include "services/duediligence/module.h"
#include "services/payments/module.h"
#include "services/programmes/module.h"
#include "services/reports/module.h"
#include "services/safeguarding/module.h"
#include "services/workflow/module.h"

namespace grantflow {

std::vector<ServiceModule> BuiltInModules() {
  return {
      programmes::ProgrammesModule(),     applications::ApplicationsModule(),
      assessment::AssessmentModule(),     duediligence::DueDiligenceModule(),
      safeguarding::SafeguardingModule(), awards::AwardsModule(),
      agreements::AgreementsModule(),     payments::PaymentsModule(),
      reports::ReportsModule(),           workflows::WorkflowModule(),
  };
}

}  // namespace grantflow
