// Payment requests, their approval (authorised at the engine), and the
// bank's answer (posted or voided at the engine).
#include "services/payments/payments.h"

#include "absl/algorithm/container.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "platform/duties.h"
#include "platform/money.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "services/payments/internal.h"
#include "storage/digest.h"
#include "storage/key_coding.h"

namespace grantflow::payments {
namespace {

namespace wpb = ::grantflow::workflow::v1;
namespace gpb = ::grantflow::agreements::v1;

constexpr char kByCase[] = "payments_by_case";
// Far above any schedule (a payment per instalment, and the odd repeat).
constexpr int kMaxCasePayments = 200;

std::string CaseIdOf(const std::string& case_name) {
  return case_name.substr(std::string("cases/").size());
}

// The engine's idempotency key for `step` of payment `id` asked with the
// caller's `request_id`: a retry asks the engine the same question, and
// keys never collide with another service's.
std::string EngineRequestId(const char* step, const std::string& id,
                            const std::string& request_id) {
  return absl::StrCat("payments:", step, ":", id, ":",
                      storage::Sha256Hex(request_id).substr(0, 32));
}

// The engine's answer `done` to a step on payment `id` of `case_name`.
// When it refused because the step was already taken (`taken`: an earlier
// attempt the engine completed and a crash kept from this service's
// store), the engine's record of the payment, if `same` says it is this
// step's outcome; else `done` as it was.
absl::StatusOr<wpb::Payment> AdoptEarlier(
    CaseClient& cases, absl::StatusOr<wpb::Payment> done, bool taken,
    const std::string& case_name, const std::string& id,
    absl::FunctionRef<bool(const wpb::Payment&)> same) {
  if (!taken) return done;
  ASSIGN_OR_RETURN(wpb::Case c, cases.GetCase(case_name));
  for (const wpb::Payment& p : c.payments()) {
    if (p.payment_id() == id && same(p)) return p;
  }
  return done;
}

// Settles payment `p` (id `id`) at the engine for the caller with `ask`
// (ConfirmPayment or VoidPayment, sent by `send`), which gets the case, the
// payment, the person and a request id from `step`. A refusal because the
// payment is no longer pending counts as done when the engine holds it
// `settled` (an earlier attempt a crash kept from this service's store).
template <typename Req>
absl::Status SettleAtEngine(
    CaseClient& cases, const Call& call, const pb::Payment& p,
    const std::string& id, const char* step, const std::string& request_id,
    Req ask, absl::StatusOr<wpb::Payment> (CaseClient::*send)(const Req&),
    wpb::Payment::State settled) {
  ask.set_name(p.case_());
  ask.set_payment_id(id);
  ask.set_on_behalf_of(call.principal.user);
  *ask.mutable_acting() = ActingOf(call.principal);
  ask.set_request_id(EngineRequestId(step, id, request_id));
  absl::StatusOr<wpb::Payment> asked = (cases.*send)(ask);
  const bool taken =
      errors::ReasonOf(asked.status()) == reasons::kPaymentNotPending;
  return AdoptEarlier(cases, std::move(asked), taken, p.case_(), id,
                      [settled](const wpb::Payment& at) {
                        return at.state() == settled;
                      })
      .status();
}

// The version in force: the executed one.
const gpb::Version* ExecutedVersion(const gpb::Agreement& a) {
  for (const gpb::Version& v : a.versions()) {
    if (v.number() == a.executed_version()) return &v;
  }
  return nullptr;
}

// What the engine would refuse for any payment on `c` now, checked when a
// payment is requested (the engine checks again when it is authorised).
absl::Status CheckPayable(const wpb::Case& c, const gpb::Agreement& a) {
  if (a.state() == gpb::Agreement::TERMINATED ||
      a.state() == gpb::Agreement::CLOSED ||
      a.state() == gpb::Agreement::LAPSED) {
    const std::string state = gpb::Agreement::State_Name(a.state());
    return errors::FailedPrecondition(
        reasons::kAgreementEnded,
        absl::StrCat(a.name(), " is ", state, "; nothing more is paid on it"),
        {{"state", state}});
  }
  if (a.executed_version() == 0 || !c.agreement().executed()) {
    return errors::FailedPrecondition(
        reasons::kAgreementNotExecuted,
        absl::StrCat("no payment before an executed funding agreement; ",
                     a.name(), " is ", gpb::Agreement::State_Name(a.state())));
  }
  for (const wpb::Condition& k : c.conditions()) {
    if (k.open()) {
      return errors::FailedPrecondition(
          reasons::kConditionsOpen,
          absl::StrCat("condition '", k.id(), "' is open: ", k.description()),
          {{"condition", k.id()}});
    }
  }
  for (const wpb::Report& r : c.reports()) {
    if (r.overdue() && !r.accepted()) {
      return errors::FailedPrecondition(
          reasons::kReportOutstanding,
          absl::StrCat("monitoring report '", r.report_id(),
                       "' is overdue; payments wait until it is accepted"),
          {{"report", r.report_id()}});
    }
  }
  return absl::OkStatus();
}

// Whether `inst` of the executed agreement `a` may be paid at `now`.
absl::Status CheckDue(const gpb::Instalment& inst, const gpb::Agreement& a,
                      absl::Time now) {
  switch (inst.due()) {
    case gpb::Instalment::ON_DATE: {
      absl::Time from;
      if (ParseIsoDate(inst.due_date(), &from) && now < from) {
        return errors::FailedPrecondition(
            reasons::kInstalmentNotDue,
            absl::StrCat("instalment ", inst.id(), " is due from ",
                         inst.due_date()),
            {{"due_date", inst.due_date()}});
      }
      return absl::OkStatus();
    }
    case gpb::Instalment::ON_REPORT:
      for (const gpb::MonitoringReport& r : a.reports()) {
        if (r.id() == inst.report_id() &&
            r.state() == gpb::MonitoringReport::ACCEPTED) {
          return absl::OkStatus();
        }
      }
      return errors::FailedPrecondition(
          reasons::kReportOutstanding,
          absl::StrCat("instalment ", inst.id(),
                       " is paid once monitoring "
                       "report '",
                       inst.report_id(), "' is accepted"),
          {{"report", inst.report_id()}});
    default:
      return absl::OkStatus();
  }
}

bool Live(const pb::Payment& p) {
  return p.state() != pb::Payment::FAILED && p.state() != pb::Payment::REJECTED;
}

}  // namespace

Payments::Payments(storage::Store* store, CaseClient* cases,
                   AgreementSource* agreements, ApplicantSource* applicants)
    : store_(store),
      cases_(cases),
      agreements_(agreements),
      applicants_(applicants),
      accounts_(store, "bankAccounts", "bank_accounts",
                "bank_accounts_by_state", "bank account"),
      payments_(store, "payments", "payments", "payments_by_state", "payment"),
      batches_(store, "remittanceBatches", "remittance_batches",
               "remittance_batches_by_state", "remittance batch") {
  payments_.SetFundOf([](const pb::Payment& p) { return p.fund(); });
}

absl::StatusOr<std::vector<pb::Payment>> Payments::PaymentsOfCase(
    const std::string& case_id) const {
  std::string prefix;
  storage::AppendString(&prefix, case_id);
  ASSIGN_OR_RETURN(storage::ScanResult scan,
                   store_->Scan(kByCase, prefix, "", kMaxCasePayments));
  std::vector<std::string> ids;
  for (const storage::ScanRow& row : scan.rows) {
    storage::KeyReader r(absl::string_view(row.key).substr(prefix.size()));
    std::string id;
    if (!r.ReadString(&id) || !r.done()) {
      return absl::DataLossError(absl::StrCat("a payments-by-case row of ",
                                              case_id, " is unreadable"));
    }
    ids.push_back(std::move(id));
  }
  return payments_.GetMany(ids);
}

absl::StatusOr<pb::Payment> Payments::RequestPayment(
    const Call& call, const pb::RequestPaymentRequest& req) {
  errors::Violations v;
  if (!ParseName(req.case_(), {"cases"})) v.Add("case", "must be cases/{id}");
  if (!IsValidId(req.instalment_id())) {
    v.Add("instalment_id", "must name an instalment of the schedule");
  }
  if (req.amount_pence() != 0) {
    ValidateAmount(req.amount_pence(), "amount_pence", &v);
  }
  LimitText(req.note(), "note", kMaxNoteChars, &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  const std::string case_id = CaseIdOf(req.case_());
  ScopedLocks lock(case_locks_, {case_id});
  return RunOnce<pb::Payment>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::Payment> {
        absl::StatusOr<gpb::Agreement> a =
            agreements_->GetAgreement("agreements/" + case_id);
        if (absl::IsNotFound(a.status())) {
          return errors::FailedPrecondition(
              reasons::kAgreementNotExecuted,
              absl::StrCat("no payment before an executed funding agreement; ",
                           req.case_(), " has no agreement"));
        }
        RETURN_IF_ERROR(a.status());
        // A finance officer for some funds only asks for theirs.
        RETURN_IF_ERROR(RequireFundScope(call, a->fund()));
        ASSIGN_OR_RETURN(wpb::Case c, cases_->GetCase(req.case_()));
        RETURN_IF_ERROR(CheckPayable(c, *a));
        const gpb::Version* in_force = ExecutedVersion(*a);
        if (in_force == nullptr) {
          return absl::InternalError(
              absl::StrCat(a->name(), " names executed version ",
                           a->executed_version(), ", which it does not hold"));
        }
        const gpb::Instalment* inst = nullptr;
        for (const gpb::Instalment& i : in_force->terms().instalments()) {
          if (i.id() == req.instalment_id()) inst = &i;
        }
        ASSIGN_OR_RETURN(std::vector<pb::Payment> earlier,
                         PaymentsOfCase(case_id));
        // Requested here and not yet at the engine; the engine holds the
        // rest as pending or paid.
        int64_t requested = 0, of_instalment = 0;
        for (const pb::Payment& p : earlier) {
          if (p.state() == pb::Payment::REQUESTED)
            requested += p.amount_pence();
          if (Live(p) && p.instalment_id() == req.instalment_id()) {
            of_instalment += p.amount_pence();
          }
        }
        int64_t amount = req.amount_pence();
        if (amount == 0 && inst != nullptr) {
          amount = inst->resolved_pence() - of_instalment;
        }
        const std::optional<int64_t> total =
            SumPence({c.paid_pence(), c.pending_pence(), requested, amount});
        if (!total || *total > c.awarded_pence()) {
          return errors::FailedPrecondition(
              reasons::kExceedsAward,
              absl::StrCat("paid ", FormatPounds(c.paid_pence()), " + pending ",
                           FormatPounds(c.pending_pence()), " + requested ",
                           FormatPounds(requested), " + ", FormatPounds(amount),
                           " would exceed the award of ",
                           FormatPounds(c.awarded_pence())));
        }
        if (inst == nullptr) {
          return errors::FailedPrecondition(
              reasons::kPaymentNotScheduled,
              absl::StrCat(req.instalment_id(),
                           " is not in the schedule of the executed agreement "
                           "(version ",
                           in_force->number(),
                           "); a variation's instalments are paid once it is "
                           "executed"),
              {{"instalment", req.instalment_id()}});
        }
        RETURN_IF_ERROR(CheckDue(*inst, *a, call.now));
        if (amount <= 0) {
          return errors::FailedPrecondition(
              reasons::kInstalmentRequested,
              absl::StrCat("instalment ", inst->id(), " (",
                           FormatPounds(inst->resolved_pence()),
                           ") is already requested or paid in full"),
              {{"instalment", inst->id()}});
        }
        if (of_instalment + amount > inst->resolved_pence()) {
          return errors::FailedPrecondition(
              reasons::kExceedsInstalment,
              absl::StrCat("instalment ", inst->id(), " is ",
                           FormatPounds(inst->resolved_pence()), "; ",
                           FormatPounds(of_instalment),
                           " of it is already requested or paid"),
              {{"instalment", inst->id()}});
        }
        if (earlier.size() >= kMaxCasePayments) {
          return errors::FailedPrecondition(
              reasons::kCaseLimitReached,
              absl::StrCat(req.case_(), " already has ", earlier.size(),
                           " payments"));
        }
        pb::Payment p;
        const std::string id = NewId(call.now);
        p.set_name(payments_.NameOf(id));
        p.set_case_(req.case_());
        p.set_agreement(a->name());
        p.set_organisation(a->organisation());
        p.set_fund(a->fund());
        p.set_instalment_id(inst->id());
        p.set_amount_pence(amount);
        p.set_state(pb::Payment::REQUESTED);
        p.set_agreement_version(in_force->number());
        p.set_agreement_sha256(in_force->document_sha256());
        p.set_requested_by(call.principal.user);
        p.set_note(req.note());
        *p.mutable_request_time() = ToProto(call.now);
        *p.mutable_create_time() = ToProto(call.now);
        *p.mutable_update_time() = ToProto(call.now);
        payments_.Write(w, call, p, nullptr, 0, req.request_id(),
                        absl::StrCat("requested instalment ", inst->id(), " ",
                                     FormatPounds(amount)),
                        req.note());
        std::string by_case;
        storage::AppendString(&by_case, case_id);
        storage::AppendString(&by_case, id);
        w.PutIndex(kByCase, by_case);
        p.set_etag("1");
        return p;
      });
}

absl::StatusOr<pb::Payment> Payments::ApprovePayment(
    const Call& call, const pb::ApprovePaymentRequest& req) {
  errors::Violations v;
  payments_.ParseName(req.name(), "name", &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  const std::string& me = call.principal.user;
  auto limit = call.principal.limits_pence.find("pay");
  const int64_t own =
      limit == call.principal.limits_pence.end() ? 0 : limit->second;
  return payments_.Change(
      call, req, req.name(), req.request_id(), req.etag(), "",
      [&](pb::Payment& p, storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (p.state() != pb::Payment::REQUESTED) {
          return NotInState(p, "only a requested payment is approved");
        }
        RETURN_IF_ERROR(duties::Check(duties::Duty::kApprovePayment,
                                      p.requested_by(), me, p.name()));
        if (p.amount_pence() > own) {
          return errors::FailedPrecondition(
              reasons::kDelegatedLimitExceeded,
              absl::StrCat(me, " may approve payments up to ",
                           FormatPounds(own), "; ", p.name(), " is ",
                           FormatPounds(p.amount_pence())),
              {{"limit_pence", absl::StrCat(own)}});
        }
        RETURN_IF_ERROR(PayableAccount(p.organisation()).status());
        const std::string id = payments_.IdOf(p.name());
        wpb::AuthorizePaymentRequest ask;
        ask.set_name(p.case_());
        ask.set_payment_id(id);
        ask.set_instalment_id(p.instalment_id());
        ask.set_amount_pence(p.amount_pence());
        ask.set_requested_by(p.requested_by());
        ask.set_on_behalf_of(me);
        *ask.mutable_acting() = ActingOf(call.principal);
        ask.set_request_id(EngineRequestId("authorize", id, req.request_id()));
        absl::StatusOr<wpb::Payment> asked = cases_->AuthorizePayment(ask);
        const bool taken = absl::IsAlreadyExists(asked.status());
        ASSIGN_OR_RETURN(
            wpb::Payment done,
            AdoptEarlier(*cases_, std::move(asked), taken, p.case_(), id,
                         [&](const wpb::Payment& at) {
                           return at.amount_pence() == p.amount_pence();
                         }));
        p.set_state(pb::Payment::AUTHORIZED);
        p.set_approved_by(done.authorized_by());
        p.set_approver_limit_pence(own);
        *p.mutable_approve_time() = ToProto(call.now);
        return absl::StrCat("approved and authorised ",
                            FormatPounds(p.amount_pence()));
      });
}

absl::StatusOr<pb::Payment> Payments::RejectPayment(
    const Call& call, const pb::RejectPaymentRequest& req) {
  errors::Violations v;
  payments_.ParseName(req.name(), "name", &v);
  RequireText(req.reason(), "reason", kMaxNoteChars, &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return payments_.Change(
      call, req, req.name(), req.request_id(), req.etag(), req.reason(),
      [&](pb::Payment& p, storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (p.state() != pb::Payment::REQUESTED) {
          return NotInState(p, "only a requested payment is rejected");
        }
        p.set_state(pb::Payment::REJECTED);
        p.set_failure_reason(req.reason());
        p.set_settled_by(call.principal.user);
        *p.mutable_settle_time() = ToProto(call.now);
        return std::string("rejected");
      });
}

absl::StatusOr<pb::Payment> Payments::ConfirmPayment(
    const Call& call, const pb::ConfirmPaymentRequest& req) {
  errors::Violations v;
  payments_.ParseName(req.name(), "name", &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return payments_.Change(
      call, req, req.name(), req.request_id(), "", "",
      [&](pb::Payment& p, storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (p.state() != pb::Payment::RELEASED) {
          return NotInState(p, "only a released payment is confirmed paid");
        }
        RETURN_IF_ERROR(SettleAtEngine(
            *cases_, call, p, payments_.IdOf(p.name()), "confirm",
            req.request_id(), wpb::ConfirmPaymentRequest(),
            &CaseClient::ConfirmPayment, wpb::Payment::POSTED));
        p.set_state(pb::Payment::PAID);
        p.set_settled_by(call.principal.user);
        *p.mutable_settle_time() = ToProto(call.now);
        return absl::StrCat("paid ", FormatPounds(p.amount_pence()));
      });
}

absl::StatusOr<pb::Payment> Payments::FailPayment(
    const Call& call, const pb::FailPaymentRequest& req) {
  errors::Violations v;
  payments_.ParseName(req.name(), "name", &v);
  RequireText(req.reason(), "reason", kMaxNoteChars, &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return payments_.Change(
      call, req, req.name(), req.request_id(), "", req.reason(),
      [&](pb::Payment& p, storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (p.state() != pb::Payment::AUTHORIZED &&
            p.state() != pb::Payment::RELEASED) {
          return NotInState(p,
                            "only an authorised or released payment can fail");
        }
        wpb::VoidPaymentRequest ask;
        ask.set_reason(req.reason());
        RETURN_IF_ERROR(
            SettleAtEngine(*cases_, call, p, payments_.IdOf(p.name()), "void",
                           req.request_id(), std::move(ask),
                           &CaseClient::VoidPayment, wpb::Payment::VOIDED));
        p.set_state(pb::Payment::FAILED);
        p.set_failure_reason(req.reason());
        p.set_settled_by(call.principal.user);
        *p.mutable_settle_time() = ToProto(call.now);
        return absl::StrCat("failed; ", FormatPounds(p.amount_pence()),
                            " voided in the ledger");
      });
}

absl::StatusOr<pb::Payment> Payments::GetPayment(
    const Call& call, const pb::GetPaymentRequest& req) {
  ASSIGN_OR_RETURN(auto got, payments_.Get(call, req.name()));
  return got.msg;
}

absl::StatusOr<pb::ListPaymentsResponse> Payments::ListPayments(
    const Call& call, const pb::ListPaymentsRequest& req) {
  ASSIGN_OR_RETURN(
      pb::ListPaymentsResponse page,
      payments_.ListPage(call, req.state(), req.page_size(), req.page_token(),
                         &pb::ListPaymentsResponse::mutable_payments));
  if (!auth::IsOrganisationScoped(call.principal)) return page;
  // An organisation's people see their own grants' payments (what was paid
  // and when), never another's, and not the bank details they went to or
  // the approver's limit. A page may hold none of theirs and still lead on.
  pb::ListPaymentsResponse own;
  for (pb::Payment& p : *page.mutable_payments()) {
    if (call.principal.organisation.empty() ||
        p.organisation() != call.principal.organisation) {
      continue;
    }
    p.clear_payee();
    p.clear_approver_limit_pence();
    *own.add_payments() = std::move(p);
  }
  own.set_next_page_token(page.next_page_token());
  return own;
}

// ---- Personal data (subject access, erasure) ----

namespace {

void Blank(pb::BankDetails* d) {
  if (d->account_name().empty() && d->sort_code().empty()) return;
  d->set_account_name(kErased);
  d->clear_sort_code();
  d->clear_account_number();
}

}  // namespace

absl::StatusOr<std::vector<Holding>> Payments::PersonalData(
    const privacy::v1::Subject& subject) const {
  PersonalTable<pb::BankAccount> accounts;
  accounts.rows = &accounts_.rows();
  accounts.kind = "bank account";
  accounts.about = OrganisationIs<pb::BankAccount>;
  accounts.keep_because = [](const pb::BankAccount& a) -> std::string {
    return a.state() == pb::BankAccount::PENDING_VERIFICATION
               ? "a change of bank details awaiting verification"
               : "";
  };
  accounts.needed_while_kept =
      "payments to the organisation's grants kept go to it";
  accounts.anonymise = [](pb::BankAccount* a, const std::string&) {
    Blank(a->mutable_verified());
    Blank(a->mutable_proposed());
    a->clear_change_reason();
    a->set_state(pb::BankAccount::UNVERIFIED);
  };
  accounts.replace = [this](storage::WriteSet& w, const std::string&,
                            const pb::BankAccount& erased,
                            const pb::BankAccount& before, uint64_t version) {
    accounts_.Replace(w, erased, before, version);
  };

  // A batch pays several organisations: an organisation's lines are its.
  PersonalTable<pb::RemittanceBatch> batches;
  batches.rows = &batches_.rows();
  batches.kind = "remittance batch";
  batches.about = [](const pb::RemittanceBatch& b, const std::string& org) {
    return absl::c_any_of(b.lines(), [&](const pb::RemittanceLine& l) {
      return l.organisation() == org;
    });
  };
  batches.cases = [](const pb::RemittanceBatch& b, const std::string& org) {
    std::vector<std::string> cases;
    for (const pb::RemittanceLine& l : b.lines()) {
      if (org.empty() || l.organisation() == org) cases.push_back(l.case_());
    }
    return cases;
  };
  batches.anonymise = [](pb::RemittanceBatch* b, const std::string& org) {
    for (pb::RemittanceLine& l : *b->mutable_lines()) {
      if (l.organisation() == org) Blank(l.mutable_payee());
    }
  };
  return HoldingsIn(
      subject, accounts,
      CaseTable<pb::Payment>(payments_.rows(), "payment",
                             [](pb::Payment* p, const std::string&) {
                               Blank(p->mutable_payee());
                             }),
      batches);
}

}  // namespace grantflow::payments
