#include "workflows/directory.h"

#include "absl/strings/str_cat.h"

namespace grantflow::workflows {

absl::StatusOr<RoundTerms> StaticDirectory::GetRound(const std::string& round) {
  absl::MutexLock l(&mu_);
  auto it = rounds_.find(round);
  if (it == rounds_.end()) {
    return absl::NotFoundError(absl::StrCat("round ", round, " not found"));
  }
  return it->second;
}

absl::StatusOr<std::set<std::string>> StaticDirectory::Signatories(
    const std::string& organisation) {
  absl::MutexLock l(&mu_);
  auto it = signatories_.find(organisation);
  if (it == signatories_.end()) {
    return absl::NotFoundError(
        absl::StrCat("organisation ", organisation, " not found"));
  }
  return it->second;
}

}  // namespace grantflow::workflows
