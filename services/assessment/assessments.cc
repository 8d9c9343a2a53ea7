#include "services/assessment/assessments.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "platform/audit.h"
#include "platform/auth.h"
#include "platform/errors.h"
#include "platform/fact_names.h"
#include "platform/idempotency.h"
#include "platform/paging.h"
#include "platform/reasons.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "services/assessment/scoring.h"
#include "storage/key_coding.h"

namespace grantflow::assessment {
namespace {

namespace ppb = ::grantflow::programmes::v1;
namespace wpb = ::grantflow::workflow::v1;

constexpr char kByRound[] = "assessments_by_round";
constexpr char kQueue[] = "assessor_queue";
constexpr int kMaxAssignmentsPerStage = 10;

std::string IdKey(const std::string& id) {
  std::string k;
  storage::AppendString(&k, id);
  return k;
}

std::optional<std::string> ParseAssessmentName(const std::string& name,
                                               const std::string& field,
                                               errors::Violations* v) {
  auto ids = ParseName(name, {"assessments"});
  if (!ids) {
    v->Add(field, "must be assessments/{id}");
    return std::nullopt;
  }
  return (*ids)[0];
}

std::string IdOf(const std::string& name) {
  return name.substr(std::string("assessments/").size());
}

const char* StageWord(pb::Stage s) {
  return s == pb::INTERVIEW ? "interview" : "written";
}

struct SheetName {
  std::string id;
  pb::Stage stage = pb::STAGE_UNSPECIFIED;
  std::string assessor;
};

// assessments/{id}/scoreSheets/{written|interview}.{assessor}
std::optional<SheetName> ParseSheetName(const std::string& name,
                                        const std::string& field,
                                        errors::Violations* v) {
  const std::string prefix = "assessments/";
  const std::string sheets = "/scoreSheets/";
  SheetName out;
  size_t slash = name.find('/', prefix.size());
  bool ok = name.rfind(prefix, 0) == 0 && slash != std::string::npos &&
            name.compare(slash, sheets.size(), sheets) == 0;
  if (ok) {
    out.id = name.substr(prefix.size(), slash - prefix.size());
    const std::string rest = name.substr(slash + sheets.size());
    const size_t dot = rest.find('.');
    const std::string stage = rest.substr(0, dot);
    out.stage = stage == "written"     ? pb::WRITTEN
                : stage == "interview" ? pb::INTERVIEW
                                       : pb::STAGE_UNSPECIFIED;
    if (dot != std::string::npos) {
      auto user = auth::CanonicalUser(rest.substr(dot + 1));
      if (user) out.assessor = *user;
    }
    ok = IsValidId(out.id) && out.stage != pb::STAGE_UNSPECIFIED &&
         !out.assessor.empty();
  }
  if (!ok) {
    v->Add(field,
           "must be assessments/{id}/scoreSheets/{written|interview}.{user}");
    return std::nullopt;
  }
  return out;
}

std::string SheetKey(const std::string& id, pb::Stage stage,
                     const std::string& assessor) {
  std::string k = IdKey(id);
  storage::AppendUint64(&k, stage);
  storage::AppendString(&k, assessor);
  return k;
}

std::string RoundKey(const pb::Assessment& a) {
  std::string k;
  storage::AppendString(&k, a.round());
  storage::AppendString(&k, IdOf(a.name()));
  return k;
}

bool Active(const pb::Assignment& as) {
  return as.declaration() != pb::CONFLICT;
}

// The queue row of an assignment that still needs its assessor: by due time,
// then assessment and stage.
std::string QueueKey(const pb::Assessment& a, const pb::Assignment& as) {
  std::string k;
  storage::AppendString(&k, as.assessor());
  storage::AppendInt64(&k, absl::ToUnixMicros(FromProto(as.due_time())));
  storage::AppendString(&k, IdOf(a.name()));
  storage::AppendUint64(&k, as.stage());
  return k;
}

std::set<std::string> QueueKeys(const pb::Assessment& a) {
  std::set<std::string> keys;
  if (a.state() == pb::Assessment::WITHDRAWN) return keys;
  for (const pb::Assignment& as : a.assignments()) {
    if (Active(as)) keys.insert(QueueKey(a, as));
  }
  return keys;
}

bool IsStaff(const auth::Principal& p) {
  for (const char* r : {"grants_officer", "moderator", "admin", "auditor",
                        "approver", "service"}) {
    if (p.HasRole(r)) return true;
  }
  return false;
}

pb::Assignment* FindAssignment(pb::Assessment& a, const std::string& who,
                               pb::Stage stage) {
  for (pb::Assignment& as : *a.mutable_assignments()) {
    if (as.assessor() == who && as.stage() == stage) return &as;
  }
  return nullptr;
}

const pb::Assignment* FindAssignment(const pb::Assessment& a,
                                     const std::string& who, pb::Stage stage) {
  return FindAssignment(const_cast<pb::Assessment&>(a), who, stage);
}

int AssessorsWanted(const ppb::Round& round) {
  const int n = round.assessment().assessors_per_application();
  return n == 0 ? 2 : n;
}

absl::Duration AssessmentTime(const ppb::Round& round) {
  const int d = round.assessment().assessment_days();
  return absl::Hours(24) * (d == 0 ? 14 : d);
}

void CountNeeded(pb::Assessment& a, int wanted) {
  if (a.state() != pb::Assessment::IN_ASSESSMENT) {
    a.set_assessors_needed(0);
    return;
  }
  int active = 0;
  for (const pb::Assignment& as : a.assignments()) {
    if (as.stage() == pb::WRITTEN && Active(as)) ++active;
  }
  a.set_assessors_needed(std::max(0, wanted - active));
}

absl::Status NotInAssessment(const pb::Assessment& a) {
  return errors::FailedPrecondition(
      reasons::kNotInAssessment,
      absl::StrCat(a.name(), " is ", pb::Assessment::State_Name(a.state()),
                   ", not in assessment"),
      {{"state", pb::Assessment::State_Name(a.state())}});
}

// The assessment as far as one assignment goes: no bid.
pb::Assessment OwnAssignmentView(const pb::Assessment& a,
                                 const pb::Assignment& mine) {
  pb::Assessment out;
  out.set_name(a.name());
  out.set_round(a.round());
  out.set_state(a.state());
  out.set_etag(a.etag());
  *out.add_assignments() = mine;
  return out;
}

// What an assessor may see of `a` (rule R6): their own assignment, and the
// bid's title and organisation until they declare no conflict.
absl::StatusOr<pb::Assessment> AssessorView(const pb::Assessment& a,
                                            const std::string& who) {
  const pb::Assignment* mine = nullptr;
  for (const pb::Assignment& as : a.assignments()) {
    if (as.assessor() != who) continue;
    if (as.declaration() == pb::CONFLICT) {
      return errors::WithReason(
          absl::PermissionDeniedError(absl::StrCat(
              "you declared a conflict of interest on ", a.name())),
          reasons::kConflictDeclared);
    }
    if (mine == nullptr || as.declaration() == pb::NO_CONFLICT) mine = &as;
  }
  if (mine == nullptr) {
    return errors::WithReason(absl::PermissionDeniedError(absl::StrCat(
                                  a.name(), " is not assigned to you")),
                              reasons::kNotAssigned);
  }
  pb::Assessment out = OwnAssignmentView(a, *mine);
  if (mine->declaration() == pb::NO_CONFLICT) {
    *out.mutable_bid() = a.bid();
  } else {
    out.mutable_bid()->set_title(a.bid().title());
    out.mutable_bid()->set_organisation_name(a.bid().organisation_name());
  }
  return out;
}

void ValidateBid(const pb::Bid& b, errors::Violations* v) {
  auto app = ParseName(b.application(), {"applications"});
  if (!app) v->Add("bid.application", "must be applications/{id}");
  if (!ParseName(b.round(), {"funds", "rounds"})) {
    v->Add("bid.round", "must be funds/{fund}/rounds/{round}");
  }
  if (!ParseName(b.organisation(), {"organisations"})) {
    v->Add("bid.organisation", "must be organisations/{id}");
  }
  RequireText(b.title(), "bid.title", 140, v);
  LimitText(b.organisation_name(), "bid.organisation_name", 200, v);
  LimitText(b.summary(), "bid.summary", 5000, v);
  if (b.amount_requested_pence() <= 0) {
    v->Add("bid.amount_requested_pence", "must be positive");
  }
  if (b.boroughs_served_size() > 40) v->Add("bid.boroughs_served", "too many");
  if (b.budget_size() > 100) v->Add("bid.budget", "too many items");
}

// The assignment through which `who` scores `a` at `stage`: assigned, and
// declared no conflict (rule R6).
absl::StatusOr<pb::Assignment*> Scorer(pb::Assessment& a,
                                       const std::string& who,
                                       pb::Stage stage) {
  pb::Assignment* as = FindAssignment(a, who, stage);
  if (as == nullptr) {
    return errors::WithReason(
        absl::PermissionDeniedError(absl::StrCat(
            a.name(), " is not assigned to ", who, " at this stage")),
        reasons::kNotAssigned);
  }
  if (as->declaration() == pb::CONFLICT) {
    return errors::WithReason(
        absl::PermissionDeniedError(absl::StrCat(
            who, " declared a conflict of interest on ", a.name())),
        reasons::kConflictDeclared);
  }
  if (as->declaration() != pb::NO_CONFLICT) {
    return errors::FailedPrecondition(
        reasons::kNotDeclared,
        absl::StrCat("declare whether you have a conflict of interest on ",
                     a.name(), " before you read or score it"));
  }
  return as;
}

const Criteria& CriteriaFor(const ppb::Round& round, pb::Stage stage) {
  if (stage == pb::INTERVIEW &&
      !round.assessment().interview_criteria().empty()) {
    return round.assessment().interview_criteria();
  }
  return round.criteria();
}

}  // namespace

Assessments::Assessments(storage::Store* store, RoundSource* rounds,
                         CaseClient* cases)
    : store_(store),
      rounds_(rounds),
      cases_(cases),
      assessments_(store, "assessments", "assessment"),
      sheets_(store, "score_sheets", "score sheet") {}

absl::StatusOr<Versioned<pb::Assessment>> Assessments::Load(
    const std::string& name, const std::string& field) {
  errors::Violations v;
  auto id = ParseAssessmentName(name, field, &v);
  if (!v.empty()) return v.ToStatus();
  return assessments_.Get(IdKey(*id), name);
}

void Assessments::Write(storage::WriteSet& w, const Call& call,
                        const pb::Assessment& a, const pb::Assessment* before,
                        uint64_t version, const std::string& request_id,
                        const std::string& what, const std::string& why) {
  const std::string key = IdKey(IdOf(a.name()));
  if (before == nullptr) {
    assessments_.Insert(w, key, a);
    w.PutIndex(kByRound, RoundKey(a));
  } else {
    assessments_.Replace(w, key, a, version);
  }
  const std::set<std::string> old_keys =
      before == nullptr ? std::set<std::string>{} : QueueKeys(*before);
  const std::set<std::string> new_keys = QueueKeys(a);
  for (const std::string& k : old_keys) {
    if (!new_keys.contains(k)) w.Delete(kQueue, k);
  }
  for (const std::string& k : new_keys) {
    if (!old_keys.contains(k)) w.PutIndex(kQueue, k);
  }
  AuditChange(w, call, a.name(), request_id, what, why);
}

absl::StatusOr<pb::Assessment> Assessments::OpenAssessment(
    const Call& call, const pb::OpenAssessmentRequest& req) {
  errors::Violations v;
  ValidateBid(req.bid(), &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  const std::string id =
      req.bid().application().substr(std::string("applications/").size());
  ASSIGN_OR_RETURN(ppb::Round round,
                   rounds_->GetRound(call, req.bid().round()));
  ScopedLocks lock(locks_, {id});
  return RunOnce<pb::Assessment>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::Assessment> {
        // A second delivery of the same submission changes nothing.
        absl::StatusOr<Versioned<pb::Assessment>> existing =
            assessments_.Get(IdKey(id), "assessments/" + id);
        if (existing.ok()) return existing->msg;
        if (!absl::IsNotFound(existing.status())) return existing.status();
        pb::Assessment a;
        a.set_name("assessments/" + id);
        a.set_application(req.bid().application());
        a.set_case_("cases/" + id);
        a.set_round(req.bid().round());
        a.set_state(pb::Assessment::AWAITING_SCREENING);
        *a.mutable_bid() = req.bid();
        for (pb::EligibilityCheck& c : CheckEligibility(req.bid(), round)) {
          *a.mutable_screening()->add_checks() = std::move(c);
        }
        *a.mutable_create_time() = ToProto(call.now);
        *a.mutable_update_time() = ToProto(call.now);
        Write(w, call, a, nullptr, 0, req.request_id(), "opened for screening",
              "");
        a.set_etag("1");
        return a;
      });
}

absl::StatusOr<pb::Assessment> Assessments::ApplyCaseOutcome(
    const Call& call, const pb::ApplyCaseOutcomeRequest& req) {
  errors::Violations v;
  ParseAssessmentName(req.assessment(), "assessment", &v);
  if (req.state().empty()) v.Add("state", "is required: the case's state");
  if (req.event_seq() <= 0) v.Add("event_seq", "must be the case event's seq");
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  ScopedLocks lock(locks_, {req.assessment()});
  return RunOnce<pb::Assessment>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::Assessment> {
        ASSIGN_OR_RETURN(auto cur, Load(req.assessment(), "assessment"));
        pb::Assessment a = cur.msg;
        if (req.state() != "WITHDRAWN" ||
            a.state() == pb::Assessment::WITHDRAWN) {
          return a;  // only withdrawals concern assessment
        }
        a.set_state(pb::Assessment::WITHDRAWN);
        CountNeeded(a, 0);
        *a.mutable_update_time() = ToProto(call.now);
        Write(w, call, a, &cur.msg, cur.version, req.request_id(),
              "withdrawn (the case was withdrawn)", "");
        a.set_etag(absl::StrCat(cur.version + 1));
        return a;
      });
}

