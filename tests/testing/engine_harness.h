// An engine over a real RocksDB store in a temp dir, with the shipped
// definitions, and helpers that drive a case through its lifecycle.
#ifndef GRANTFLOW_TESTS_TESTING_ENGINE_HARNESS_H_
#define GRANTFLOW_TESTS_TESTING_ENGINE_HARNESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "platform/call.h"
#include "platform/money.h"
#include "storage/store.h"
#include "workflows/engine.h"

namespace grantflow::testing {

namespace wpb = ::grantflow::workflow::v1;

// SHA-256 hex strings standing for agreement documents.
inline constexpr char kDocV1[] =
    "1111111111111111111111111111111111111111111111111111111111111111";
inline constexpr char kDocV2[] =
    "2222222222222222222222222222222222222222222222222222222222222222";

// The organisation every harness case applies for, and its round.
inline constexpr char kOrg[] = "organisations/hackney-families";
inline constexpr char kRound[] = "funds/lff/rounds/r1";

class EngineHarness {
 public:
  // Opens (or reopens) the store at `path`. The directory knows round r1
  // (awards of £0.01 to £1,000,000 on every line registered through Line())
  // and kOrg, whose authorised signatory is amira.
  explicit EngineHarness(const std::string& path, bool sync = true);
  // The same on a store opened with `options` (a power-loss file system).
  explicit EngineHarness(const storage::StoreOptions& options);

  workflows::Engine& engine() { return *engine_; }
  workflows::StaticDirectory& directory() { return directory_; }
  storage::Store& store() { return *store_; }
  absl::Time now = absl::FromUnixSeconds(1777626000);

  Call As(const std::string& user, std::vector<std::string> roles,
          int64_t approve_limit = 0) const;
  Call Officer() const { return As("grace", {"grants_officer"}); }
  Call Approver() const { return As("ade", {"approver"}, 100'000'000); }
  Call Signatory() const {
    Call c = As("amira", {"signatory"});
    c.principal.organisation = kOrg;
    return c;
  }
  // A finance approver who may approve payments up to the largest amount.
  Call Finance() const {
    Call c = As("fin", {"finance_approver", "finance_officer"});
    c.principal.limits_pence["pay"] = kMaxAmountPence;
    return c;
  }
  Call Safeguarding() const { return As("sam", {"safeguarding_officer"}); }

  // Registers (or re-registers, with a newer generation) a ledger line and
  // adds it to round r1's budget lines.
  absl::StatusOr<wpb::LedgerLine> Line(const std::string& name,
                                       int64_t ceiling);
  // Adds a line (registered some other way) to round r1's budget lines.
  void AddToRound(const std::string& line);
  // Starts a case for kOrg in round r1 asking for `requested` pence.
  absl::StatusOr<wpb::Case> Start(const std::string& app_id,
                                  const std::string& definition = "standard",
                                  bool safeguarding = false,
                                  int64_t requested = 50'000'000);
  // A fact a service records (an assessment stage as AssessmentService
  // does, a check's outcome as DueDiligenceService does): as the service
  // identity, on `person`'s behalf.
  absl::StatusOr<wpb::Case> ServiceFact(const std::string& person,
                                        const std::string& case_id,
                                        const std::string& fact,
                                        const std::string& request_id = "",
                                        wpb::FactPayload payload = {});
  // A fact a service records for `person` as their token showed them
  // (AwardService's decisions with the approver's limits, AgreementService's
  // signatures with the signer's roles and organisation): as the service
  // identity, on their behalf, with their roles, organisation and limits.
  absl::StatusOr<wpb::Case> Decide(const Call& person,
                                   const std::string& case_id,
                                   const std::string& fact,
                                   wpb::FactPayload payload = {},
                                   const std::string& request_id = "");
  absl::StatusOr<wpb::Case> Fact(const Call& who, const std::string& case_id,
                                 const std::string& fact,
                                 wpb::FactPayload payload = {},
                                 const std::string& request_id = "");
  // Drives a started standard case to RECOMMENDED (by the officer).
  absl::Status ToRecommended(const std::string& case_id);
  // ... then approves `pence` on `line` and passes due diligence (and
  // safeguarding when required), landing in PRE_AGREEMENT_CHECKS.
  absl::Status ToChecksPassed(const std::string& case_id, int64_t pence,
                              const std::string& line);
  // ... issues kDocV1, the recipient signs, the funder countersigns.
  absl::Status ToExecuted(const std::string& case_id,
                          wpb::FactPayload execute_payload = {});

  absl::StatusOr<wpb::Payment> Authorize(const std::string& case_id,
                                         const std::string& payment_id,
                                         int64_t pence);
  absl::StatusOr<wpb::Payment> Confirm(const std::string& case_id,
                                       const std::string& payment_id);

  std::string NextRequestId();

 private:
  std::unique_ptr<storage::Store> store_;
  workflows::DefinitionRegistry definitions_;
  workflows::StaticDirectory directory_;
  workflows::RoundTerms round_;
  int64_t generation_ = 0;
  std::unique_ptr<workflows::Engine> engine_;
  int request_counter_ = 0;
};

}  // namespace grantflow::testing

#endif  // GRANTFLOW_TESTS_TESTING_ENGINE_HARNESS_H_
