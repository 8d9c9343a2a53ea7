// Separation of duties (rule R5) in one place: the pairs of duties one
// person never does both of, and the one check every service and the engine
// apply. Adding a pair here is the whole of declaring it; the code that does
// the second duty calls Check with who did the first.
#ifndef GRANTFLOW_PLATFORM_DUTIES_H_
#define GRANTFLOW_PLATFORM_DUTIES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace grantflow::duties {

enum class Duty {
  kRecommendAward,
  kApproveAward,
  kIssueAgreement,
  kCountersignAgreement,
  kSignForRecipient,
  kSignForFunder,
  kRequestPayment,
  kApprovePayment,
  kChangeBankDetails,
  kVerifyBankDetails,
  kFailCheck,
  kDecideReferral,
};

// Whoever did `first` may not do `second` on the same resource.
struct Pair {
  Duty first;
  Duty second;
  const char* first_words;   // "recommended", as in "ade recommended it"
  const char* second_words;  // "approve", as in "so may not approve it"
};

// Every separated pair. Immutable; thread-safe.
const std::vector<Pair>& Pairs();

// OK unless `person` did the duty that `second` is kept apart from: that is,
// unless `first_by` (whoever did it, as recorded) and `person` are one
// person by canonical identity (auth::CanonicalUser; "Ade" is "ade").
// FAILED_PRECONDITION with reason SEPARATION_OF_DUTIES naming both duties
// and `resource` otherwise. An empty `first_by` (not done yet) is OK.
// Aborts on a `second` that is no pair's second duty (a programming error).
absl::Status Check(Duty second, absl::string_view first_by,
                   absl::string_view person, absl::string_view resource);

}  // namespace grantflow::duties

#endif  // GRANTFLOW_PLATFORM_DUTIES_H_
