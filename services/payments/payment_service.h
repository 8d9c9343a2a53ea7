// gRPC adapter for PaymentService: authentication, authorisation and status
// translation only; the logic is in payments.h.
#ifndef GRANTFLOW_SERVICES_PAYMENTS_PAYMENT_SERVICE_H_
#define GRANTFLOW_SERVICES_PAYMENTS_PAYMENT_SERVICE_H_

#include "grantflow/payments/v1/payments.grpc.pb.h"
#include "services/common/call.h"
#include "services/payments/payments.h"

// The service's RPCs: X(Method, Request, Response).
#define GRANTFLOW_PAYMENTS_RPCS(X)                                          \
  X(ChangeBankAccount, pb::ChangeBankAccountRequest, pb::BankAccount)       \
  X(VerifyBankAccount, pb::VerifyBankAccountRequest, pb::BankAccount)       \
  X(RejectBankAccountChange, pb::RejectBankAccountChangeRequest,            \
    pb::BankAccount)                                                        \
  X(GetBankAccount, pb::GetBankAccountRequest, pb::BankAccount)             \
  X(RequestPayment, pb::RequestPaymentRequest, pb::Payment)                 \
  X(ApprovePayment, pb::ApprovePaymentRequest, pb::Payment)                 \
  X(RejectPayment, pb::RejectPaymentRequest, pb::Payment)                   \
  X(GetPayment, pb::GetPaymentRequest, pb::Payment)                         \
  X(ListPayments, pb::ListPaymentsRequest, pb::ListPaymentsResponse)        \
  X(ReleasePayments, pb::ReleasePaymentsRequest, pb::RemittanceBatch)       \
  X(ConfirmPayment, pb::ConfirmPaymentRequest, pb::Payment)                 \
  X(FailPayment, pb::FailPaymentRequest, pb::Payment)                       \
  X(GetRemittanceBatch, pb::GetRemittanceBatchRequest, pb::RemittanceBatch) \
  X(ListRemittanceBatches, pb::ListRemittanceBatchesRequest,                \
    pb::ListRemittanceBatchesResponse)                                      \
  X(ExportRemittance, pb::ExportRemittanceRequest, pb::RemittanceFile)

namespace grantflow::payments {

// Thread-safe. Does not own `domain`, which must outlive the service.
class PaymentServiceImpl final : public pb::PaymentService::Service {
 public:
  PaymentServiceImpl(Payments* domain, CallEnv env)
      : domain_(domain), env_(env) {}

  GRANTFLOW_PAYMENTS_RPCS(GRANTFLOW_DECLARE_RPC)

 private:
  Payments* domain_;
  CallEnv env_;
};

}  // namespace grantflow::payments

#endif  // GRANTFLOW_SERVICES_PAYMENTS_PAYMENT_SERVICE_H_