absl::StatusOr<pb::Assessment> Assessments::GetAssessment(
    const Call& call, const pb::GetAssessmentRequest& req) {
  ASSIGN_OR_RETURN(auto cur, Load(req.name(), "name"));
  if (IsStaff(call.principal)) return cur.msg;
  return AssessorView(cur.msg, call.principal.user);
}

absl::StatusOr<pb::ListAssessmentsResponse> Assessments::ListAssessments(
    const Call& call, const pb::ListAssessmentsRequest& req) {
  errors::Violations v;
  if (!ParseName(req.round(), {"funds", "rounds"})) {
    v.Add("round", "must be funds/{fund}/rounds/{round}");
  }
  if (!pb::Assessment::State_IsValid(req.state())) {
    v.Add("state", "is not a known assessment state");
  }
  const std::string query =
      absl::StrCat("assessments:", req.round(), "|", req.state());
  Page page = ParsePage(req.page_size(), req.page_token(), query, &v);
  if (!v.empty()) return v.ToStatus();
  std::string prefix;
  storage::AppendString(&prefix, req.round());
  ASSIGN_OR_RETURN(storage::ScanResult scan,
                   store_->Scan(kByRound, prefix, page.start_after, page.size));
  std::vector<std::string> keys;
  for (const storage::ScanRow& row : scan.rows) {
    keys.push_back(row.key.substr(prefix.size()));
  }
  ASSIGN_OR_RETURN(auto rows, store_->MultiGet(assessments_.table(), keys));
  pb::ListAssessmentsResponse resp;
  PageBytes budget;
  size_t used = 0;
  for (; used < rows.size(); ++used) {
    if (!rows[used].ok()) {
      return absl::DataLossError(absl::StrCat(
          "the round index names an assessment that is not stored: ",
          rows[used].status().message()));
    }
    if (!budget.Fits(rows[used]->value.size())) break;
    ASSIGN_OR_RETURN(auto a, assessments_.Decode(*rows[used]));
    if (req.state() != pb::Assessment::STATE_UNSPECIFIED &&
        a.msg.state() != req.state()) {
      continue;
    }
    *resp.add_assessments() = std::move(a.msg);
  }
  (void)call;
  resp.set_next_page_token(PageTokenAfter(scan, used, query));
  return resp;
}

