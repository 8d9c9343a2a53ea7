#include "platform/instalments.h"

namespace grantflow {

const std::string& InstalmentOf(const workflow::v1::Payment& p) {
  return p.instalment_id().empty() ? p.payment_id() : p.instalment_id();
}

std::map<std::string, int64_t> TakenByInstalment(const workflow::v1::Case& c) {
  std::map<std::string, int64_t> out;
  for (const workflow::v1::Payment& p : c.payments()) {
    if (p.state() != workflow::v1::Payment::VOIDED) {
      out[InstalmentOf(p)] += p.amount_pence();
    }
  }
  return out;
}

}  // namespace grantflow
