// ProgrammeService as a hostable service: funds, budget lines and rounds on
// their own store, budget lines kept settled with the engine's ledger, and
// the service's declarations for the host.
#ifndef GRANTFLOW_SERVICES_PROGRAMMES_MODULE_H_
#define GRANTFLOW_SERVICES_PROGRAMMES_MODULE_H_

#include "services/common/service_module.h"

namespace grantflow::programmes {

// Name "programmes". Needs workflow (ceilings are registered with the
// ledger). Receives and sends no tasks. Background: settles budget lines
// with the ledger at start-up (the first pass), every
// HostSettings::reconcile_interval once they agree, every couple of seconds
// while some do not, and whenever forced.
ServiceModule ProgrammesModule();

}  // namespace grantflow::programmes

#endif  // GRANTFLOW_SERVICES_PROGRAMMES_MODULE_H_