absl::Status Assessments::RecordFact(const Call& call, const pb::Assessment& a,
                                     const std::string& fact,
                                     const std::string& reason,
                                     const std::string& request_id) {
  wpb::RecordFactRequest f;
  f.set_name(a.case_());
  f.set_fact(fact);
  f.set_reason(reason);
  f.set_on_behalf_of(call.principal.user);
  f.set_request_id(request_id);
  absl::StatusOr<wpb::Case> done = cases_->RecordFact(f);
  if (absl::IsNotFound(done.status())) {
    return errors::WithReason(
        absl::UnavailableError(
            absl::StrCat(a.case_(),
                         " has not reached the workflow engine yet (the "
                         "submission is still being delivered); try again "
                         "shortly")),
        reasons::kCaseNotStarted);
  }
  return done.status();
}

absl::StatusOr<pb::Assessment> Assessments::ScreenApplication(
    const Call& call, const pb::ScreenApplicationRequest& req) {
  errors::Violations v;
  ParseAssessmentName(req.name(), "name", &v);
  if (req.decision() != pb::Screening::ELIGIBLE &&
      req.decision() != pb::Screening::INELIGIBLE) {
    v.Add("decision", "must be ELIGIBLE or INELIGIBLE");
  }
  LimitText(req.reason(), "reason", 2000, &v);
  if (req.decision() == pb::Screening::INELIGIBLE &&
      req.reason().find_first_not_of(" \t\r\n") == std::string::npos) {
    v.Add("reason", "is required: tell the applicant why it is ineligible");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  // Held from asking the engine until the decision is recorded.
  ScopedLocks lock(locks_, {req.name()});
  return RunOnce<pb::Assessment>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::Assessment> {
        ASSIGN_OR_RETURN(auto cur, Load(req.name(), "name"));
        RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, req.name()));
        pb::Assessment a = cur.msg;
        if (a.state() != pb::Assessment::AWAITING_SCREENING) {
          return errors::FailedPrecondition(
              reasons::kAlreadyScreened,
              absl::StrCat(a.name(), " is ",
                           pb::Assessment::State_Name(a.state()),
                           ": screening is done"),
              {{"state", pb::Assessment::State_Name(a.state())}});
        }
        ASSIGN_OR_RETURN(ppb::Round round, rounds_->GetRound(call, a.round()));
        // The rules as they stand now.
        a.mutable_screening()->clear_checks();
        std::vector<std::string> failed;
        for (pb::EligibilityCheck& c : CheckEligibility(a.bid(), round)) {
          if (c.result() == pb::EligibilityCheck::FAIL)
            failed.push_back(c.rule());
          *a.mutable_screening()->add_checks() = std::move(c);
        }
        const bool eligible = req.decision() == pb::Screening::ELIGIBLE;
        if (eligible && !failed.empty() &&
            req.reason().find_first_not_of(" \t\r\n") == std::string::npos) {
          errors::Violations rv;
          rv.Add("reason",
                 absl::StrCat("is required to find it eligible against the "
                              "failed checks: ",
                              absl::StrJoin(failed, ", ")));
          return rv.ToStatus();
        }
        const std::string id = IdOf(a.name());
        // The round's close may have started the checks already.
        absl::Status started =
            RecordFact(call, a, facts::kEligibilityCheckStarted, "",
                       absl::StrCat("screen:", id, ":start"));
        if (!started.ok() &&
            errors::MetadataOf(started, "state") != "ELIGIBILITY") {
          return started;
        }
        RETURN_IF_ERROR(RecordFact(
            call, a, eligible ? facts::kEligible : facts::kIneligible,
            req.reason(), absl::StrCat("screen:", id)));
        a.set_state(eligible ? pb::Assessment::IN_ASSESSMENT
                             : pb::Assessment::INELIGIBLE);
        pb::Screening& s = *a.mutable_screening();
        s.set_decision(req.decision());
        s.set_reason(req.reason());
        s.set_screened_by(call.principal.user);
        *s.mutable_screen_time() = ToProto(call.now);
        CountNeeded(a, AssessorsWanted(round));
        *a.mutable_update_time() = ToProto(call.now);
        Write(w, call, a, &cur.msg, cur.version, req.request_id(),
              absl::StrCat("screened: ",
                           pb::Screening::Decision_Name(req.decision())),
              req.reason());
        a.set_etag(absl::StrCat(cur.version + 1));
        return a;
      });
}

