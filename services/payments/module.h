// PaymentService as a hostable service: bank accounts, payments and
// remittance batches on their own store, and the service's declarations for
// the host.
#ifndef GRANTFLOW_SERVICES_PAYMENTS_MODULE_H_
#define GRANTFLOW_SERVICES_PAYMENTS_MODULE_H_

#include "services/common/service_module.h"

namespace grantflow::payments {

// Name "payments". Needs workflow (every payment is authorised, posted or
// voided by the engine), agreements (the executed schedule) and
// applications (the organisations bank accounts belong to). Receives and
// sends no tasks.
ServiceModule PaymentsModule();

}  // namespace grantflow::payments

#endif  // GRANTFLOW_SERVICES_PAYMENTS_MODULE_H_
