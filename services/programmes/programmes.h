// Domain logic of ProgrammeService: funds, budget lines and rounds.
//
// Plain C++ over the store: every method validates its request
// (INVALID_ARGUMENT naming each bad field, nothing written), applies the change
// in one atomic, audited write, and is safe to retry with the same request_id.
#ifndef GRANTFLOW_SERVICES_PROGRAMMES_PROGRAMMES_H_
#define GRANTFLOW_SERVICES_PROGRAMMES_PROGRAMMES_H_

#include <atomic>

#include "absl/status/statusor.h"
#include "grantflow/programmes/v1/programmes.pb.h"
#include "platform/call.h"
#include "platform/locks.h"
#include "platform/proto_table.h"
#include "services/programmes/ledger_client.h"
#include "storage/store.h"

namespace grantflow::programmes {

namespace pb = ::grantflow::programmes::v1;

// Lifecycle definitions a round may use: "standard" has an interview stage,
// "micro-grant" does not.
inline constexpr char kStandardDefinition[] = "standard";
inline constexpr char kMicroGrantDefinition[] = "micro-grant";

// What ReconcileLedger did.
struct ReconcileReport {
  int checked = 0;  // lines compared with the ledger
  int pushed = 0;   // registered with the ledger, which held an older one
  int adopted = 0;  // took the ledger's newer ceiling
  std::vector<std::string> problems;  // lines that could not be settled
};

// Thread-safe. Does not own the store or the ledger client, which must
// outlive it.
// Status codes: INVALID_ARGUMENT (bad fields), NOT_FOUND (unknown name),
// ALREADY_EXISTS (create with a taken id), ABORTED (etag mismatch, or the
// ledger moved on while a change ran), FAILED_PRECONDITION CEILING_BELOW_USE
// (a ceiling below what the ledger has reserved or committed), UNAVAILABLE
// (the ledger cannot be reached: budget-line changes need it), INTERNAL
// (storage).
//
// Budget lines and the ledger never disagree: a line's ceiling is registered
// with the ledger, synchronously, before it is recorded here, under a
// generation number that only grows, and the ledger applies a registration
// only when its generation is newer than the one it holds. If this service
// stops between the two (a crash), the ledger holds a newer generation than
// the line; ReconcileLedger then adopts it.
class Programmes {
 public:
  Programmes(storage::Store* store, LedgerClient* ledger);

  absl::StatusOr<pb::Fund> CreateFund(const Call& call,
                                      const pb::CreateFundRequest& req);
  absl::StatusOr<pb::Fund> GetFund(const Call& call,
                                   const pb::GetFundRequest& req);
  absl::StatusOr<pb::ListFundsResponse> ListFunds(
      const Call& call, const pb::ListFundsRequest& req);
  absl::StatusOr<pb::Fund> UpdateFund(const Call& call,
                                      const pb::UpdateFundRequest& req);

  absl::StatusOr<pb::BudgetLine> CreateBudgetLine(
      const Call& call, const pb::CreateBudgetLineRequest& req);
  absl::StatusOr<pb::BudgetLine> GetBudgetLine(
      const Call& call, const pb::GetBudgetLineRequest& req);
  absl::StatusOr<pb::ListBudgetLinesResponse> ListBudgetLines(
      const Call& call, const pb::ListBudgetLinesRequest& req);
  absl::StatusOr<pb::BudgetLine> UpdateBudgetLine(
      const Call& call, const pb::UpdateBudgetLineRequest& req);

  absl::StatusOr<pb::Round> CreateRound(const Call& call,
                                        const pb::CreateRoundRequest& req);
  absl::StatusOr<pb::Round> GetRound(const Call& call,
                                     const pb::GetRoundRequest& req);
  absl::StatusOr<pb::ListRoundsResponse> ListRounds(
      const Call& call, const pb::ListRoundsRequest& req);
  absl::StatusOr<pb::Round> UpdateRound(const Call& call,
                                        const pb::UpdateRoundRequest& req);

  // Settles every budget line with the ledger (see the class comment). Run
  // at start-up and from time to time; safe at any moment, concurrently with
  // changes. Returns INTERNAL only for this store's errors; lines the ledger
  // cannot settle now are listed in the report and tried again next time.
  absl::StatusOr<ReconcileReport> ReconcileLedger(absl::Time now);
  // True when a registration's outcome was unknown (the ledger did not
  // answer: it may have applied it) and no reconciliation has run since.
  bool Unsettled() const { return unsettled_; }

 private:
  // Registers `ceiling` for `line` with the ledger under a generation newer
  // than both `local_generation` and the ledger's; returns that generation.
  absl::StatusOr<int64_t> RegisterCeiling(const std::string& line,
                                          int64_t ceiling,
                                          int64_t local_generation,
                                          absl::Time now);
  // Settles one line; counts what it did in `report`.
  absl::Status ReconcileLine(const std::string& key, const std::string& name,
                             absl::Time now, ReconcileReport* report);
  // Checks that each named budget line exists and belongs to `fund_id`.
  absl::Status CheckRoundBudgetLines(const pb::Round& round,
                                     const std::string& fund_id,
                                     errors::Violations* v) const;
  absl::Status RequireFund(const std::string& fund_id) const;

  storage::Store* store_;
  LedgerClient* ledger_;
  LockTable line_locks_;  // one change per budget line at a time
  std::atomic<bool> unsettled_{false};
  ProtoTable<pb::Fund> funds_;
  ProtoTable<pb::BudgetLine> lines_;
  ProtoTable<pb::Round> rounds_;
};

// Field checks, exposed for unit tests. Each adds violations under `prefix`.
void ValidateFund(const pb::Fund& fund, const std::string& prefix,
                  errors::Violations* v);
void ValidateBudgetLine(const pb::BudgetLine& line, const std::string& prefix,
                        errors::Violations* v);
void ValidateRound(const pb::Round& round, const std::string& prefix,
                   errors::Violations* v);

}  // namespace grantflow::programmes

#endif  // GRANTFLOW_SERVICES_PROGRAMMES_PROGRAMMES_H_