absl::StatusOr<int> Assessments::OpenWorkload(const std::string& assessor) {
  std::string prefix;
  storage::AppendString(&prefix, assessor);
  int open = 0;
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(storage::ScanResult scan,
                     store_->Scan(kQueue, prefix, after, 500));
    open += static_cast<int>(scan.rows.size());
    if (!scan.more || scan.rows.empty()) break;
    after = scan.rows.back().key;
  }
  return open;
}

absl::StatusOr<pb::Assessment> Assessments::AssignAssessors(
    const Call& call, const pb::AssignAssessorsRequest& req) {
  errors::Violations v;
  ParseAssessmentName(req.name(), "name", &v);
  if (req.stage() != pb::WRITTEN) v.Add("stage", "must be WRITTEN");
  if (req.assessors().empty() && req.pool().empty()) {
    v.Add("assessors", "name the assessors, or a pool to choose from");
  }
  if (!req.assessors().empty() && !req.pool().empty()) {
    v.Add("pool", "give assessors or a pool, not both");
  }
  auto canonical =
      [&](const google::protobuf::RepeatedPtrField<std::string>& list,
          const std::string& field) {
        std::vector<std::string> out;
        if (list.size() > 50) v.Add(field, "must name at most 50 users");
        for (int i = 0; i < list.size() && i < 50; ++i) {
          auto u = auth::CanonicalUser(list[i]);
          if (!u) {
            v.Add(absl::StrCat(field, "[", i, "]"), "is not a user name");
          } else if (std::find(out.begin(), out.end(), *u) != out.end()) {
            v.Add(absl::StrCat(field, "[", i, "]"), "is listed twice");
          } else {
            out.push_back(*u);
          }
        }
        return out;
      };
  std::vector<std::string> named = canonical(req.assessors(), "assessors");
  std::vector<std::string> pool = canonical(req.pool(), "pool");
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  ScopedLocks lock(locks_, {req.name()});
  return RunOnce<pb::Assessment>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::Assessment> {
        ASSIGN_OR_RETURN(auto cur, Load(req.name(), "name"));
        RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, req.name()));
        pb::Assessment a = cur.msg;
        if (a.state() != pb::Assessment::IN_ASSESSMENT) {
          return NotInAssessment(a);
        }
        ASSIGN_OR_RETURN(ppb::Round round, rounds_->GetRound(call, a.round()));
        std::vector<std::string> chosen = named;
        if (chosen.empty()) {
          // Balanced: fewest open assignments first, then by name; never
          // someone already on this bid (or recused from it).
          std::vector<std::pair<int, std::string>> ranked;
          for (const std::string& u : pool) {
            bool on_it = false;
            for (const pb::Assignment& as : a.assignments()) {
              on_it |= as.assessor() == u && as.stage() == req.stage();
            }
            if (on_it) continue;
            ASSIGN_OR_RETURN(int open, OpenWorkload(u));
            ranked.emplace_back(open, u);
          }
          std::sort(ranked.begin(), ranked.end());
          for (const auto& [open, u] : ranked) {
            if (static_cast<int>(chosen.size()) >= a.assessors_needed()) break;
            chosen.push_back(u);
          }
          if (chosen.empty()) {
            return errors::FailedPrecondition(
                reasons::kNotInAssessment,
                a.assessors_needed() == 0
                    ? absl::StrCat(a.name(), " has all the assessors it needs")
                    : absl::StrCat("no one in the pool can assess ", a.name(),
                                   ": all are on it already"));
          }
        }
        errors::Violations cv;
        int active = 0;
        for (const pb::Assignment& as : a.assignments()) {
          if (as.stage() == req.stage() && Active(as)) ++active;
        }
        for (size_t i = 0; i < chosen.size(); ++i) {
          if (FindAssignment(a, chosen[i], req.stage()) != nullptr) {
            cv.Add(absl::StrCat("assessors[", i, "]"),
                   absl::StrCat(chosen[i],
                                " is already assigned (or has "
                                "declared a conflict)"));
            continue;
          }
          pb::Assignment& as = *a.add_assignments();
          as.set_assessor(chosen[i]);
          as.set_stage(req.stage());
          as.set_assigned_by(call.principal.user);
          *as.mutable_assign_time() = ToProto(call.now);
          *as.mutable_due_time() = ToProto(call.now + AssessmentTime(round));
          as.set_sheet_state(pb::ScoreSheet::NOT_STARTED);
          ++active;
        }
        if (active > kMaxAssignmentsPerStage) {
          cv.Add("assessors", absl::StrCat("at most ", kMaxAssignmentsPerStage,
                                           " assessors per bid"));
        }
        if (!cv.empty()) return cv.ToStatus();
        CountNeeded(a, AssessorsWanted(round));
        *a.mutable_update_time() = ToProto(call.now);
        Write(w, call, a, &cur.msg, cur.version, req.request_id(),
              absl::StrCat("assigned ", absl::StrJoin(chosen, ", ")), "");
        a.set_etag(absl::StrCat(cur.version + 1));
        return a;
      });
}

