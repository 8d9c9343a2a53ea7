// The workflow engine: one durable case per application, advanced by facts
// under a versioned lifecycle definition, and the ledger that keeps the
// money. R1-R4 and R5 are checked here, inside the same
// atomic write that changes the case:
//   R1 a payment is authorised only against an executed agreement: signed by
//      the recipient and countersigned by the funder, by different people,
//      on the same document hash, and that hash is the current version's;
//      The recipient's signature comes from an authorised signatory of the
//      case's own organisation (its records, asked through the Directory);
//      the countersignature from funder staff, never an organisation's user;
//   R2 paid + pending never exceed the award; every amount is capped at
//      kMaxAmountPence and every sum is overflow-checked; no total is ever
//      negative (checked before every write, INTERNAL if it would be);
//   R3 reserved + committed never exceed a budget line's ceiling; an award
//      stays within what was requested, the round's limits and the budget
//      lines the round draws on;
//   R4 the agreement is issued only after due diligence (and safeguarding
//      when the project works with children or adults at risk); open
//      conditions block issue and payment;
//   R5 whoever recommends an award cannot approve it, whoever requests a
//      payment cannot authorise it, and approvers act within their
//      delegated limit ("approve" for awards, "pay" for payments).
// No definition can switch these off: they are keyed by fact, in code.
//
// Every command is one synced atomic write holding the case, its history
// event, index changes, ledger rows, timers, outbox tasks, the idempotency
// record and the audit entry. Commands on one case are serialised; commands
// on different cases run concurrently and share fsyncs.
#ifndef GRANTFLOW_WORKFLOWS_ENGINE_H_
#define GRANTFLOW_WORKFLOWS_ENGINE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grantflow/workflow/v1/workflow.pb.h"
#include "platform/call.h"
#include "platform/locks.h"
#include "platform/outbox.h"
#include "platform/personal_data.h"
#include "platform/proto_table.h"
#include "platform/resources.h"
#include "storage/store.h"
#include "workflows/definitions.h"
#include "workflows/directory.h"

namespace grantflow::workflows {

// Bounds on what one case may hold, so no caller can grow a case (or a page
// of cases) past what a gRPC message carries.
// (kMaxReasonChars, the longest reason or description, is
// platform/resources.h.)
inline constexpr int kMaxAllocations = 10;
inline constexpr int kMaxConditions = 20;
inline constexpr int kMaxInstalments = 50;
inline constexpr int kMaxReports = 50;
inline constexpr int kMaxPayments = 200;
inline constexpr size_t kMaxCaseBytes = 256 * 1024;

// Thread-safe. Does not own the store, the registry or the directory; all
// must outlive it.
// Status codes: INVALID_ARGUMENT (bad fields, unknown fact), NOT_FOUND,
// PERMISSION_DENIED (role may not record the fact), ABORTED (etag),
// FAILED_PRECONDITION with reasons INVALID_TRANSITION, BUDGET_EXCEEDED,
// BUDGET_LINE_UNKNOWN, SEPARATION_OF_DUTIES, DELEGATED_LIMIT_EXCEEDED,
// CHECKS_INCOMPLETE, CONDITIONS_OPEN, DOCUMENT_MISMATCH, AGREEMENT_NOT_SIGNED,
// AGREEMENT_NOT_EXECUTED, REPORT_OUTSTANDING, EXCEEDS_AWARD,
// PAYMENT_NOT_SCHEDULED, PAYMENTS_PENDING, CASE_CLOSED, CEILING_BELOW_USE,
// GENERATION_CONFLICT, CASE_TOO_LARGE; PERMISSION_DENIED with reasons
// NOT_RECIPIENT_SIGNATORY and NOT_FUNDER_STAFF for signatures; UNAVAILABLE
// when the Directory cannot answer.
class Engine {
 public:
  Engine(storage::Store* store, const DefinitionRegistry* definitions,
         Directory* directory, OutboxOptions outbox_options = {});

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

  // Creates or updates a line's ceiling when the request's generation is
  // newer than the line's (see RegisterBudgetLineRequest); a ceiling below
  // what is already reserved + committed is refused (CEILING_BELOW_USE).
  absl::StatusOr<wpb::LedgerLine> RegisterBudgetLine(
      const Call& call, const wpb::RegisterBudgetLineRequest& req);
  absl::StatusOr<wpb::LedgerLine> GetLedgerLine(
      const Call& call, const wpb::GetLedgerLineRequest& req);
  absl::StatusOr<wpb::ListLedgerResponse> ListLedger(
      const Call& call, const wpb::ListLedgerRequest& req);
  // Where the fund's money is: its lines as the ledger holds them, summed,
  // and each round's pipeline (cases by state; requested, recommended,
  // awarded and paid). INVALID_ARGUMENT for a bad fund name;
  // PERMISSION_DENIED outside the caller's funds. Reads every case of the
  // fund, a batch at a time (a report, not a hot path).
  absl::StatusOr<wpb::FundDashboard> GetFundDashboard(
      const Call& call, const wpb::GetFundDashboardRequest& req);

