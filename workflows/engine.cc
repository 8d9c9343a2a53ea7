#include "workflows/engine.h"

#include <algorithm>
#include <array>
#include <map>
#include <regex>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "platform/audit.h"
#include "platform/duties.h"
#include "platform/errors.h"
#include "platform/fact_names.h"
#include "platform/idempotency.h"
#include "platform/instalments.h"
#include "platform/money.h"
#include "platform/reasons.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "storage/key_coding.h"
#include "workflows/engine_internal.h"
#include "workflows/fact_handlers.h"
#include "workflows/facts.h"

namespace grantflow::workflows {
namespace {

constexpr char kCases[] = "cases";
constexpr char kByState[] = "case_by_state";
constexpr char kByFund[] = "case_by_fund";
constexpr char kByRound[] = "case_by_round";
constexpr char kHistory[] = "history";
constexpr char kLedger[] = "ledger";

std::string Key2(const std::string& a, const std::string& b) {
  return Key(a) + Key(b);
}

std::string HistoryKey(const std::string& case_id, int64_t seq) {
  std::string k = Key(case_id);
  storage::AppendUint64(&k, static_cast<uint64_t>(seq));
  return k;
}

std::string FundOf(const std::string& round) {
  return round.substr(0, round.find("/rounds/"));
}

bool Terminal(const Definition& def, const std::string& state) {
  const wpb::StateDef* s = def.State(state);
  return s != nullptr && s->terminal();
}

// Writes the case and moves its index entries when its state changed.
void WriteCase(storage::WriteSet& w, const ProtoTable<wpb::Case>& table,
               const wpb::Case& c, uint64_t version,
               const std::string& old_state) {
  const std::string id = CaseId(c.name());
  if (version == 0) {
    table.Insert(w, Key(id), c);
  } else {
    table.Replace(w, Key(id), c, version);
  }
  if (old_state == c.state()) return;
  if (!old_state.empty()) {
    w.Delete(kByState, Key2(old_state, id));
    w.Delete(kByFund, Key(c.fund()) + Key2(old_state, id));
    w.Delete(kByRound, Key(c.round()) + Key2(old_state, id));
  }
  w.PutIndex(kByState, Key2(c.state(), id));
  w.PutIndex(kByFund, Key(c.fund()) + Key2(c.state(), id));
  w.PutIndex(kByRound, Key(c.round()) + Key2(c.state(), id));
}

// Appends a history event (numbering it) to the case and the write.
// Numbers `e` (seq, actor, time, request id) and appends it to the case's
// history in `w`; `e` is left as recorded.
void AddEvent(storage::WriteSet& w, wpb::Case& c, wpb::CaseEvent& e,
              const Call& call, const std::string& request_id) {
  c.set_event_count(c.event_count() + 1);
  e.set_seq(c.event_count());
  e.set_actor(call.principal.user);
  e.set_request_id(request_id);
  *e.mutable_time() = ToProto(call.now);
  // History keys are (case, seq) with seq owned by the case row, which the
  // same write updates under a version check: new by construction.
  w.Append(kHistory, HistoryKey(CaseId(c.name()), e.seq()),
           e.SerializeAsString());
}

// The person a service acts for (`req`'s on_behalf_of and acting, which a
// Req has as RecordFactRequest does), or the caller itself. A bad name is a
// violation; PERMISSION_DENIED when a caller without the service role names
// someone.
template <typename Req>
absl::StatusOr<auth::Principal> ActingFor(const Call& caller, const Req& req,
                                          errors::Violations* v) {
  if (req.on_behalf_of().empty()) {
    if (req.has_acting()) v->Add("acting", "only with on_behalf_of");
    return caller.principal;
  }
  std::optional<std::string> who = auth::CanonicalUser(req.on_behalf_of());
  if (!who) {
    v->Add("on_behalf_of", "must be a user name");
    return caller.principal;
  }
  if (!caller.principal.HasRole("service")) {
    return absl::PermissionDeniedError(
        "only a service acts on someone's behalf");
  }
  auth::Principal acting{
      .user = *who,
      .roles = {req.acting().roles().begin(), req.acting().roles().end()},
      .organisation = req.acting().organisation(),
      .limits_pence = {req.acting().limits_pence().begin(),
                       req.acting().limits_pence().end()},
      .role_funds = {}};
  for (const wpb::RoleFunds& scope : req.acting().role_funds()) {
    acting.role_funds[scope.role()].assign(scope.funds().begin(),
                                           scope.funds().end());
  }
  return acting;
}

// Who settled a payment: the person a service acted for, else the caller.
template <typename Req>
std::string SettledBy(const Call& call, const Req& req) {
  if (req.on_behalf_of().empty()) return call.principal.user;
  return auth::CanonicalUser(req.on_behalf_of()).value_or("");
}

// The case's payment `id`, which must still be PENDING (NOT_FOUND /
// FAILED_PRECONDITION PAYMENT_NOT_PENDING otherwise).
absl::StatusOr<wpb::Payment*> PendingPayment(wpb::Case& c,
                                             const std::string& id) {
  for (auto& p : *c.mutable_payments()) {
    if (p.payment_id() != id) continue;
    if (p.state() != wpb::Payment::PENDING) {
      return Refuse(
          reasons::kPaymentNotPending,
          absl::StrCat(id, " is ", wpb::Payment::State_Name(p.state())));
    }
    return &p;
  }
  return absl::NotFoundError(absl::StrCat("no payment ", id, " on ", c.name()));
}

// The books after a change: no total negative, R2 per case and R3 per line.
// Rules are checked where each command decides; this is the last guard, so a
// bug can only ever refuse a command, never write broken books.
absl::Status CheckBooks(const wpb::Case* c,
                        const std::vector<const wpb::LedgerLine*>& lines) {
  auto broken = [](absl::string_view where, absl::string_view what) {
    return absl::InternalError(
        absl::StrCat("refused to write ", where, ": it would leave ", what,
                     " (a grantflow bug; nothing was written)"));
  };
  if (c != nullptr) {
    if (c->awarded_pence() < 0 || c->paid_pence() < 0 ||
        c->pending_pence() < 0) {
      return broken(c->name(), "a negative total");
    }
    std::optional<int64_t> spent =
        AddPence(c->paid_pence(), c->pending_pence());
    if (!spent || *spent > c->awarded_pence()) {
      return broken(c->name(), "paid + pending above the award (R2)");
    }
    for (const auto& a : c->allocations()) {
      if (a.amount_pence() < 0 || a.paid_pence() < 0 ||
          a.paid_pence() > a.amount_pence()) {
        return broken(c->name(), "an allocation paid beyond its amount");
      }
    }
  }
  for (const wpb::LedgerLine* l : lines) {
    if (l->ceiling_pence() < 0 || l->reserved_pence() < 0 ||
        l->committed_pence() < 0 || l->paid_pence() < 0) {
      return broken(l->name(), "a negative total");
    }
    std::optional<int64_t> used =
        AddPence(l->reserved_pence(), l->committed_pence());
    if (!used || *used > l->ceiling_pence()) {
      return broken(l->name(), "reserved + committed above the ceiling (R3)");
    }
    if (l->paid_pence() > l->committed_pence()) {
      return broken(l->name(), "more paid than committed");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckCaseSize(const wpb::Case& c) {
  if (c.ByteSizeLong() > kMaxCaseBytes) {
    return Refuse(reasons::kCaseTooLarge,
                  absl::StrCat(c.name(), " would hold more than ",
                               kMaxCaseBytes / 1024, " KiB"));
  }
  return absl::OkStatus();
}

// R1: the funder's countersignature is given by funder staff only.
absl::Status CheckFunderStaff(const auth::Principal& p) {
  if (!p.organisation.empty() || p.HasRole("applicant") ||
      p.HasRole("signatory")) {
    return errors::WithReason(
        absl::PermissionDeniedError(absl::StrCat(
            p.user,
            " acts for an organisation; the funder's countersignature "
            "must come from funder staff")),
        reasons::kNotFunderStaff);
  }
  return absl::OkStatus();
}

wpb::LedgerLine WithAvailable(wpb::LedgerLine l) {
  l.set_available_pence(l.ceiling_pence() - l.reserved_pence() -
                        l.committed_pence());
  return l;
}

}  // namespace

Engine::Engine(storage::Store* store, const DefinitionRegistry* definitions,
               Directory* directory, OutboxOptions outbox_options)
    : store_(store),
      definitions_(definitions),
      directory_(directory),
      outbox_(store, "workflow", std::move(outbox_options)),
      cases_(store, kCases, "case"),
      ledger_(store, kLedger, "budget line") {}

absl::StatusOr<std::vector<Versioned<wpb::LedgerLine>>> Engine::LoadLines(
    const std::vector<std::string>& names) const {
  std::vector<Versioned<wpb::LedgerLine>> out;
  for (const std::string& n : names) {
    auto got = ledger_.Get(Key(n), n);
    if (absl::IsNotFound(got.status())) continue;
    if (!got.ok()) return got.status();
    out.push_back(*std::move(got));
  }
  return out;
}

// ---- Cases ----

absl::StatusOr<wpb::Case> Engine::StartCase(const Call& call,
                                            const wpb::StartCaseRequest& req) {
  errors::Violations v;
  auto app = ParseName(req.application(), {"applications"});
  if (!app) v.Add("application", "must be applications/{id}");
  if (!ParseName(req.round(), {"funds", "rounds"})) {
    v.Add("round", "must be funds/{fund}/rounds/{round}");
  }
  const Definition* def = nullptr;
  if (req.definition().empty()) {
    v.Add("definition", "is required: the lifecycle the round uses");
  } else {
    auto d = definitions_->Latest(req.definition());
    if (!d.ok()) {
      v.Add("definition", std::string(d.status().message()));
    } else {
      def = *d;
    }
  }
  if (!ParseName(req.organisation(), {"organisations"})) {
    v.Add("organisation", "must be organisations/{id}: the applicant");
  }
  ValidateAmount(req.amount_requested_pence(), "amount_requested_pence", &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  const std::string id = (*app)[0];
  ScopedLocks lock(case_locks_, {id});
  return RunOnce<wpb::Case>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<wpb::Case> {
        auto existing = cases_.Get(Key(id), "cases/" + id);
        if (existing.ok()) {
          const wpb::Case& c = existing->msg;
          if (c.round() == req.round() && c.definition() == def->name() &&
              c.organisation() == req.organisation()) {
            return c;  // already started: starting again changes nothing
          }
          return absl::AlreadyExistsError(
              absl::StrCat("cases/", id, " already exists for ", c.round(),
                           " (", c.definition(), ")"));
        }
        if (!absl::IsNotFound(existing.status())) return existing.status();
        wpb::Case c;
        c.set_name("cases/" + id);
        c.set_application(req.application());
        c.set_round(req.round());
        c.set_fund(FundOf(req.round()));
        c.set_definition(def->name());
        c.set_definition_version(def->version());
        c.set_state(def->proto().initial_state());
        c.set_safeguarding_required(req.safeguarding_required());
        c.set_organisation(req.organisation());
        c.set_amount_requested_pence(req.amount_requested_pence());
        *c.mutable_create_time() = ToProto(call.now);
        *c.mutable_update_time() = ToProto(call.now);
        wpb::CaseEvent e;
        e.set_kind("CASE_STARTED");
        e.set_to_state(c.state());
        AddEvent(w, c, e, call, req.request_id());
        c.set_state_entered_seq(c.event_count());
        if (req.has_round_close_time() &&
            def->Next(c.state(), facts::kRoundClosed)) {
          ScheduleTimer(w, c, facts::kRoundClosed,
                        FromProto(req.round_close_time()), "round-closed",
                        c.state_entered_seq(), "");
        }
        WriteCase(w, cases_, c, 0, "");
        AuditChange(w, call, c.name(), req.request_id(),
                    absl::StrCat("case started in ", c.state(), " under ",
                                 def->name(), " v", def->version()));
        c.set_etag("1");
        return c;
      });
}

absl::StatusOr<wpb::Case> Engine::RecordFact(
    const Call& call, const wpb::RecordFactRequest& req) {
  return Apply(call, req, nullptr, "");
}

absl::StatusOr<wpb::Case> Engine::Apply(const Call& caller,
                                        const wpb::RecordFactRequest& req,
                                        const wpb::TimerEntry* timer,
                                        const std::string& timer_key) {
  errors::Violations v;
  if (!ParseName(req.name(), {"cases"})) v.Add("name", "must be cases/{id}");
  const FactInfo* fact = FindFact(req.fact());
  if (fact == nullptr) {
    std::vector<std::string> names;
    names = FactNames();
    v.Add("fact",
          absl::StrCat("'", req.fact(), "' is not a known fact; known: ",
                       absl::StrJoin(names, ", ")));
  }
  if (Utf8Length(req.reason()) > kMaxReasonChars) {
    v.Add("reason",
          absl::StrCat("must be at most ", kMaxReasonChars, " characters"));
  }
  // A service may act for a person, who is then the fact's actor.
  // `call` may record the fact (its roles); `acting` is the person it is
  // recorded for, whose identity, organisation and limits the rules apply.
  ASSIGN_OR_RETURN(const auth::Principal acting, ActingFor(caller, req, &v));
  Call call = caller;
  std::string via;
  if (!req.on_behalf_of().empty()) {
    via = caller.principal.user;
    call.principal.user = acting.user;
    // The person's delegated authority, not the service's (R5).
    call.principal.limits_pence = acting.limits_pence;
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  if (timer == nullptr) {
    if (fact->timer_only) {
      return absl::PermissionDeniedError(absl::StrCat(
          req.fact(), " is recorded only by the engine's own timers"));
    }
    bool allowed = false;
    for (const std::string& r : fact->roles) {
      allowed = allowed || call.principal.HasRole(r);
    }
    if (!allowed && fact->via != nullptr) {
      return errors::WithReason(
          absl::PermissionDeniedError(absl::StrCat(
              req.fact(), " is recorded through ", fact->via,
              ", which keeps its own record in step with the case")),
          reasons::kRecordedByService, {{"via", fact->via}});
    }
    if (!allowed) {
      return absl::PermissionDeniedError(
          absl::StrCat(call.principal.user, " may not record ", req.fact(),
                       "; roles that may: ", absl::StrJoin(fact->roles, ", ")));
    }
    if (!fact->person_roles.empty() && !req.on_behalf_of().empty()) {
      bool holds = false;
      for (const std::string& r : fact->person_roles) {
        holds = holds || acting.HasRole(r);
      }
      if (!holds) {
        return errors::WithReason(absl::PermissionDeniedError(absl::StrCat(
                                      req.fact(), " is recorded only for a ",
                                      absl::StrJoin(fact->person_roles, " or "),
                                      "; ", acting.user, " is not one")),
                                  reasons::kPersonLacksRole);
      }
    }
  }
  const std::string id = CaseId(req.name());
  // Who may sign (R1) and the round's terms come from the services that own
  // them. Ask before taking any lock; a case's round and organisation never
  // change, so an unlocked read says whom to ask.
  std::optional<RoundTerms> terms;
  if (timer == nullptr &&
      (fact->funder_signature || fact->recipient_signature)) {
    // A signature is a person's: a service records one only for the signer,
    // as their token showed them.
    if (req.on_behalf_of().empty() && caller.principal.HasRole("service")) {
      return absl::PermissionDeniedError(
          absl::StrCat(req.fact(),
                       " is a signature: a service records it only on the "
                       "signer's behalf (on_behalf_of, acting)"));
    }
  }
  if (timer == nullptr && fact->funder_signature) {
    RETURN_IF_ERROR(CheckFunderStaff(acting));
    if (!acting.HasRole("approver")) {
      return errors::WithReason(
          absl::PermissionDeniedError(
              absl::StrCat(acting.user,
                           " is not an approver; the funder's countersignature "
                           "comes from its authorised signatories")),
          reasons::kNotFunderStaff);
    }
  }
  if (timer == nullptr && (fact->reads_round || fact->recipient_signature)) {
    ASSIGN_OR_RETURN(auto peek, cases_.Get(Key(id), req.name()));
    const wpb::Case& c = peek.msg;
    if (fact->recipient_signature) {
      const auth::Principal& p = acting;
      if (!auth::IsOrganisationScoped(p) ||
          p.organisation != c.organisation()) {
        return errors::WithReason(
            absl::PermissionDeniedError(absl::StrCat(
                p.user, " signs for ",
                p.organisation.empty() ? "no organisation" : p.organisation,
                auth::IsOrganisationScoped(p) ? "" : " with funder roles",
                "; the recipient's signature must come from a signatory of ",
                c.organisation())),
            reasons::kNotRecipientSignatory);
      }
      ASSIGN_OR_RETURN(auto names, directory_->Signatories(c.organisation()));
      if (!names.contains(p.user)) {
        return errors::WithReason(
            absl::PermissionDeniedError(absl::StrCat(
                p.user, " is not an authorised signatory of ", c.organisation(),
                " (its record's signatory_users say who may sign)")),
            reasons::kNotRecipientSignatory);
      }
    } else {
      auto got = directory_->GetRound(c.round());
      if (absl::IsNotFound(got.status())) {
        return Refuse(
            reasons::kRoundUnknown,
            absl::StrCat(c.round(), " is not a round ProgrammeService knows"));
      }
      if (!got.ok()) return got.status();
      terms = *std::move(got);
    }
  }
  ScopedLocks case_lock(case_locks_, {id});
  ASSIGN_OR_RETURN(auto pre, cases_.Get(Key(id), req.name()));
  std::vector<std::string> line_names;
  for (const auto& a : pre.msg.allocations())
    line_names.push_back(a.budget_line());
  if (fact->locks_payload_lines) {
    for (const auto& a : req.payload().allocations()) {
      line_names.push_back(a.budget_line());
    }
  }
  ScopedLocks line_lock(line_locks_, line_names);

  // The case lock is held from here to the commit, so the first attempt can
  // use the case as just read; a retry (lost commit race) reads it again.
  std::optional<Versioned<wpb::Case>> first_read = std::move(pre);
  bool applied = false;  // set by an attempt that wrote the transition
  absl::StatusOr<wpb::Case> done = RunOnce<wpb::Case>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<wpb::Case> {
        absl::StatusOr<Versioned<wpb::Case>> cur =
            first_read ? *std::move(first_read)
                       : cases_.Get(Key(id), req.name());
        first_read.reset();
        if (!cur.ok()) return cur.status();
        wpb::Case c = cur->msg;
        // Roles scoped to funds: whoever the fact counts for holds the
        // role it needs in this case's fund (the service's own identity
        // holds in every fund).
        if (timer == nullptr && !(req.on_behalf_of().empty() &&
                                  caller.principal.HasRole("service"))) {
          std::vector<std::string> needed =
              req.on_behalf_of().empty() ? fact->roles : fact->person_roles;
          if (fact->funder_signature) needed = {"approver"};
          RETURN_IF_ERROR(auth::RequireRoleIn(
              req.on_behalf_of().empty() ? caller.principal : acting, needed,
              c.fund()));
        }
        ASSIGN_OR_RETURN(
            auto def_or,
            definitions_->Get(c.definition(), c.definition_version()));
        const Definition& def = *def_or;
        const std::string* next = def.Next(c.state(), req.fact());

        if (timer != nullptr) {
          w.Delete(kTimers, timer_key);
          const bool stale = timer->state_seq() != 0
                                 ? c.state_entered_seq() != timer->state_seq()
                                 : next == nullptr;
          if (stale || next == nullptr) {
            AuditChange(w, call, c.name(), req.request_id(),
                        absl::StrCat("timer ", req.fact(),
                                     " expired unused in ", c.state()));
            return c;
          }
        } else {
          RETURN_IF_ERROR(CheckEtag(req.etag(), cur->version, c.name()));
        }
        if (next == nullptr) {
          std::vector<std::string> accepted = def.Accepted(c.state());
          return Refuse(
              reasons::kInvalidTransition,
              absl::StrCat(c.name(), " is ", c.state(),
                           ", which does not accept ", req.fact(),
                           "; it accepts: ",
                           accepted.empty() ? "nothing (terminal)"
                                            : absl::StrJoin(accepted, ", ")),
              {{"state", c.state()},
               {"accepted_facts", absl::StrJoin(accepted, ",")}});
        }

        // Ledger rows this fact may touch, loaded under their locks.
        ASSIGN_OR_RETURN(auto loaded, LoadLines(line_names));
        Lines lines;
        for (auto& l : loaded) lines[l.msg.name()] = l;
        std::set<std::string> touched;

        const wpb::FactPayload& p = req.payload();
        FactContext ctx{call, p, terms, c, lines, touched, w, ""};
        if (fact->handler != nullptr) RETURN_IF_ERROR(fact->handler(ctx));
        const std::string& details = ctx.details;

        std::vector<const wpb::LedgerLine*> after;
        for (const std::string& name : touched) {
          after.push_back(&lines.at(name).msg);
        }
        RETURN_IF_ERROR(CheckBooks(&c, after));

        const std::string old_state = c.state();
        wpb::CaseEvent e;
        e.set_kind(req.fact());
        e.set_via(via);
        e.set_from_state(old_state);
        e.set_to_state(*next);
        *e.mutable_payload() = p;
        e.set_reason(req.reason());
        c.set_state(*next);
        *c.mutable_update_time() = ToProto(call.now);
        AddEvent(w, c, e, call, req.request_id());
        RETURN_IF_ERROR(CheckCaseSize(c));
        const bool reentered = *next != old_state || fact->reenters_state;
        if (reentered) {
          c.set_state_entered_seq(c.event_count());
          const wpb::StateDef* sd = def.State(*next);
          for (const wpb::TimerDef& t : sd->timers()) {
            int64_t after = t.after_seconds();
            if (t.fact() == facts::kSignatureDeadlinePassed &&
                p.signature_deadline_seconds() > 0) {
              after = p.signature_deadline_seconds();
            }
            ScheduleTimer(w, c, t.fact(), call.now + absl::Seconds(after),
                          absl::StrCat(t.fact(), "-", c.event_count()),
                          c.event_count(), "");
          }
        }
        for (const std::string& kind :
             def.Transition(old_state, req.fact())->tasks()) {
          opb::Task task;
          task.set_id(absl::StrCat(id, ":", c.event_count(), ":", kind));
          task.set_kind(kind);
          task.set_case_name(c.name());
          task.set_payload(e.SerializeAsString());
          Outbox::Enqueue(w, task, call.now);
        }
        for (const std::string& name : touched) {
          const auto& l = lines.at(name);
          ledger_.Replace(w, Key(name), l.msg, l.version);
        }
        WriteCase(w, cases_, c, cur->version, old_state);
        AuditChange(w, call, c.name(), req.request_id(),
                    absl::StrCat(req.fact(), ": ", old_state, " -> ", *next,
                                 details.empty() ? "" : "; ", details,
                                 via.empty() ? "" : "; via ", via),
                    req.reason());
        c.set_etag(absl::StrCat(cur->version + 1));
        AddNextFacts(c);
        applied = true;
        return c;
      });
  // Counted once committed; a retry answered from the idempotency record
  // does not run the attempt and is not counted again.
  if (done.ok() && applied) {
    absl::MutexLock l(&transitions_mu_);
    ++transitions_[req.fact()];
  }
  return done;
}

std::map<std::string, int64_t> Engine::Transitions() const {
  absl::MutexLock l(&transitions_mu_);
  return transitions_;
}

absl::StatusOr<int64_t> Engine::TimersDue(absl::Time now) const {
  int64_t due = 0;
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(auto scan, store_->Scan(kTimers, "", after, 500));
    for (const auto& row : scan.rows) {
      wpb::TimerEntry t;
      if (!t.ParseFromString(row.record.value)) {
        return absl::DataLossError("a timer row cannot be read");
      }
      if (FromProto(t.due_time()) > now) return due;  // in due-time order
      ++due;
    }
    if (!scan.more) return due;
    after = scan.rows.back().key;
  }
}

absl::StatusOr<wpb::Case> Engine::GetCase(const Call& call,
                                          const wpb::GetCaseRequest& req) {
  if (!ParseName(req.name(), {"cases"})) {
    return errors::InvalidArgument({{"name", "must be cases/{id}"}});
  }
  ASSIGN_OR_RETURN(auto got, cases_.Get(Key(CaseId(req.name())), req.name()));
  RETURN_IF_ERROR(RequireFundScope(call, got.msg.fund()));
  AddNextFacts(got.msg);
  return got.msg;
}

void Engine::AddNextFacts(wpb::Case& c) const {
  c.clear_next_facts();
  auto def = definitions_->Get(c.definition(), c.definition_version());
  if (!def.ok()) return;
  for (const std::string& f : (*def)->Accepted(c.state())) {
    wpb::NextFact* n = c.add_next_facts();
    n->set_fact(f);
    if (const FactInfo* info = FindFact(f); info != nullptr) {
      for (const std::string& r : info->roles) n->add_roles(r);
      if (info->via != nullptr) n->set_via(info->via);
    }
  }
}

absl::StatusOr<wpb::ListCasesResponse> Engine::ListCases(
    const Call& call, const wpb::ListCasesRequest& req) {
  errors::Violations v;
  if (!req.fund().empty() && !ParseName(req.fund(), {"funds"})) {
    v.Add("fund", "must be funds/{fund}");
  }
  if (!req.round().empty() && !ParseName(req.round(), {"funds", "rounds"})) {
    v.Add("round", "must be funds/{fund}/rounds/{round}");
  }
  const std::string query =
      absl::StrCat("cases:", req.state(), "|", req.fund(), "|", req.round());
  Page page = ParsePage(req.page_size(), req.page_token(), query, &v);
  if (!v.empty()) return v.ToStatus();
  wpb::ListCasesResponse resp;
  if (req.state().empty() && req.fund().empty() && req.round().empty()) {
    auto listed = cases_.List("", page, query);  // bounded by kMaxPageBytes
    if (!listed.ok()) return listed.status();
    for (auto& c : listed->items) {
      // Roles scoped to funds see their funds' cases only.
      if (InFundScope(call, c.fund())) *resp.add_cases() = std::move(c);
    }
    resp.set_next_page_token(listed->next_page_token);
    return resp;
  }
  std::string index, prefix;
  int leading = 1;
  if (!req.round().empty()) {
    index = kByRound;
    prefix = Key(req.round()) + (req.state().empty() ? "" : Key(req.state()));
  } else if (!req.fund().empty()) {
    index = kByFund;
    prefix = Key(req.fund()) + (req.state().empty() ? "" : Key(req.state()));
  } else {
    index = kByState;
    leading = 0;
    prefix = Key(req.state());
  }
  ASSIGN_OR_RETURN(auto scan,
                   store_->Scan(index, prefix, page.start_after, page.size));
  std::vector<std::string> keys;
  for (const auto& row : scan.rows) {
    storage::KeyReader r(row.key);
    std::string skip, state, id;
    for (int i = 0; i < leading; ++i) r.ReadString(&skip);
    if (!r.ReadString(&state) || !r.ReadString(&id)) {
      return absl::DataLossError("malformed case index entry");
    }
    keys.push_back(Key(id));
  }
  // One batched read for the page's cases, cut short if the page would pass
  // kMaxPageBytes.
  ASSIGN_OR_RETURN(auto rows, store_->MultiGet(kCases, keys));
  PageBytes budget;
  size_t used = 0;
  for (; used < rows.size(); ++used) {
    auto& rec = rows[used];
    if (absl::IsNotFound(rec.status())) continue;
    if (!rec.ok()) return rec.status();
    ASSIGN_OR_RETURN(auto decoded, cases_.Decode(*rec));
    wpb::Case c = std::move(decoded.msg);
    if (!req.fund().empty() && c.fund() != req.fund()) continue;
    if (!InFundScope(call, c.fund())) continue;
    if (!budget.Fits(c.ByteSizeLong())) break;
    *resp.add_cases() = std::move(c);
  }
  resp.set_next_page_token(PageTokenAfter(scan, used, query));
  return resp;
}

absl::StatusOr<wpb::GetHistoryResponse> Engine::GetHistory(
    const Call& call, const wpb::GetHistoryRequest& req) {
  errors::Violations v;
  if (!ParseName(req.name(), {"cases"})) v.Add("name", "must be cases/{id}");
  const std::string query = "history:" + req.name();
  Page page = ParsePage(req.page_size(), req.page_token(), query, &v);
  if (!v.empty()) return v.ToStatus();
  const std::string id = CaseId(req.name());
  if (call.principal.InEveryFund()) {
    ASSIGN_OR_RETURN(auto exists, cases_.Exists(Key(id)));
    if (!exists) {
      return absl::NotFoundError(
          absl::StrCat("case ", req.name(), " not found"));
    }
  } else {
    ASSIGN_OR_RETURN(auto c, cases_.Get(Key(id), req.name()));
    RETURN_IF_ERROR(RequireFundScope(call, c.msg.fund()));
  }
  ASSIGN_OR_RETURN(
      auto scan, store_->Scan(kHistory, Key(id), page.start_after, page.size));
  wpb::GetHistoryResponse resp;
  PageBytes budget;
  size_t used = 0;
  for (; used < scan.rows.size(); ++used) {
    const auto& row = scan.rows[used];
    if (!budget.Fits(row.record.value.size())) break;
    if (!resp.add_events()->ParseFromString(row.record.value)) {
      return absl::DataLossError(
          absl::StrCat("history event of ", req.name(), " is unreadable"));
    }
  }
  resp.set_next_page_token(PageTokenAfter(scan, used, query));
  return resp;
}

// ---- Ledger ----

absl::StatusOr<wpb::LedgerLine> Engine::RegisterBudgetLine(
    const Call& call, const wpb::RegisterBudgetLineRequest& req) {
  errors::Violations v;
  if (!ParseName(req.budget_line(), {"funds", "budgetLines"})) {
    v.Add("budget_line", "must be funds/{fund}/budgetLines/{line}");
  }
  ValidateAmount(req.ceiling_pence(), "ceiling_pence", &v);
  if (req.generation() <= 0) {
    v.Add("generation", "must be the source's generation of the ceiling, > 0");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  ScopedLocks lock(line_locks_, {req.budget_line()});
  // A registration no newer than what the line holds changes nothing, so it
  // is answered without a write: whatever order registrations arrive in, the
  // newest generation wins.
  auto cur = ledger_.Get(Key(req.budget_line()), req.budget_line());
  if (!cur.ok() && !absl::IsNotFound(cur.status())) return cur.status();
  if (cur.ok()) {
    const wpb::LedgerLine& held = cur->msg;
    if (req.generation() < held.source_generation() ||
        (req.generation() == held.source_generation() &&
         req.ceiling_pence() == held.ceiling_pence())) {
      return WithAvailable(held);
    }
    if (req.generation() == held.source_generation()) {
      return Refuse(
          reasons::kGenerationConflict,
          absl::StrCat(req.budget_line(), " already holds generation ",
                       held.source_generation(), " with a ceiling of ",
                       FormatPounds(held.ceiling_pence())),
          {{"generation", absl::StrCat(held.source_generation())}});
    }
  }
  return RunOnce<wpb::LedgerLine>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<wpb::LedgerLine> {
        auto cur = ledger_.Get(Key(req.budget_line()), req.budget_line());
        wpb::LedgerLine line;
        uint64_t version = 0;
        if (cur.ok()) {
          line = cur->msg;
          version = cur->version;
          std::optional<int64_t> used =
              AddPence(line.reserved_pence(), line.committed_pence());
          if (!used || req.ceiling_pence() < *used) {
            return Refuse(
                reasons::kCeilingBelowUse,
                absl::StrCat(req.budget_line(), " already has ",
                             FormatPounds(used.value_or(0)),
                             " reserved or committed; the ceiling cannot go "
                             "below that"),
                {{"in_use_pence", absl::StrCat(used.value_or(0))}});
          }
        } else if (!absl::IsNotFound(cur.status())) {
          return cur.status();
        }
        line.set_name(req.budget_line());
        line.set_ceiling_pence(req.ceiling_pence());
        line.set_source_generation(req.generation());
        line.clear_available_pence();
        RETURN_IF_ERROR(CheckBooks(nullptr, {&line}));
        if (version == 0) {
          ledger_.Insert(w, Key(req.budget_line()), line);
        } else {
          ledger_.Replace(w, Key(req.budget_line()), line, version);
        }
        AuditChange(
            w, call, req.budget_line(), req.request_id(),
            absl::StrCat("ledger ceiling ", FormatPounds(req.ceiling_pence()),
                         " (generation ", req.generation(), ")"));
        line.set_etag(absl::StrCat(version + 1));
        return WithAvailable(line);
      });
}

absl::StatusOr<wpb::LedgerLine> Engine::GetLedgerLine(
    const Call& call, const wpb::GetLedgerLineRequest& req) {
  if (!ParseName(req.name(), {"funds", "budgetLines"})) {
    return errors::InvalidArgument(
        {{"name", "must be funds/{fund}/budgetLines/{line}"}});
  }
  RETURN_IF_ERROR(RequireFundScope(call, auth::FundOf(req.name())));
  ASSIGN_OR_RETURN(auto got, ledger_.Get(Key(req.name()), req.name()));
  return WithAvailable(got.msg);
}

absl::StatusOr<wpb::ListLedgerResponse> Engine::ListLedger(
    const Call& call, const wpb::ListLedgerRequest& req) {
  errors::Violations v;
  if (!req.fund().empty() && !ParseName(req.fund(), {"funds"})) {
    v.Add("fund", "must be funds/{fund}");
  }
  const std::string query = "ledger:" + req.fund();
  Page page = ParsePage(req.page_size(), req.page_token(), query, &v);
  if (!v.empty()) return v.ToStatus();
  // Line names start with their fund's name, so a fund is a key prefix of
  // the encoded name minus its terminator.
  std::string prefix;
  if (!req.fund().empty()) {
    prefix = Key(req.fund() + "/budgetLines/");
    prefix.resize(prefix.size() - 2);
  }
  ASSIGN_OR_RETURN(auto listed, ledger_.List(prefix, page, query));
  wpb::ListLedgerResponse resp;
  for (auto& l : listed.items) {
    if (!InFundScope(call, auth::FundOf(l.name()))) continue;
    *resp.add_lines() = WithAvailable(std::move(l));
  }
  resp.set_next_page_token(listed.next_page_token);
  return resp;
}

namespace {

// Adds `values` to `totals` one by one; false (and totals unusable) when a
// sum overflows.
template <size_t N>
bool AddInto(std::array<int64_t, N>& totals,
             const std::array<int64_t, N>& values) {
  for (size_t i = 0; i < N; ++i) {
    std::optional<int64_t> sum = AddPence(totals[i], values[i]);
    if (!sum) return false;
    totals[i] = *sum;
  }
  return true;
}

}  // namespace

absl::StatusOr<wpb::FundDashboard> Engine::GetFundDashboard(
    const Call& call, const wpb::GetFundDashboardRequest& req) {
  RETURN_IF_ERROR(RequireFundReport(call, req.fund()));
  wpb::FundDashboard d;
  d.set_fund(req.fund());
  // Ceiling, reserved, committed, paid, available.
  std::array<int64_t, 5> fund{};
  std::string prefix = Key(req.fund() + "/budgetLines/");
  prefix.resize(prefix.size() - 2);  // as in ListLedger
  RETURN_IF_ERROR(ScanInBatches(
      *store_, ledger_.table(), prefix, 500,
      [&](const std::vector<storage::ScanRow>& rows) -> absl::Status {
        for (const storage::ScanRow& row : rows) {
          ASSIGN_OR_RETURN(auto line, ledger_.Decode(row.record));
          wpb::LedgerLine l = WithAvailable(std::move(line.msg));
          if (!AddInto(fund, {l.ceiling_pence(), l.reserved_pence(),
                              l.committed_pence(), l.paid_pence(),
                              l.available_pence()})) {
            return absl::InternalError("the fund's lines overflow");
          }
          *d.add_lines() = std::move(l);
        }
        return absl::OkStatus();
      }));
  d.set_ceiling_pence(fund[0]);
  d.set_reserved_pence(fund[1]);
  d.set_committed_pence(fund[2]);
  d.set_paid_pence(fund[3]);
  d.set_available_pence(fund[4]);
  // Per round: requested, recommended, awarded, paid.
  std::map<std::string, std::pair<wpb::RoundPipeline, std::array<int64_t, 4>>>
      rounds;
  // The fund's cases through the (fund, state, id) index ListCases uses.
  RETURN_IF_ERROR(ScanInBatches(
      *store_, kByFund, Key(req.fund()), 500,
      [&](const std::vector<storage::ScanRow>& index) -> absl::Status {
        std::vector<std::string> keys;
        for (const storage::ScanRow& row : index) {
          storage::KeyReader k(row.key);
          std::string fund, state, id;
          if (!k.ReadString(&fund) || !k.ReadString(&state) ||
              !k.ReadString(&id)) {
            return absl::DataLossError("malformed case index entry");
          }
          keys.push_back(Key(id));
        }
        ASSIGN_OR_RETURN(auto cases, cases_.GetMany(keys));
        for (const auto& row : cases) {
          if (!row) continue;
          const wpb::Case& c = row->msg;
          auto& [r, sums] = rounds[c.round()];
          r.set_round(c.round());
          r.set_applications(r.applications() + 1);
          ++(*r.mutable_cases_by_state())[c.state()];
          if (!AddInto(sums, {c.amount_requested_pence(), c.recommended_pence(),
                              c.awarded_pence(), c.paid_pence()})) {
            return absl::InternalError("the round's sums overflow");
          }
        }
        return absl::OkStatus();
      }));
  for (auto& [name, round] : rounds) {
    auto& [r, sums] = round;
    r.set_requested_pence(sums[0]);
    r.set_recommended_pence(sums[1]);
    r.set_awarded_pence(sums[2]);
    r.set_paid_pence(sums[3]);
    *d.add_rounds() = std::move(r);
  }
  return d;
}

// ---- Payments ----

template <typename Req>
absl::StatusOr<wpb::Payment> Engine::PaymentCommand(
    const Call& caller, const Req& req, const std::string& payment_id,
    const std::string& kind, errors::Violations v,
    const std::vector<std::string>& fund_roles,
    absl::FunctionRef<absl::Status(const auth::Principal&)> precheck,
    absl::FunctionRef<absl::Status(wpb::Case&, wpb::Payment*,
                                   std::vector<wpb::LedgerLine>&)>
        change) {
  if (!ParseName(req.name(), {"cases"})) v.Add("name", "must be cases/{id}");
  if (!IsValidId(payment_id)) v.Add("payment_id", "must be a short id");
  ASSIGN_OR_RETURN(const auth::Principal person, ActingFor(caller, req, &v));
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  RETURN_IF_ERROR(precheck(person));
  // The history and the audit log name the person; the service is `via`.
  Call call = caller;
  std::string via;
  if (!req.on_behalf_of().empty()) {
    via = caller.principal.user;
    call.principal = person;
  }
  const std::string id = CaseId(req.name());
  ScopedLocks case_lock(case_locks_, {id});
  ASSIGN_OR_RETURN(auto pre, cases_.Get(Key(id), req.name()));
  // Roles scoped to funds: the person holds `fund_roles` in the case's fund
  // (a case's fund never changes, so the read before the lock will do).
  if (!req.on_behalf_of().empty() || !caller.principal.HasRole("service")) {
    RETURN_IF_ERROR(auth::RequireRoleIn(person, fund_roles, pre.msg.fund()));
  }
  std::vector<std::string> names;
  for (const auto& a : pre.msg.allocations()) names.push_back(a.budget_line());
  ScopedLocks line_lock(line_locks_, names);
  return RunOnce<wpb::Payment>(
      *store_, caller, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<wpb::Payment> {
        ASSIGN_OR_RETURN(auto cur, cases_.Get(Key(id), req.name()));
        wpb::Case c = cur.msg;
        ASSIGN_OR_RETURN(auto loaded, LoadLines(names));
        std::vector<wpb::LedgerLine> lines;
        for (const auto& l : loaded) lines.push_back(l.msg);
        wpb::Payment payment;
        RETURN_IF_ERROR(change(c, &payment, lines));
        std::vector<const wpb::LedgerLine*> after;
        for (const auto& l : lines) after.push_back(&l);
        RETURN_IF_ERROR(CheckBooks(&c, after));
        wpb::CaseEvent e;
        e.set_kind(kind);
        e.set_from_state(c.state());
        e.set_to_state(c.state());
        e.set_payment_id(payment.payment_id());
        e.set_amount_pence(payment.amount_pence());
        e.set_agreement_executed(c.agreement().executed());
        e.set_via(via);
        *c.mutable_update_time() = ToProto(call.now);
        AddEvent(w, c, e, call, req.request_id());
        RETURN_IF_ERROR(CheckCaseSize(c));
        for (size_t i = 0; i < lines.size(); ++i) {
          if (lines[i].SerializeAsString() !=
              loaded[i].msg.SerializeAsString()) {
            ledger_.Replace(w, Key(lines[i].name()), lines[i],
                            loaded[i].version);
          }
        }
        WriteCase(w, cases_, c, cur.version, c.state());
        AuditChange(w, call, c.name(), req.request_id(),
                    absl::StrCat(kind, " ", payment.payment_id(), " ",
                                 FormatPounds(payment.amount_pence()),
                                 via.empty() ? "" : "; via ", via),
                    payment.void_reason());
        return payment;
      });
}

absl::StatusOr<wpb::Payment> Engine::AuthorizePayment(
    const Call& call, const wpb::AuthorizePaymentRequest& req) {
  errors::Violations v;
  ValidateAmount(req.amount_pence(), "amount_pence", &v);
  const std::string instalment =
      req.instalment_id().empty() ? req.payment_id() : req.instalment_id();
  if (!req.instalment_id().empty() && !IsValidId(req.instalment_id())) {
    v.Add("instalment_id", "must be a short id");
  }
  const std::optional<std::string> requester =
      auth::CanonicalUser(req.requested_by());
  if (!requester) {
    v.Add("requested_by", "is required: the user who asked for the payment");
  }
  // R5 for payments: the approver is a finance approver, not the requester,
  // acting within their "pay" limit.
  auto precheck = [&](const auth::Principal& approver) -> absl::Status {
    if (call.principal.HasRole("service") && req.on_behalf_of().empty()) {
      return absl::PermissionDeniedError(
          "a service authorises a payment only for the finance approver who "
          "approved it (on_behalf_of, acting)");
    }
    if (!approver.HasRole("finance_approver")) {
      return absl::PermissionDeniedError(
          absl::StrCat(approver.user,
                       " is not a finance approver; payments are approved "
                       "by finance approvers"));
    }
    RETURN_IF_ERROR(duties::Check(
        duties::Duty::kApprovePayment, *requester, approver.user,
        absl::StrCat(req.name(), "'s payment ", req.payment_id())));
    auto limit = approver.limits_pence.find("pay");
    const int64_t own =
        limit == approver.limits_pence.end() ? 0 : limit->second;
    if (req.amount_pence() > own) {
      return Refuse(reasons::kDelegatedLimitExceeded,
                    absl::StrCat(approver.user, " may approve payments up to ",
                                 FormatPounds(own), "; this one is ",
                                 FormatPounds(req.amount_pence())),
                    {{"limit_pence", absl::StrCat(own)}});
    }
    return absl::OkStatus();
  };
  return PaymentCommand(
      call, req, req.payment_id(), "PAYMENT_AUTHORIZED", std::move(v),
      {"finance_approver"}, precheck,
      [&](wpb::Case& c, wpb::Payment* out,
          std::vector<wpb::LedgerLine>&) -> absl::Status {
        auto def = definitions_->Get(c.definition(), c.definition_version());
        if (!def.ok()) {
          return absl::InternalError(absl::StrCat(
              c.name(), " uses ", c.definition(), " v", c.definition_version(),
              ", which this engine has not loaded: ", def.status().message()));
        }
        if (Terminal(**def, c.state())) {
          return Refuse(reasons::kCaseClosed,
                        absl::StrCat(c.name(), " is ", c.state()));
        }
        // R1: an executed agreement, both signatures on the current
        // version's hash, by two different people.
        const wpb::Agreement& ag = c.agreement();
        if (!ag.executed() || ag.document_sha256().empty() ||
            ag.recipient().document_sha256() != ag.document_sha256() ||
            ag.funder().document_sha256() != ag.document_sha256() ||
            ag.recipient().signer() == ag.funder().signer()) {
          return Refuse(reasons::kAgreementNotExecuted,
                        absl::StrCat("no payment before an executed funding "
                                     "agreement; ",
                                     c.name(), " is ", c.state()));
        }
        for (const auto& k : c.conditions()) {
          if (k.open()) {
            return Refuse(reasons::kConditionsOpen,
                          absl::StrCat("condition '", k.id(),
                                       "' is open: ", k.description()),
                          {{"condition", k.id()}});
          }
        }
        for (const auto& p : c.payments()) {
          if (p.payment_id() == req.payment_id()) {
            return absl::AlreadyExistsError(absl::StrCat(
                "payment ", req.payment_id(), " already exists on ", c.name()));
          }
        }
        if (c.payments_size() >= kMaxPayments) {
          return Refuse(reasons::kCaseLimitReached,
                        absl::StrCat(c.name(), " already has ", kMaxPayments,
                                     " payments"));
        }
        // An overdue report holds every later instalment until accepted.
        for (const auto& r : c.reports()) {
          if (r.overdue() && !r.accepted()) {
            return Refuse(reasons::kReportOutstanding,
                          absl::StrCat("monitoring report '", r.report_id(),
                                       "' is overdue; payments wait until it "
                                       "is accepted"),
                          {{"report", r.report_id()}});
          }
        }
        // R2, with a sum that cannot wrap.
        const std::optional<int64_t> after =
            SumPence({c.paid_pence(), c.pending_pence(), req.amount_pence()});
        if (!after || *after > c.awarded_pence()) {
          return Refuse(
              reasons::kExceedsAward,
              absl::StrCat("paid ", FormatPounds(c.paid_pence()), " + pending ",
                           FormatPounds(c.pending_pence()), " + ",
                           FormatPounds(req.amount_pence()),
                           " would exceed the award of ",
                           FormatPounds(c.awarded_pence())));
        }
        if (!c.schedule().empty()) {
          const wpb::Instalment* inst = nullptr;
          for (const auto& i : c.schedule()) {
            if (i.payment_id() == instalment) inst = &i;
          }
          if (inst == nullptr) {
            return Refuse(reasons::kPaymentNotScheduled,
                          absl::StrCat(instalment,
                                       " is not in the executed agreement's "
                                       "schedule"),
                          {{"instalment", instalment}});
          }
          // Payments of this instalment not voided, with this one.
          const int64_t used =
              TakenByInstalment(c)[instalment] + req.amount_pence();
          if (used > inst->amount_pence()) {
            return Refuse(
                reasons::kExceedsInstalment,
                absl::StrCat("instalment ", instalment, " is ",
                             FormatPounds(inst->amount_pence()),
                             "; with this payment ", FormatPounds(used),
                             " would be paid or pending on it"),
                {{"instalment", instalment}});
          }
          if (!inst->requires_report().empty()) {
            bool accepted = false;
            for (const auto& r : c.reports()) {
              accepted =
                  accepted ||
                  (r.report_id() == inst->requires_report() && r.accepted());
            }
            if (!accepted) {
              return Refuse(
                  reasons::kReportOutstanding,
                  absl::StrCat("monitoring report '", inst->requires_report(),
                               "' must be accepted first"),
                  {{"report", inst->requires_report()}});
            }
          }
        }
        wpb::Payment* p = c.add_payments();
        p->set_payment_id(req.payment_id());
        p->set_amount_pence(req.amount_pence());
        p->set_state(wpb::Payment::PENDING);
        p->set_authorized_by(req.on_behalf_of().empty()
                                 ? call.principal.user
                                 : *auth::CanonicalUser(req.on_behalf_of()));
        *p->mutable_authorize_time() = ToProto(call.now);
        p->set_agreement_version(ag.version());
        p->set_agreement_sha256(ag.document_sha256());
        if (!req.instalment_id().empty()) {
          p->set_instalment_id(req.instalment_id());
        }
        p->set_requested_by(*requester);
        c.set_pending_pence(c.pending_pence() + req.amount_pence());
        *out = *p;
        return absl::OkStatus();
      });
}

absl::StatusOr<wpb::Payment> Engine::ConfirmPayment(
    const Call& call, const wpb::ConfirmPaymentRequest& req) {
  return PaymentCommand(
      call, req, req.payment_id(), "PAYMENT_POSTED", {}, {},
      [](const auth::Principal&) { return absl::OkStatus(); },
      [&](wpb::Case& c, wpb::Payment* out,
          std::vector<wpb::LedgerLine>& lines) -> absl::Status {
        ASSIGN_OR_RETURN(wpb::Payment * found,
                         PendingPayment(c, req.payment_id()));
        wpb::Payment* p = found;
        p->set_state(wpb::Payment::POSTED);
        *p->mutable_settle_time() = ToProto(call.now);
        p->set_settled_by(SettledBy(call, req));
        c.set_pending_pence(c.pending_pence() - p->amount_pence());
        c.set_paid_pence(c.paid_pence() + p->amount_pence());
        // Draw the payment from the award's lines in order.
        int64_t left = p->amount_pence();
        for (auto& a : *c.mutable_allocations()) {
          int64_t take = std::min(left, a.amount_pence() - a.paid_pence());
          if (take <= 0) continue;
          a.set_paid_pence(a.paid_pence() + take);
          for (auto& l : lines) {
            if (l.name() == a.budget_line())
              l.set_paid_pence(l.paid_pence() + take);
          }
          left -= take;
        }
        *out = *p;
        return absl::OkStatus();
      });
}

absl::StatusOr<wpb::Payment> Engine::VoidPayment(
    const Call& call, const wpb::VoidPaymentRequest& req) {
  errors::Violations v;
  RequireText(req.reason(), "reason", kMaxReasonChars, &v);
  return PaymentCommand(
      call, req, req.payment_id(), "PAYMENT_VOIDED", std::move(v), {},
      [](const auth::Principal&) { return absl::OkStatus(); },
      [&](wpb::Case& c, wpb::Payment* out,
          std::vector<wpb::LedgerLine>&) -> absl::Status {
        ASSIGN_OR_RETURN(wpb::Payment * found,
                         PendingPayment(c, req.payment_id()));
        wpb::Payment* p = found;
        p->set_state(wpb::Payment::VOIDED);
        p->set_void_reason(req.reason());
        *p->mutable_settle_time() = ToProto(call.now);
        p->set_settled_by(SettledBy(call, req));
        c.set_pending_pence(c.pending_pence() - p->amount_pence());
        *out = *p;
        return absl::OkStatus();
      });
}

// ---- Outbox and timers ----

absl::StatusOr<opb::ListTasksResponse> Engine::ListTasks(
    const Call& call, const opb::ListTasksRequest& req) {
  return outbox_.ListTasks(call, req);
}

absl::StatusOr<opb::Task> Engine::RetryTask(const Call& call,
                                            const opb::RetryTaskRequest& req) {
  return outbox_.RetryTask(call, req);
}

absl::StatusOr<bool> Engine::RescheduleIfRoundExtended(const wpb::TimerEntry& t,
                                                       const std::string& key,
                                                       absl::Time now,
                                                       const Call& call) {
  auto c = cases_.Get(Key(CaseId(t.case_name())), t.case_name());
  if (!c.ok()) return false;  // let Apply report it
  auto terms = directory_->GetRound(c->msg.round());
  if (absl::IsNotFound(terms.status())) return false;
  if (!terms.ok()) return terms.status();
  if (terms->close_time <= now) return false;
  wpb::TimerEntry later = t;
  *later.mutable_due_time() = ToProto(terms->close_time);
  storage::WriteSet w;
  w.Delete(kTimers, key);
  w.Put(kTimers, TimerKey(terms->close_time, CaseId(t.case_name()), t.id()),
        later.SerializeAsString());
  AuditChange(w, call, t.case_name(), "",
              absl::StrCat(c->msg.round(), " now closes at ",
                           absl::FormatTime(terms->close_time),
                           "; ROUND_CLOSED waits until then"));
  RETURN_IF_ERROR(store_->Commit(w));
  return true;
}

absl::StatusOr<int> Engine::FireDueTimers(absl::Time now, int limit) {
  ASSIGN_OR_RETURN(auto scan, store_->Scan(kTimers, "", "", limit));
  int fired = 0;
  for (const auto& row : scan.rows) {
    wpb::TimerEntry t;
    if (!t.ParseFromString(row.record.value)) {
      return absl::DataLossError("a timer row cannot be read");
    }
    if (FromProto(t.due_time()) > now) break;
    Call call;
    call.principal.user = kTimerActor;
    call.now = now;
    call.method = "engine/timer";
    if (t.fact() == facts::kRoundClosed) {
      // The round's close time is ProgrammeService's and may have moved
      // since the case started: ask, and wait on if the round was extended.
      // Unanswered, the timer waits for the next pass.
      auto moved = RescheduleIfRoundExtended(t, row.key, now, call);
      if (!moved.ok()) continue;
      if (*moved) continue;
    }
    wpb::RecordFactRequest req;
    req.set_name(t.case_name());
    req.set_fact(t.fact());
    req.mutable_payload()->set_report_id(t.report_id());
    req.set_request_id(
        absl::StrCat("timer:", CaseId(t.case_name()), ":", t.id()));
    auto applied = Apply(call, req, &t, row.key);
    if (!applied.ok()) {
      // A timer that cannot apply must not fire forever: drop it, on record.
      storage::WriteSet w;
      w.Delete(kTimers, row.key);
      AuditChange(w, call, t.case_name(), req.request_id(),
                  absl::StrCat("timer ", t.fact(), " could not apply: ",
                               applied.status().message()));
      RETURN_IF_ERROR(store_->Commit(w));
    }
    ++fired;
  }
  return fired;
}

absl::StatusOr<std::vector<Holding>> Engine::PersonalData(
    const privacy::v1::Subject& subject) const {
  PersonalTable<wpb::Case> t;
  t.rows = &cases_;
  t.kind = "case";
  t.about = OrganisationIs<wpb::Case>;
  t.cases = [](const wpb::Case& c, const std::string&) {
    return std::vector<std::string>{c.name()};
  };
  return HoldingsIn(subject, t);
}

}  // namespace grantflow::workflows