absl::StatusOr<pb::ListMyAssignmentsResponse> Assessments::ListMyAssignments(
    const Call& call, const pb::ListMyAssignmentsRequest& req) {
  errors::Violations v;
  const std::string query =
      absl::StrCat("queue:", call.principal.user, "|", req.include_submitted());
  Page page = ParsePage(req.page_size(), req.page_token(), query, &v);
  if (!v.empty()) return v.ToStatus();
  std::string prefix;
  storage::AppendString(&prefix, call.principal.user);
  ASSIGN_OR_RETURN(storage::ScanResult scan,
                   store_->Scan(kQueue, prefix, page.start_after, page.size));
  pb::ListMyAssignmentsResponse resp;
  // Load each distinct assessment once.
  std::map<std::string, Versioned<pb::Assessment>> loaded;
  for (const storage::ScanRow& row : scan.rows) {
    // QueueKey: user, due time, assessment id, stage.
    storage::KeyReader r(row.key);
    std::string user, id;
    int64_t due = 0;
    uint64_t stage = 0;
    if (!r.ReadString(&user) || !r.ReadInt64(&due) || !r.ReadString(&id) ||
        !r.ReadUint64(&stage) || !r.done()) {
      return absl::DataLossError("an assessor queue row cannot be read");
    }
    if (!loaded.contains(id)) {
      ASSIGN_OR_RETURN(auto a,
                       assessments_.Get(IdKey(id), "assessments/" + id));
      loaded.emplace(id, std::move(a));
    }
    const pb::Assessment& a = loaded.at(id).msg;
    const pb::Assignment* as =
        FindAssignment(a, call.principal.user, static_cast<pb::Stage>(stage));
    if (as == nullptr) continue;
    if (!req.include_submitted() &&
        as->sheet_state() == pb::ScoreSheet::SUBMITTED) {
      continue;
    }
    pb::QueueItem& item = *resp.add_items();
    item.set_assessment(a.name());
    item.set_title(a.bid().title());
    item.set_organisation_name(a.bid().organisation_name());
    *item.mutable_assignment() = *as;
  }
  resp.set_next_page_token(NextPageToken(scan, query));
  return resp;
}