  // The payment commands, PaymentService's on a finance person's behalf.
  // AuthorizePayment: PERMISSION_DENIED unless the approver (acting) is a
  // finance approver; FAILED_PRECONDITION with SEPARATION_OF_DUTIES,
  // DELEGATED_LIMIT_EXCEEDED, CASE_CLOSED, AGREEMENT_NOT_EXECUTED,
  // CONDITIONS_OPEN, REPORT_OUTSTANDING, EXCEEDS_AWARD,
  // PAYMENT_NOT_SCHEDULED or EXCEEDS_INSTALMENT; ALREADY_EXISTS for a
  // payment id the case has. Confirm/Void: PAYMENT_NOT_PENDING.
  absl::StatusOr<wpb::Payment> AuthorizePayment(
      const Call& call, const wpb::AuthorizePaymentRequest& req);
  absl::StatusOr<wpb::Payment> ConfirmPayment(
      const Call& call, const wpb::ConfirmPaymentRequest& req);
  absl::StatusOr<wpb::Payment> VoidPayment(const Call& call,
                                           const wpb::VoidPaymentRequest& req);

  absl::StatusOr<opb::ListTasksResponse> ListTasks(
      const Call& call, const opb::ListTasksRequest& req);
  absl::StatusOr<opb::Task> RetryTask(const Call& call,
                                      const opb::RetryTaskRequest& req);

  // Fires every timer due at or before `now` (at most `limit`) as an
  // ordinary idempotent command. Returns how many fired. A ROUND_CLOSED
  // timer first asks the Directory when the round closes now: extended, it
  // waits until then; unanswered, until the next call.
  absl::StatusOr<int> FireDueTimers(absl::Time now, int limit = 100);

  Outbox& outbox() { return outbox_; }

  // Metrics: the transitions this engine has committed since it started,
  // by fact; and how many timers are due at `now` and not yet fired.
  std::map<std::string, int64_t> Transitions() const;
  absl::StatusOr<int64_t> TimersDue(absl::Time now) const;

  // The cases held about a person or an organisation, for the host's
  // subject access and erasure (platform/personal_data.h): an
  // organisation's cases name it and nothing personal; a person's are the
  // cases naming them (recommended, approved), each kept by its own
  // retention. The history's actors stay: it is the record of who did what.
  absl::StatusOr<std::vector<Holding>> PersonalData(
      const privacy::v1::Subject& subject) const;

 private:
  mutable absl::Mutex transitions_mu_;
  std::map<std::string, int64_t> transitions_ ABSL_GUARDED_BY(transitions_mu_);
  struct Loaded;
  absl::StatusOr<wpb::Case> Apply(const Call& call,
                                  const wpb::RecordFactRequest& req,
                                  const wpb::TimerEntry* timer,
                                  const std::string& timer_key);
  template <typename Req>
  absl::StatusOr<wpb::Payment> PaymentCommand(
      const Call& caller, const Req& req, const std::string& payment_id,
      const std::string& kind, errors::Violations v,
      const std::vector<std::string>& fund_roles,
      absl::FunctionRef<absl::Status(const auth::Principal&)> precheck,
      absl::FunctionRef<absl::Status(wpb::Case&, wpb::Payment*,
                                     std::vector<wpb::LedgerLine>&)>
          change);
  absl::StatusOr<std::vector<Versioned<wpb::LedgerLine>>> LoadLines(
      const std::vector<std::string>& names) const;

  // For a due ROUND_CLOSED timer: when the round (asked through the
  // Directory) now closes later, moves the timer there and returns true.
  absl::StatusOr<bool> RescheduleIfRoundExtended(const wpb::TimerEntry& t,
                                                 const std::string& key,
                                                 absl::Time now,
                                                 const Call& call);
  // Fills next_facts from the case's definition.
  void AddNextFacts(wpb::Case& c) const;

  storage::Store* store_;
  const DefinitionRegistry* definitions_;
  Directory* directory_;
  Outbox outbox_;
  ProtoTable<wpb::Case> cases_;
  ProtoTable<wpb::LedgerLine> ledger_;
  LockTable case_locks_;
  LockTable line_locks_;
};

}  // namespace grantflow::workflows

#endif  // GRANTFLOW_WORKFLOWS_ENGINE_H_
