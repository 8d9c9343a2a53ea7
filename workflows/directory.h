// What the engine asks other services, synchronously, when a rule depends on
// their records: a round's award terms (ProgrammeService) and who may sign
// for an organisation (ApplicationService). The engine keeps no copy of
// these, so it can never act on a stale one; the host supplies an
// implementation over gRPC, tests an in-memory one.
#ifndef GRANTFLOW_WORKFLOWS_DIRECTORY_H_
#define GRANTFLOW_WORKFLOWS_DIRECTORY_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace grantflow::workflows {

// The parts of a round an award must respect (rule R3 and the round's
// limits).
struct RoundTerms {
  int64_t min_award_pence = 0;
  int64_t max_award_pence = 0;
  std::vector<std::string> budget_lines;  // funds/{f}/budgetLines/{l}
  absl::Time close_time = absl::InfinitePast();
};

// Implementations are thread-safe. Each lookup may block on the network; the
// engine calls them before it takes any lock.
class Directory {
 public:
  virtual ~Directory() = default;
  // NOT_FOUND when the round does not exist; UNAVAILABLE when its service
  // cannot be reached.
  virtual absl::StatusOr<RoundTerms> GetRound(const std::string& round) = 0;
  // The organisation's authorised signatories as canonical user names.
  // NOT_FOUND when the organisation does not exist; UNAVAILABLE when its
  // service cannot be reached.
  virtual absl::StatusOr<std::set<std::string>> Signatories(
      const std::string& organisation) = 0;
};

// A directory held in memory, for unit tests and benchmarks. Thread-safe.
class StaticDirectory final : public Directory {
 public:
  void SetRound(const std::string& round, RoundTerms terms) {
    absl::MutexLock l(&mu_);
    rounds_[round] = std::move(terms);
  }
  void SetSignatories(const std::string& org, std::set<std::string> users) {
    absl::MutexLock l(&mu_);
    signatories_[org] = std::move(users);
  }
  absl::StatusOr<RoundTerms> GetRound(const std::string& round) override;
  absl::StatusOr<std::set<std::string>> Signatories(
      const std::string& organisation) override;

 private:
  absl::Mutex mu_;
  std::map<std::string, RoundTerms> rounds_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::set<std::string>> signatories_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace grantflow::workflows

#endif  // GRANTFLOW_WORKFLOWS_DIRECTORY_H_
