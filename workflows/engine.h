// The workflow engine: one durable case per application, advanced by facts
// under a versioned lifecycle definition, and the ledger that keeps the
// money. R1-R4 (and R5's award half) are checked here, inside the same
// atomic write that changes the case:
//   R1 a payment is authorised only against an executed agreement: signed by
//      the recipient and countersigned by the funder, by different people,
//      on the same document hash, and that hash is the current version's;
//   R2 paid + pending never exceed the award;
//   R3 reserved + committed never exceed a budget line's ceiling;
//   R4 the agreement is issued only after due diligence (and safeguarding
//      when the project works with children or adults at risk); open
//      conditions block issue and payment;
//   R5 whoever recommends an award cannot approve it, and approvers act
//      within their delegated limit.
// No definition can switch these off: they are keyed by fact, in code.
//
// Every command is one synced atomic write holding the case, its history
// event, index changes, ledger rows, timers, outbox tasks, the idempotency
// record and the audit entry. Commands on one case are serialised; commands
// on different cases run concurrently and share fsyncs.
#ifndef GRANTFLOW_WORKFLOWS_ENGINE_H_
#define GRANTFLOW_WORKFLOWS_ENGINE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grantflow/workflow/v1/workflow.pb.h"
#include "services/common/call.h"
#include "services/common/proto_table.h"
#include "storage/store.h"
#include "workflows/definitions.h"
#include "workflows/locks.h"
#include "workflows/outbox.h"

namespace grantflow::workflows {

// Thread-safe. Does not own the store or the registry; both must outlive it.
// Status codes: INVALID_ARGUMENT (bad fields, unknown fact), NOT_FOUND,
// PERMISSION_DENIED (role may not record the fact), ABORTED (etag),
// FAILED_PRECONDITION with reasons INVALID_TRANSITION, BUDGET_EXCEEDED,
// BUDGET_LINE_UNKNOWN, SEPARATION_OF_DUTIES, DELEGATED_LIMIT_EXCEEDED,
// CHECKS_INCOMPLETE, CONDITIONS_OPEN, DOCUMENT_MISMATCH, AGREEMENT_NOT_SIGNED,
// AGREEMENT_NOT_EXECUTED, REPORT_OUTSTANDING, EXCEEDS_AWARD,
// PAYMENT_NOT_SCHEDULED, PAYMENTS_PENDING, CASE_CLOSED, CEILING_BELOW_USE.
class Engine {
 public:
  Engine(storage::Store* store, const DefinitionRegistry* definitions,
         OutboxOptions outbox_options = {});

  absl::StatusOr<wpb::Case> StartCase(const Call& call,
                                      const wpb::StartCaseRequest& req);
  absl::StatusOr<wpb::Case> RecordFact(const Call& call,
                                       const wpb::RecordFactRequest& req);
  absl::StatusOr<wpb::Case> GetCase(const Call& call,
                                    const wpb::GetCaseRequest& req);
  absl::StatusOr<wpb::ListCasesResponse> ListCases(
      const Call& call, const wpb::ListCasesRequest& req);
  absl::StatusOr<wpb::GetHistoryResponse> GetHistory(
      const Call& call, const wpb::GetHistoryRequest& req);

  // Creates or updates a line's ceiling; a ceiling below what is already
  // reserved + committed is refused (CEILING_BELOW_USE).
  absl::StatusOr<wpb::LedgerLine> RegisterBudgetLine(
      const Call& call, const wpb::RegisterBudgetLineRequest& req);
  absl::StatusOr<wpb::LedgerLine> GetLedgerLine(
      const Call& call, const wpb::GetLedgerLineRequest& req);
  absl::StatusOr<wpb::ListLedgerResponse> ListLedger(
      const Call& call, const wpb::ListLedgerRequest& req);

  absl::StatusOr<wpb::Payment> AuthorizePayment(
      const Call& call, const wpb::AuthorizePaymentRequest& req);
  absl::StatusOr<wpb::Payment> ConfirmPayment(
      const Call& call, const wpb::ConfirmPaymentRequest& req);
  absl::StatusOr<wpb::Payment> VoidPayment(const Call& call,
                                           const wpb::VoidPaymentRequest& req);

  absl::StatusOr<wpb::ListTasksResponse> ListTasks(
      const Call& call, const wpb::ListTasksRequest& req);
  absl::StatusOr<wpb::Task> RetryTask(const Call& call,
                                      const wpb::RetryTaskRequest& req);

  // Fires every timer due at or before `now` (at most `limit`) as an
  // ordinary idempotent command. Returns how many fired.
  absl::StatusOr<int> FireDueTimers(absl::Time now, int limit = 100);

  Outbox& outbox() { return outbox_; }

 private:
  struct Loaded;
  absl::StatusOr<wpb::Case> Apply(const Call& call,
                                  const wpb::RecordFactRequest& req,
                                  const wpb::TimerEntry* timer,
                                  const std::string& timer_key);
  template <typename Req>
  absl::StatusOr<wpb::Payment> PaymentCommand(
      const Call& call, const Req& req, const std::string& payment_id,
      const std::string& kind,
      absl::FunctionRef<absl::Status(wpb::Case&, wpb::Payment*,
                                     std::vector<wpb::LedgerLine>&)>
          change);
  absl::StatusOr<std::vector<Versioned<wpb::LedgerLine>>> LoadLines(
      const std::vector<std::string>& names) const;

  storage::Store* store_;
  const DefinitionRegistry* definitions_;
  Outbox outbox_;
  ProtoTable<wpb::Case> cases_;
  ProtoTable<wpb::LedgerLine> ledger_;
  LockTable case_locks_;
  LockTable line_locks_;
};

}  // namespace grantflow::workflows

#endif  // GRANTFLOW_WORKFLOWS_ENGINE_H_
