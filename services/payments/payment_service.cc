#include "services/payments/payment_service.h"

namespace grantflow::payments {

#define GRANTFLOW_DEFINE(Method, Req, Resp)                             \
  GRANTFLOW_DEFINE_RPC(PaymentServiceImpl,                              \
                       "grantflow.payments.v1.PaymentService", domain_, \
                       Method, Req, Resp)
GRANTFLOW_PAYMENTS_RPCS(GRANTFLOW_DEFINE)
#undef GRANTFLOW_DEFINE

}  // namespace grantflow::payments
