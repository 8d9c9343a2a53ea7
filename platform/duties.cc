#include "platform/duties.h"

#include <cstdlib>
#include <iostream>
#include <optional>

#include "absl/strings/str_cat.h"
#include "platform/auth.h"
#include "platform/errors.h"
#include "platform/reasons.h"

namespace grantflow::duties {

const std::vector<Pair>& Pairs() {
  static const auto* pairs = new std::vector<Pair>{
      {Duty::kRecommendAward, Duty::kApproveAward, "recommended",
       "approve the award"},
      {Duty::kIssueAgreement, Duty::kCountersignAgreement, "issued",
       "countersign it"},
      {Duty::kSignForRecipient, Duty::kSignForFunder,
       "is the recipient's signatory of", "sign it for the funder too"},
      {Duty::kRequestPayment, Duty::kApprovePayment, "requested", "approve it"},
      {Duty::kChangeBankDetails, Duty::kVerifyBankDetails,
       "recorded the details of", "verify them"},
      {Duty::kFailCheck, Duty::kDecideReferral, "failed",
       "decide its referral"},
  };
  return *pairs;
}

absl::Status Check(Duty second, absl::string_view first_by,
                   absl::string_view person, absl::string_view resource) {
  const Pair* pair = nullptr;
  for (const Pair& p : Pairs()) {
    if (p.second == second) pair = &p;
  }
  if (pair == nullptr) {
    std::cerr << "duties::Check: duty " << static_cast<int>(second)
              << " is no pair's second duty\n";
    std::abort();
  }
  if (first_by.empty()) return absl::OkStatus();
  const std::optional<std::string> a = auth::CanonicalUser(first_by);
  const std::optional<std::string> b = auth::CanonicalUser(person);
  if (!a || !b || *a != *b) return absl::OkStatus();
  return errors::FailedPrecondition(
      reasons::kSeparationOfDuties,
      absl::StrCat(*b, " ", pair->first_words, " ", resource,
                   ", and so may not ", pair->second_words),
      {{"resource", std::string(resource)}});
}

}  // namespace grantflow::duties
