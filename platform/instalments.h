// How much of each instalment of a case's schedule is taken: the engine
// (authorising a payment, executing a variation) and AgreementService
// (validating a variation's terms) read a case's payments the same way.
#ifndef GRANTFLOW_PLATFORM_INSTALMENTS_H_
#define GRANTFLOW_PLATFORM_INSTALMENTS_H_

#include <cstdint>
#include <map>
#include <string>

#include "grantflow/workflow/v1/workflow.pb.h"

namespace grantflow {

// The instalment a payment pays: its instalment_id, or (for payments
// authorised before instalments and payments had separate ids) its own id.
const std::string& InstalmentOf(const workflow::v1::Payment& p);

// Per instalment, the payments not voided (pending or posted): what a
// variation must keep and what a new payment adds to. Each payment is
// within kMaxAmountPence and a case holds at most a few hundred, so the
// sums cannot wrap.
std::map<std::string, int64_t> TakenByInstalment(const workflow::v1::Case& c);

}  // namespace grantflow

#endif  // GRANTFLOW_PLATFORM_INSTALMENTS_H_
