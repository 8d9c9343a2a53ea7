// Domain logic of ProgrammeService: funds, budget lines and rounds.
//
// Plain C++ over the store: every method validates its request
// (INVALID_ARGUMENT naming each bad field, nothing written), applies the change
// in one atomic, audited write, and is safe to retry with the same request_id.
#ifndef GRANTFLOW_SERVICES_PROGRAMMES_PROGRAMMES_H_
#define GRANTFLOW_SERVICES_PROGRAMMES_PROGRAMMES_H_

#include "absl/status/statusor.h"
#include "grantflow/programmes/v1/programmes.pb.h"
#include "services/common/call.h"
#include "services/common/proto_table.h"
#include "storage/store.h"

namespace grantflow::programmes {

namespace pb = ::grantflow::programmes::v1;

// Outbox task that registers a budget line's ceiling with the engine's
// ledger; its payload is a workflow RegisterBudgetLineRequest.
inline constexpr char kRegisterBudgetLineTask[] =
    "workflow.register_budget_line";

// Lifecycle definitions a round may use: "standard" has an interview stage,
// "micro-grant" does not.
inline constexpr char kStandardDefinition[] = "standard";
inline constexpr char kMicroGrantDefinition[] = "micro-grant";

// Thread-safe. Does not own the store, which must outlive it.
// Status codes: INVALID_ARGUMENT (bad fields), NOT_FOUND (unknown name),
// ALREADY_EXISTS (create with a taken id), ABORTED (etag mismatch),
// INTERNAL (storage).
class Programmes {
 public:
  explicit Programmes(storage::Store* store);

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

 private:
  // Checks that each named budget line exists and belongs to `fund_id`.
  absl::Status CheckRoundBudgetLines(const pb::Round& round,
                                     const std::string& fund_id,
                                     errors::Violations* v) const;
  absl::Status RequireFund(const std::string& fund_id) const;

  storage::Store* store_;
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