absl::StatusOr<pb::Assessment> Assessments::DeclareInterest(
    const Call& call, const pb::DeclareInterestRequest& req) {
  errors::Violations v;
  ParseAssessmentName(req.name(), "name", &v);
  if (req.stage() != pb::WRITTEN && req.stage() != pb::INTERVIEW) {
    v.Add("stage", "must be WRITTEN or INTERVIEW");
  }
  if (req.declaration() != pb::NO_CONFLICT &&
      req.declaration() != pb::CONFLICT) {
    v.Add("declaration", "must be NO_CONFLICT or CONFLICT");
  }
  LimitText(req.conflict_reason(), "conflict_reason", 2000, &v);
  if (req.declaration() == pb::CONFLICT &&
      req.conflict_reason().find_first_not_of(" \t\r\n") == std::string::npos) {
    v.Add("conflict_reason", "is required: say what the conflict is");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  ScopedLocks lock(locks_, {req.name()});
  return RunOnce<pb::Assessment>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::Assessment> {
        ASSIGN_OR_RETURN(auto cur, Load(req.name(), "name"));
        pb::Assessment a = cur.msg;
        pb::Assignment* as =
            FindAssignment(a, call.principal.user, req.stage());
        if (as == nullptr) {
          return errors::WithReason(
              absl::PermissionDeniedError(absl::StrCat(
                  a.name(), " is not assigned to you at this stage")),
              reasons::kNotAssigned);
        }
        if (as->declaration() == pb::CONFLICT ||
            (as->declaration() == pb::NO_CONFLICT &&
             req.declaration() == pb::NO_CONFLICT)) {
          return errors::FailedPrecondition(
              reasons::kAlreadyDeclared,
              absl::StrCat("you declared ",
                           pb::Declaration_Name(as->declaration()), " on ",
                           a.name(), " already"));
        }
        if (as->sheet_state() == pb::ScoreSheet::SUBMITTED) {
          return errors::FailedPrecondition(
              reasons::kScoresSubmitted,
              "your scores are submitted; ask a moderator to reopen them "
              "before declaring a conflict");
        }
        if (a.state() == pb::Assessment::WITHDRAWN) return NotInAssessment(a);
        as->set_declaration(req.declaration());
        as->set_conflict_reason(req.conflict_reason());
        *as->mutable_declare_time() = ToProto(call.now);
        if (req.declaration() == pb::CONFLICT) {
          ASSIGN_OR_RETURN(ppb::Round round,
                           rounds_->GetRound(call, a.round()));
          CountNeeded(a, AssessorsWanted(round));
          // A draft the assessor saved before finding the conflict is
          // removed with their access.
          w.Delete(sheets_.table(),
                   SheetKey(IdOf(a.name()), req.stage(), call.principal.user));
        }
        *a.mutable_update_time() = ToProto(call.now);
        Write(w, call, a, &cur.msg, cur.version, req.request_id(),
              absl::StrCat("declared ", pb::Declaration_Name(req.declaration()),
                           " (", StageWord(req.stage()), ")"),
              req.conflict_reason());
        a.set_etag(absl::StrCat(cur.version + 1));
        return OwnAssignmentView(a, *as);
      });
}

