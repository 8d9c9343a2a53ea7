// Safeguarding checks: opening, reading (audited), requiring, outcomes,
// conditions, withdrawal, and the purge of DBS records.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "platform/audit.h"
#include "platform/errors.h"
#include "platform/fact_names.h"
#include "platform/idempotency.h"
#include "platform/reasons.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "services/common/check_conditions.h"
#include "services/safeguarding/internal.h"
#include "services/safeguarding/safeguarding.h"
#include "storage/key_coding.h"

namespace grantflow::safeguarding {
namespace {

bool CaseEnded(const std::string& state) {
  return state == "WITHDRAWN" || state == "LAPSED" || state == "DECLINED" ||
         state == "INELIGIBLE";
}

std::string EngineConditionId(const std::string& id) { return "sg-" + id; }

}  // namespace

absl::Time PurgeTimeFor(absl::Time decided) {
  const absl::CivilDay day = absl::ToCivilDay(decided, absl::UTCTimeZone());
  // The first of the month six months on, then the same day or the month's
  // last.
  const absl::CivilMonth month = absl::CivilMonth(day) + 6;
  absl::CivilDay target(month.year(), month.month(), day.day());
  if (target.month() != month.month()) {
    target = absl::CivilDay(month + 1) - 1;  // a shorter month: its last day
  }
  return absl::FromCivil(target, absl::UTCTimeZone()) +
         (decided - absl::FromCivil(day, absl::UTCTimeZone()));
}

Safeguarding::Safeguarding(storage::Store* store, CaseClient* cases,
                           ApplicantSource* applicants)
    : store_(store),
      cases_(cases),
      applicants_(applicants),
      checks_(store, "safeguardingChecks", "sg_checks", "sg_by_state",
              "safeguarding check"),
      dbs_(store, kDbsTable, "DBS record") {
  checks_.SetFundOf([](const pb::SafeguardingCheck& c) { return c.fund(); });
}

absl::Status Safeguarding::Tell(const Call& call,
                                const pb::SafeguardingCheck& c,
                                const std::string& fact,
                                const std::string& reason,
                                const std::string& request_id,
                                workflow::v1::FactPayload payload) {
  return RecordCaseFact(*cases_, {.case_name = c.case_(),
                                  .fact = fact,
                                  .reason = reason,
                                  .request_id = request_id,
                                  .person = &call.principal,
                                  .payload = std::move(payload)});
}

absl::Status Safeguarding::RecordReads(const Call& call,
                                       const std::vector<std::string>& names) {
  if (names.empty()) return absl::OkStatus();
  storage::WriteSet w;
  const std::string unique = NewId(call.now);
  for (const std::string& name : names) {
    pb::AccessEntry e;
    e.set_check(name);
    e.set_user(call.principal.user);
    e.set_method(call.method);
    *e.mutable_time() = ToProto(call.now);
    w.Put(kAccessTable, AccessKey(IdOf(name), call.now, unique),
          e.SerializeAsString());
    AuditChange(w, call, name, "", "read safeguarding details");
  }
  return store_->Commit(w).status();
}

absl::StatusOr<pb::SafeguardingCheck> Safeguarding::OpenCheck(
    const Call& call, const pb::OpenCheckRequest& req) {
  errors::Violations v;
  const std::optional<std::string> case_id =
      checks::CaseToCheck(req.case_(), req.request_id(), &v);
  if (!case_id) return v.ToStatus();
  const std::string& id = *case_id;
  // A second delivery changes nothing.
  return checks_.CreateOnce(
      call, req, checks_.NameOf(id), req.request_id(),
      [&](pb::SafeguardingCheck& c) -> absl::StatusOr<std::string> {
        ASSIGN_OR_RETURN(workflow::v1::Case kase,
                         checks::ApprovedAward(*cases_, req.case_()));
        ASSIGN_OR_RETURN(applications::v1::Application app,
                         applicants_->GetApplication(kase.application()));
        ASSIGN_OR_RETURN(applications::v1::Organisation org,
                         applicants_->GetOrganisation(kase.organisation()));
        c.set_case_(kase.name());
        c.set_application(kase.application());
        c.set_fund(kase.fund());
        c.set_organisation(kase.organisation());
        c.set_organisation_name(org.display_name());
        c.set_project_title(app.title());
        c.set_works_with_children(app.works_with_children());
        c.set_works_with_adults_at_risk(app.works_with_adults_at_risk());
        for (pb::ItemKind k : kItemKinds) c.add_items()->set_kind(k);
        RETURN_IF_ERROR(RecordCaseFact(
            *cases_, {.case_name = c.case_(),
                      .fact = facts::kChecksStarted,
                      .request_id = absl::StrCat("sg:", id, ":start"),
                      .already = "PRE_AGREEMENT_CHECKS"}));
        if (!kase.safeguarding_required()) {
          c.set_state(pb::SafeguardingCheck::NOT_REQUIRED);
          return std::string("opened: not required by the application");
        }
        std::vector<std::string> who;
        if (app.works_with_children()) who.push_back("children");
        if (app.works_with_adults_at_risk()) who.push_back("adults at risk");
        c.set_state(pb::SafeguardingCheck::OPEN);
        c.set_required_because(who.empty()
                                   ? "required at the engine"
                                   : absl::StrCat("the project works with ",
                                                  absl::StrJoin(who, " and ")));
        return absl::StrCat("opened: ", c.required_because());
      });
}

absl::StatusOr<pb::SafeguardingCheck> Safeguarding::GetCheck(
    const Call& call, const pb::GetCheckRequest& req) {
  ASSIGN_OR_RETURN(auto got, checks_.Get(call, req.name()));
  RETURN_IF_ERROR(RecordReads(call, {got.msg.name()}));
  return got.msg;
}

absl::StatusOr<pb::ListChecksResponse> Safeguarding::ListChecks(
    const Call& call, const pb::ListChecksRequest& req) {
  ASSIGN_OR_RETURN(
      pb::ListChecksResponse resp,
      checks_.ListPage(call, req.state(), req.page_size(), req.page_token(),
                       &pb::ListChecksResponse::mutable_checks));
  // Answered only once every check read is recorded (R7).
  std::vector<std::string> names;
  for (const auto& c : resp.checks()) names.push_back(c.name());
  RETURN_IF_ERROR(RecordReads(call, names));
  return resp;
}

absl::StatusOr<pb::MarkRequiredResponse> Safeguarding::MarkRequired(
    const Call& call, const pb::MarkRequiredRequest& req) {
  errors::Violations v;
  checks_.ParseName(req.check(), "check", &v);
  RequireText(req.reason(), "reason", kMaxReasonChars, &v);
  if (!HasText(req.reason())) v.Add("reason", "is required: say why");
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(
      pb::SafeguardingCheck c,
      checks_.Change(call, req, req.check(), req.request_id(), "", req.reason(),
                     [&](pb::SafeguardingCheck& c,
                         storage::WriteSet&) -> absl::StatusOr<std::string> {
                       if (c.state() != pb::SafeguardingCheck::NOT_REQUIRED) {
                         return NotInState(c, reasons::kCheckNotOpen,
                                           "it is required already");
                       }
                       RETURN_IF_ERROR(Tell(
                           call, c, facts::kSafeguardingRequired, req.reason(),
                           absl::StrCat("sg:", IdOf(c.name()), ":required")));
                       c.set_state(pb::SafeguardingCheck::OPEN);
                       c.set_required_because(absl::StrCat(
                           "marked required by ", call.principal.user, ": ",
                           req.reason()));
                       return std::string("marked required");
                     }));
  pb::MarkRequiredResponse resp;
  resp.set_check(c.name());
  resp.set_required(true);
  return resp;
}

void Safeguarding::SchedulePurge(pb::SafeguardingCheck& c, absl::Time now,
                                 storage::WriteSet& w) {
  if (c.has_dbs_purge_time()) return;
  const absl::Time at = PurgeTimeFor(now);
  *c.mutable_dbs_purge_time() = ToProto(at);
  w.PutIndex(kPurgeTimers, PurgeKey(at, IdOf(c.name())));
}

absl::StatusOr<pb::SafeguardingCheck> Safeguarding::ConcludeCheck(
    const Call& call, const pb::ConcludeCheckRequest& req) {
  errors::Violations v;
  checks_.ParseName(req.check(), "check", &v);
  ValidateConclusion(req, &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  const auto outcome = req.outcome();
  return checks_.Change(
      call, req, req.check(), req.request_id(), req.etag(), req.reason(),
      [&](pb::SafeguardingCheck& c,
          storage::WriteSet& w) -> absl::StatusOr<std::string> {
        if (c.state() != pb::SafeguardingCheck::OPEN) {
          return NotInState(c, reasons::kCheckNotOpen,
                            "only an OPEN check is concluded");
        }
        const std::string id = IdOf(c.name());
        std::string what;
        if (outcome == pb::ConcludeCheckRequest::FAILED) {
          RETURN_IF_ERROR(Tell(call, c, facts::kSafeguardingFailed,
                               req.reason(),
                               absl::StrCat("sg:", id, ":failed")));
          c.set_state(pb::SafeguardingCheck::FAILED);
          what = "failed: the award lapses";
        } else {
          RETURN_IF_ERROR(
              CheckItemsPass(c, outcome == pb::ConcludeCheckRequest::PASSED));
          for (const pb::Condition& k : req.conditions()) {
            workflow::v1::FactPayload p;
            p.set_condition_id(EngineConditionId(k.id()));
            p.set_description(k.description());
            p.set_condition_source("SAFEGUARDING");
            RETURN_IF_ERROR(Tell(call, c, facts::kConditionRaised, "",
                                 absl::StrCat("sg:", id, ":cond:", k.id()),
                                 std::move(p)));
            pb::Condition& added = *c.add_conditions();
            added.set_id(k.id());
            added.set_description(k.description());
            added.set_open(true);
            added.set_raised_by(call.principal.user);
          }
          RETURN_IF_ERROR(Tell(call, c, facts::kSafeguardingPassed,
                               req.reason(),
                               absl::StrCat("sg:", id, ":passed")));
          c.set_state(req.conditions().empty()
                          ? pb::SafeguardingCheck::PASSED
                          : pb::SafeguardingCheck::PASSED_WITH_CONDITIONS);
          what = req.conditions().empty()
                     ? std::string("passed")
                     : absl::StrCat("passed with ", req.conditions_size(),
                                    " condition(s)");
        }
        c.set_decided_by(call.principal.user);
        c.set_outcome_reason(req.reason());
        *c.mutable_decide_time() = ToProto(call.now);
        SchedulePurge(c, call.now, w);
        return what;
      });
}

absl::StatusOr<pb::SafeguardingCheck> Safeguarding::ClearCondition(
    const Call& call, const pb::ClearConditionRequest& req) {
  errors::Violations v;
  checks_.ParseName(req.check(), "check", &v);
  checks::ValidateClearing(req.condition_id(), req.note(), &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return checks_.Change(
      call, req, req.check(), req.request_id(), "", req.note(),
      [&](pb::SafeguardingCheck& c,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        ASSIGN_OR_RETURN(pb::Condition * k,
                         checks::OpenCondition(c.mutable_conditions(), c.name(),
                                               req.condition_id()));
        workflow::v1::FactPayload p;
        p.set_condition_id(EngineConditionId(k->id()));
        RETURN_IF_ERROR(
            Tell(call, c, facts::kConditionCleared, req.note(),
                 absl::StrCat("sg:", IdOf(c.name()), ":clear:", k->id()),
                 std::move(p)));
        checks::MarkCleared(*k, call, req.note());
        return absl::StrCat("condition '", k->id(), "' cleared");
      });
}

absl::StatusOr<pb::SafeguardingCheck> Safeguarding::ApplyCaseOutcome(
    const Call& call, const pb::ApplyCaseOutcomeRequest& req) {
  errors::Violations v;
  checks_.ParseName(req.check(), "check", &v);
  if (req.state().empty()) v.Add("state", "is required: the case's state");
  if (req.event_seq() <= 0) v.Add("event_seq", "must be the case event's seq");
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return checks_.Change(
      call, req, req.check(), req.request_id(), "", "",
      [&](pb::SafeguardingCheck& c,
          storage::WriteSet& w) -> absl::StatusOr<std::string> {
        if (CaseEnded(req.state()) &&
            (c.state() == pb::SafeguardingCheck::OPEN ||
             c.state() == pb::SafeguardingCheck::NOT_REQUIRED)) {
          c.set_state(pb::SafeguardingCheck::CLOSED);
          // Records of a withdrawn project are kept no longer than a
          // decided one's.
          SchedulePurge(c, call.now, w);
        }
        return absl::StrCat("the case is ", req.state());
      });
}

absl::StatusOr<pb::ListAccessLogResponse> Safeguarding::ListAccessLog(
    const Call& call, const pb::ListAccessLogRequest& req) {
  errors::Violations v;
  auto id = checks_.ParseName(req.check(), "check", &v);
  const std::string query = "access:" + req.check();
  Page page = ParsePage(req.page_size(), req.page_token(), query, &v);
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(auto exists, checks_.Get(call, req.check(), "check"));
  (void)exists;
  ASSIGN_OR_RETURN(storage::ScanResult scan,
                   store_->Scan(kAccessTable, checks_.Key(*id),
                                page.start_after, page.size));
  pb::ListAccessLogResponse resp;
  for (const storage::ScanRow& row : scan.rows) {
    if (!resp.add_entries()->ParseFromString(row.record.value)) {
      return absl::DataLossError("an access log row cannot be read");
    }
  }
  resp.set_next_page_token(PageTokenAfter(scan, scan.rows.size(), query));
  return resp;
}

absl::StatusOr<int> Safeguarding::PurgeDue(absl::Time now, int limit) {
  ASSIGN_OR_RETURN(storage::ScanResult scan,
                   store_->Scan(kPurgeTimers, "", "", limit));
  int purged = 0;
  for (const storage::ScanRow& row : scan.rows) {
    storage::KeyReader r(row.key);
    int64_t due = 0;
    std::string id;
    if (!r.ReadInt64(&due) || !r.ReadString(&id)) {
      return absl::DataLossError("a purge timer row cannot be read");
    }
    if (absl::FromUnixMicros(due) > now) break;
    Call call;
    call.principal.user = "safeguarding:purge";
    call.method = "safeguarding/purge";
    call.now = now;
    // Every record of the check, the timer and the count in one write.
    ASSIGN_OR_RETURN(auto cur, checks_.Get(checks_.NameOf(id)));
    storage::WriteSet w;
    int deleted = 0;
    std::string after;
    while (true) {
      ASSIGN_OR_RETURN(storage::ScanResult records,
                       store_->Scan(kDbsTable, checks_.Key(id), after, 500));
      for (const storage::ScanRow& rec : records.rows) {
        w.Delete(kDbsTable, rec.key);
        ++deleted;
      }
      if (!records.more || records.rows.empty()) break;
      after = records.rows.back().key;
    }
    w.Delete(kPurgeTimers, row.key);
    pb::SafeguardingCheck c = cur.msg;
    c.set_dbs_records(0);
    c.set_dbs_purged(true);
    *c.mutable_update_time() = ToProto(now);
    checks_.Write(w, call, c, &cur.msg, cur.version, "",
                  absl::StrCat("DBS records purged: ", deleted,
                               " deleted six months after the outcome"),
                  "DBS code of practice");
    RETURN_IF_ERROR(store_->Commit(w).status());
    ++purged;
  }
  return purged;
}

}  // namespace grantflow::safeguarding
