// PaymentService's domain internals shared by its source files
// (accounts.cc: bank accounts; payments.cc: requests, approval and the
// bank's answer; remittance.cc: batches and their CSV). Not part of the
// service's interface.
#ifndef GRANTFLOW_SERVICES_PAYMENTS_INTERNAL_H_
#define GRANTFLOW_SERVICES_PAYMENTS_INTERNAL_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "platform/errors.h"
#include "platform/reasons.h"
#include "services/payments/payments.h"

namespace grantflow::payments {

inline constexpr size_t kMaxNoteChars = 2000;

// FAILED_PRECONDITION (PAYMENT_STATE): `p`'s state does not allow `step`.
inline absl::Status NotInState(const pb::Payment& p, const std::string& step) {
  const std::string state = pb::Payment::State_Name(p.state());
  return errors::FailedPrecondition(
      reasons::kPaymentState, absl::StrCat(p.name(), " is ", state, "; ", step),
      {{"state", state}});
}

}  // namespace grantflow::payments

#endif  // GRANTFLOW_SERVICES_PAYMENTS_INTERNAL_H_