absl::StatusOr<pb::ScoreSheet> Assessments::GetScoreSheet(
    const Call& call, const pb::GetScoreSheetRequest& req) {
  errors::Violations v;
  auto sn = ParseSheetName(req.name(), "name", &v);
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(auto cur,
                   assessments_.Get(IdKey(sn->id), "assessments/" + sn->id));
  pb::Assessment a = cur.msg;
  if (!IsStaff(call.principal) || sn->assessor == call.principal.user) {
    if (sn->assessor != call.principal.user) {
      return errors::WithReason(
          absl::PermissionDeniedError("you may read only your own scores"),
          reasons::kNotAssigned);
    }
    RETURN_IF_ERROR(Scorer(a, sn->assessor, sn->stage).status());
  }
  absl::StatusOr<Versioned<pb::ScoreSheet>> got =
      sheets_.Get(SheetKey(sn->id, sn->stage, sn->assessor), req.name());
  if (absl::IsNotFound(got.status()) &&
      FindAssignment(a, sn->assessor, sn->stage) != nullptr) {
    pb::ScoreSheet empty;
    empty.set_name(req.name());
    empty.set_assessor(sn->assessor);
    empty.set_stage(sn->stage);
    empty.set_state(pb::ScoreSheet::NOT_STARTED);
    empty.set_weighted_score_bp(-1);
    return empty;
  }
  if (!got.ok()) return got.status();
  return got->msg;
}

absl::StatusOr<pb::ScoreSheet> Assessments::SaveScores(
    const Call& call, const pb::SaveScoresRequest& req) {
  errors::Violations v;
  auto sn = ParseSheetName(req.name(), "name", &v);
  if (req.scores_size() > 30) v.Add("scores", "at most 30 criteria");
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  if (sn->assessor != call.principal.user) {
    return errors::WithReason(
        absl::PermissionDeniedError("you may score only as yourself"),
        reasons::kNotAssigned);
  }
  const std::string name = "assessments/" + sn->id;
  ScopedLocks lock(locks_, {name});
  return RunOnce<pb::ScoreSheet>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::ScoreSheet> {
        ASSIGN_OR_RETURN(auto cur, assessments_.Get(IdKey(sn->id), name));
        pb::Assessment a = cur.msg;
        ASSIGN_OR_RETURN(pb::Assignment * as,
                         Scorer(a, sn->assessor, sn->stage));
        if (a.state() != pb::Assessment::IN_ASSESSMENT) {
          return NotInAssessment(a);
        }
        const std::string key = SheetKey(sn->id, sn->stage, sn->assessor);
        absl::StatusOr<Versioned<pb::ScoreSheet>> old =
            sheets_.Get(key, req.name());
        if (!old.ok() && !absl::IsNotFound(old.status())) return old.status();
        pb::ScoreSheet sheet;
        if (old.ok()) {
          RETURN_IF_ERROR(CheckEtag(req.etag(), old->version, req.name()));
          sheet = old->msg;
          if (sheet.state() == pb::ScoreSheet::SUBMITTED) {
            return errors::FailedPrecondition(
                reasons::kScoresSubmitted,
                absl::StrCat(req.name(),
                             " is submitted and final unless a "
                             "moderator reopens it"));
          }
        }
        ASSIGN_OR_RETURN(ppb::Round round, rounds_->GetRound(call, a.round()));
        errors::Violations sv;
        CheckScores(req.scores(), CriteriaFor(round, sn->stage),
                    round.assessment().comments_required(),
                    /*complete=*/false, "scores", &sv);
        if (!sv.empty()) return sv.ToStatus();
        sheet.set_name(req.name());
        sheet.set_assessor(sn->assessor);
        sheet.set_stage(sn->stage);
        sheet.set_state(pb::ScoreSheet::DRAFT);
        *sheet.mutable_scores() = req.scores();
        errors::Violations complete;
        CheckScores(sheet.scores(), CriteriaFor(round, sn->stage), false,
                    /*complete=*/true, "scores", &complete);
        sheet.set_weighted_score_bp(
            complete.empty()
                ? WeightedScoreBp(sheet.scores(), CriteriaFor(round, sn->stage))
                : -1);
        *sheet.mutable_update_time() = ToProto(call.now);
        if (old.ok()) {
          sheets_.Replace(w, key, sheet, old->version);
        } else {
          sheets_.Insert(w, key, sheet);
        }
        as->set_sheet_state(pb::ScoreSheet::DRAFT);
        *a.mutable_update_time() = ToProto(call.now);
        assessments_.Replace(w, IdKey(sn->id), a, cur.version);
        AuditChange(w, call, req.name(), req.request_id(), "scores saved", "");
        sheet.set_etag(absl::StrCat(old.ok() ? old->version + 1 : 1));
        return sheet;
      });
}

absl::StatusOr<pb::ScoreSheet> Assessments::SubmitScores(
    const Call& call, const pb::SubmitScoresRequest& req) {
  errors::Violations v;
  auto sn = ParseSheetName(req.name(), "name", &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  if (sn->assessor != call.principal.user) {
    return errors::WithReason(
        absl::PermissionDeniedError("you may submit only your own scores"),
        reasons::kNotAssigned);
  }
  const std::string name = "assessments/" + sn->id;
  ScopedLocks lock(locks_, {name});
  return RunOnce<pb::ScoreSheet>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::ScoreSheet> {
        ASSIGN_OR_RETURN(auto cur, assessments_.Get(IdKey(sn->id), name));
        pb::Assessment a = cur.msg;
        ASSIGN_OR_RETURN(pb::Assignment * as,
                         Scorer(a, sn->assessor, sn->stage));
        if (a.state() != pb::Assessment::IN_ASSESSMENT) {
          return NotInAssessment(a);
        }
        const std::string key = SheetKey(sn->id, sn->stage, sn->assessor);
        absl::StatusOr<Versioned<pb::ScoreSheet>> old =
            sheets_.Get(key, req.name());
        if (absl::IsNotFound(old.status())) {
          return errors::FailedPrecondition(
              reasons::kScoresIncomplete,
              absl::StrCat(req.name(), " has no scores yet: save them first"));
        }
        if (!old.ok()) return old.status();
        RETURN_IF_ERROR(CheckEtag(req.etag(), old->version, req.name()));
        pb::ScoreSheet sheet = old->msg;
        if (sheet.state() == pb::ScoreSheet::SUBMITTED) {
          return errors::FailedPrecondition(
              reasons::kScoresSubmitted,
              absl::StrCat(req.name(), " is submitted already"));
        }
        ASSIGN_OR_RETURN(ppb::Round round, rounds_->GetRound(call, a.round()));
        const Criteria& criteria = CriteriaFor(round, sn->stage);
        errors::Violations sv;
        CheckScores(sheet.scores(), criteria,
                    round.assessment().comments_required(),
                    /*complete=*/true, "scores", &sv);
        if (!sv.empty()) {
          return errors::FailedPrecondition(
              reasons::kScoresIncomplete,
              absl::StrCat(req.name(), " cannot be submitted yet"), {},
              sv.list());
        }
        sheet.set_state(pb::ScoreSheet::SUBMITTED);
        sheet.set_weighted_score_bp(WeightedScoreBp(sheet.scores(), criteria));
        *sheet.mutable_submit_time() = ToProto(call.now);
        *sheet.mutable_update_time() = ToProto(call.now);
        sheets_.Replace(w, key, sheet, old->version);
        as->set_sheet_state(pb::ScoreSheet::SUBMITTED);
        *a.mutable_update_time() = ToProto(call.now);
        assessments_.Replace(w, IdKey(sn->id), a, cur.version);
        AuditChange(
            w, call, req.name(), req.request_id(), "scores submitted",
            absl::StrCat("weighted score ", sheet.weighted_score_bp(), " bp"));
        sheet.set_etag(absl::StrCat(old->version + 1));
        return sheet;
      });
}

}  // namespace grantflow::assessment
