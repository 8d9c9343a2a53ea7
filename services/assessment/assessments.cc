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
#include "platform/money.h"
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

int PanelSize(const ppb::Round& round) {
  const int n = round.assessment().panel_size();
  return n == 0 ? 2 : n;
}

// The stage whose assessors are at work in `a`'s state, if any.
pb::Stage OpenStage(const pb::Assessment& a) {
  if (a.state() == pb::Assessment::IN_ASSESSMENT) return pb::WRITTEN;
  if (a.state() == pb::Assessment::INTERVIEW) return pb::INTERVIEW;
  return pb::STAGE_UNSPECIFIED;
}

// Assessors still needed at the open stage: the round's number less those
// assigned and not recused.
void CountNeeded(pb::Assessment& a, const ppb::Round& round) {
  const pb::Stage stage = OpenStage(a);
  if (stage == pb::STAGE_UNSPECIFIED) {
    a.set_assessors_needed(0);
    return;
  }
  const int wanted =
      stage == pb::WRITTEN ? AssessorsWanted(round) : PanelSize(round);
  int active = 0;
  for (const pb::Assignment& as : a.assignments()) {
    if (as.stage() == stage && Active(as)) ++active;
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

int32_t ModerationThresholdBp(const ppb::Round& round) {
  const int p = round.assessment().moderation_threshold_percent();
  return (p == 0 ? 15 : p) * 100;
}

int32_t InterviewWeight(const ppb::Round& round) {
  const int w = round.assessment().interview_weight_percent();
  return w == 0 ? 50 : w;
}

// (written·(100 − w) + interview·w) / 100, rounded half up.
int32_t Combine(int32_t written_bp, int32_t interview_bp, int32_t weight) {
  const int64_t sum =
      int64_t{written_bp} * (100 - weight) + int64_t{interview_bp} * weight;
  return static_cast<int32_t>((sum + 50) / 100);
}

bool HasText(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") != std::string::npos;
}

// Still competing for an award: ranked with a running total.
bool InContention(pb::Assessment::State s) {
  switch (s) {
    case pb::Assessment::IN_ASSESSMENT:
    case pb::Assessment::MODERATION:
    case pb::Assessment::ASSESSED:
    case pb::Assessment::SHORTLISTED:
    case pb::Assessment::INTERVIEW:
    case pb::Assessment::RECOMMENDED:
    case pb::Assessment::RESERVE:
      return true;
    default:
      return false;
  }
}

absl::Status WrongState(const pb::Assessment& a, absl::string_view wanted) {
  return errors::FailedPrecondition(
      reasons::kNotInAssessment,
      absl::StrCat(a.name(), " is ", pb::Assessment::State_Name(a.state()),
                   "; this needs it ", wanted),
      {{"state", pb::Assessment::State_Name(a.state())}});
}

// Where a bid is, in the applicant's words.
const char* PlainStatus(pb::Assessment::State state) {
  static const auto* words = new std::map<pb::Assessment::State, const char*>{
      {pb::Assessment::AWAITING_SCREENING,
       "received; eligibility checks to come"},
      {pb::Assessment::INELIGIBLE, "not eligible for this round"},
      {pb::Assessment::WITHDRAWN, "withdrawn"},
      {pb::Assessment::NOT_SHORTLISTED, "not shortlisted"},
      {pb::Assessment::SHORTLISTED, "shortlisted for interview"},
      {pb::Assessment::INTERVIEW, "interview scheduled"},
      {pb::Assessment::RECOMMENDED,
       "recommended for an award; the decision is to come"},
      {pb::Assessment::RESERVE, "on the reserve list"},
      {pb::Assessment::NOT_RECOMMENDED, "not recommended"},
  };
  auto it = words->find(state);
  return it == words->end() ? "being assessed" : it->second;
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
        a.set_lifecycle_definition(round.lifecycle_definition());
        a.set_written_score_bp(-1);
        a.set_written_spread_bp(-1);
        a.set_interview_score_bp(-1);
        a.set_combined_score_bp(-1);
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
        CountNeeded(a, ppb::Round());
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
  if (req.decision() == pb::Screening::INELIGIBLE && !HasText(req.reason())) {
    v.Add("reason", "is required: tell the applicant why it is ineligible");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  // Change holds the bid's lock from asking the engine until the decision
  // is recorded.
  return Change(
      call, req, req.name(), req.request_id(), req.etag(), req.reason(),
      [&](pb::Assessment& a, const ppb::Round& round,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (a.state() != pb::Assessment::AWAITING_SCREENING) {
          return errors::FailedPrecondition(
              reasons::kAlreadyScreened,
              absl::StrCat(a.name(), " is ",
                           pb::Assessment::State_Name(a.state()),
                           ": screening is done"),
              {{"state", pb::Assessment::State_Name(a.state())}});
        }
        // The rules as they stand now.
        a.mutable_screening()->clear_checks();
        std::vector<std::string> failed;
        for (pb::EligibilityCheck& c : CheckEligibility(a.bid(), round)) {
          if (c.result() == pb::EligibilityCheck::FAIL)
            failed.push_back(c.rule());
          *a.mutable_screening()->add_checks() = std::move(c);
        }
        const bool eligible = req.decision() == pb::Screening::ELIGIBLE;
        if (eligible && !failed.empty() && !HasText(req.reason())) {
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
        return absl::StrCat("screened: ",
                            pb::Screening::Decision_Name(req.decision()));
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
  if (req.stage() != pb::WRITTEN && req.stage() != pb::INTERVIEW) {
    v.Add("stage", "must be WRITTEN or INTERVIEW");
  }
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
  return Change(
      call, req, req.name(), req.request_id(), req.etag(), "",
      [&](pb::Assessment& a, const ppb::Round& round,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (OpenStage(a) != req.stage()) return NotInAssessment(a);
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
          *as.mutable_due_time() =
              req.stage() == pb::INTERVIEW
                  ? a.interview().interview_time()
                  : ToProto(call.now + AssessmentTime(round));
          as.set_sheet_state(pb::ScoreSheet::NOT_STARTED);
          ++active;
        }
        if (active > kMaxAssignmentsPerStage) {
          cv.Add("assessors", absl::StrCat("at most ", kMaxAssignmentsPerStage,
                                           " assessors per bid"));
        }
        if (!cv.empty()) return cv.ToStatus();
        return absl::StrCat("assigned ", absl::StrJoin(chosen, ", "));
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
  if (req.declaration() == pb::CONFLICT && !HasText(req.conflict_reason())) {
    v.Add("conflict_reason", "is required: say what the conflict is");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(
      pb::Assessment a,
      Change(call, req, req.name(), req.request_id(), "", req.conflict_reason(),
             [&](pb::Assessment& a, const ppb::Round&,
                 storage::WriteSet& w) -> absl::StatusOr<std::string> {
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
                                  pb::Declaration_Name(as->declaration()),
                                  " on ", a.name(), " already"));
               }
               if (as->sheet_state() == pb::ScoreSheet::SUBMITTED) {
                 return errors::FailedPrecondition(
                     reasons::kScoresSubmitted,
                     "your scores are submitted; ask a moderator to reopen "
                     "them before declaring a conflict");
               }
               if (a.state() == pb::Assessment::WITHDRAWN) {
                 return NotInAssessment(a);
               }
               as->set_declaration(req.declaration());
               as->set_conflict_reason(req.conflict_reason());
               *as->mutable_declare_time() = ToProto(call.now);
               if (req.declaration() == pb::CONFLICT) {
                 // A draft saved before the conflict was found goes with
                 // the assessor's access.
                 w.Delete(sheets_.table(), SheetKey(IdOf(a.name()), req.stage(),
                                                    call.principal.user));
               }
               return absl::StrCat("declared ",
                                   pb::Declaration_Name(req.declaration()),
                                   " (", StageWord(req.stage()), ")");
             }));
  // The answer is what the assessor may now see (R6).
  if (req.declaration() == pb::NO_CONFLICT) {
    return AssessorView(a, call.principal.user);
  }
  return OwnAssignmentView(
      a, *FindAssignment(a, call.principal.user, req.stage()));
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

absl::StatusOr<pb::ScoreSheet> Assessments::ChangeOwnSheet(
    const Call& call, const google::protobuf::Message& req,
    const std::string& sheet_name, const std::string& request_id,
    const std::string& etag, errors::Violations v,
    absl::FunctionRef<absl::StatusOr<std::string>(
        pb::Assessment&, const ppb::Round&, pb::ScoreSheet&, bool exists)>
        change) {
  auto sn = ParseSheetName(sheet_name, "name", &v);
  ValidateRequestId(request_id, &v);
  if (!v.empty()) return v.ToStatus();
  if (sn->assessor != call.principal.user) {
    return errors::WithReason(
        absl::PermissionDeniedError("you may score only as yourself"),
        reasons::kNotAssigned);
  }
  const std::string name = "assessments/" + sn->id;
  ScopedLocks lock(locks_, {name});
  return RunOnce<pb::ScoreSheet>(
      *store_, call, request_id, req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::ScoreSheet> {
        ASSIGN_OR_RETURN(auto cur, assessments_.Get(IdKey(sn->id), name));
        pb::Assessment a = cur.msg;
        ASSIGN_OR_RETURN(pb::Assignment * as,
                         Scorer(a, sn->assessor, sn->stage));
        if (OpenStage(a) != sn->stage) return NotInAssessment(a);
        const std::string key = SheetKey(sn->id, sn->stage, sn->assessor);
        absl::StatusOr<Versioned<pb::ScoreSheet>> old =
            sheets_.Get(key, sheet_name);
        if (!old.ok() && !absl::IsNotFound(old.status())) return old.status();
        pb::ScoreSheet sheet;
        if (old.ok()) {
          RETURN_IF_ERROR(CheckEtag(etag, old->version, sheet_name));
          sheet = old->msg;
          if (sheet.state() == pb::ScoreSheet::SUBMITTED) {
            return errors::FailedPrecondition(
                reasons::kScoresSubmitted,
                absl::StrCat(sheet_name,
                             " is submitted and final unless a "
                             "moderator reopens it"));
          }
        } else {
          sheet.set_name(sheet_name);
          sheet.set_assessor(sn->assessor);
          sheet.set_stage(sn->stage);
        }
        ASSIGN_OR_RETURN(ppb::Round round, rounds_->GetRound(call, a.round()));
        ASSIGN_OR_RETURN(std::string what, change(a, round, sheet, old.ok()));
        *sheet.mutable_update_time() = ToProto(call.now);
        if (old.ok()) {
          sheets_.Replace(w, key, sheet, old->version);
        } else {
          sheets_.Insert(w, key, sheet);
        }
        as = FindAssignment(a, sn->assessor, sn->stage);
        as->set_sheet_state(sheet.state());
        if (sheet.state() == pb::ScoreSheet::SUBMITTED) {
          RETURN_IF_ERROR(Settle(call, a, round, sn->stage, sheet));
        }
        *a.mutable_update_time() = ToProto(call.now);
        Write(w, call, a, &cur.msg, cur.version, request_id,
              absl::StrCat(StageWord(sn->stage),
                           " scores: ", pb::Assessment::State_Name(a.state())),
              "");
        AuditChange(w, call, sheet_name, request_id, what, "");
        sheet.set_etag(absl::StrCat(old.ok() ? old->version + 1 : 1));
        return sheet;
      });
}

absl::StatusOr<pb::ScoreSheet> Assessments::SaveScores(
    const Call& call, const pb::SaveScoresRequest& req) {
  errors::Violations v;
  if (req.scores_size() > 30) v.Add("scores", "at most 30 criteria");
  return ChangeOwnSheet(
      call, req, req.name(), req.request_id(), req.etag(), std::move(v),
      [&](pb::Assessment&, const ppb::Round& round, pb::ScoreSheet& sheet,
          bool) -> absl::StatusOr<std::string> {
        const Criteria& criteria = CriteriaFor(round, sheet.stage());
        errors::Violations sv;
        CheckScores(req.scores(), criteria,
                    round.assessment().comments_required(),
                    /*complete=*/false, "scores", &sv);
        if (!sv.empty()) return sv.ToStatus();
        sheet.set_state(pb::ScoreSheet::DRAFT);
        *sheet.mutable_scores() = req.scores();
        errors::Violations complete;
        CheckScores(sheet.scores(), criteria, false, /*complete=*/true,
                    "scores", &complete);
        sheet.set_weighted_score_bp(
            complete.empty() ? WeightedScoreBp(sheet.scores(), criteria) : -1);
        return std::string("scores saved");
      });
}

absl::StatusOr<pb::ScoreSheet> Assessments::SubmitScores(
    const Call& call, const pb::SubmitScoresRequest& req) {
  return ChangeOwnSheet(
      call, req, req.name(), req.request_id(), req.etag(), {},
      [&](pb::Assessment&, const ppb::Round& round, pb::ScoreSheet& sheet,
          bool exists) -> absl::StatusOr<std::string> {
        if (!exists) {
          return errors::FailedPrecondition(
              reasons::kScoresIncomplete,
              absl::StrCat(req.name(), " has no scores yet: save them first"));
        }
        const Criteria& criteria = CriteriaFor(round, sheet.stage());
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
        return absl::StrCat("scores submitted: weighted score ",
                            sheet.weighted_score_bp(), " bp");
      });
}

absl::StatusOr<pb::Assessment> Assessments::Change(
    const Call& call, const google::protobuf::Message& req,
    const std::string& name, const std::string& request_id,
    const std::string& etag, const std::string& why,
    absl::FunctionRef<absl::StatusOr<std::string>(
        pb::Assessment&, const ppb::Round&, storage::WriteSet&)>
        change) {
  ScopedLocks lock(locks_, {name});
  return RunOnce<pb::Assessment>(
      *store_, call, request_id, req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::Assessment> {
        ASSIGN_OR_RETURN(auto cur, Load(name, "name"));
        RETURN_IF_ERROR(CheckEtag(etag, cur.version, name));
        pb::Assessment a = cur.msg;
        ASSIGN_OR_RETURN(ppb::Round round, rounds_->GetRound(call, a.round()));
        ASSIGN_OR_RETURN(std::string what, change(a, round, w));
        CountNeeded(a, round);
        *a.mutable_update_time() = ToProto(call.now);
        Write(w, call, a, &cur.msg, cur.version, request_id, what, why);
        a.set_etag(absl::StrCat(cur.version + 1));
        return a;
      });
}

absl::Status Assessments::Settle(const Call& call, pb::Assessment& a,
                                 const ppb::Round& round, pb::Stage stage,
                                 const pb::ScoreSheet& submitted) {
  CountNeeded(a, round);
  if (a.assessors_needed() > 0) return absl::OkStatus();
  std::vector<int32_t> scores;
  for (const pb::Assignment& as : a.assignments()) {
    if (as.stage() != stage || !Active(as)) continue;
    if (as.sheet_state() != pb::ScoreSheet::SUBMITTED) return absl::OkStatus();
    if (as.assessor() == submitted.assessor()) {
      scores.push_back(submitted.weighted_score_bp());
      continue;
    }
    ASSIGN_OR_RETURN(auto sheet,
                     sheets_.Get(SheetKey(IdOf(a.name()), stage, as.assessor()),
                                 as.assessor()));
    scores.push_back(sheet.msg.weighted_score_bp());
  }
  if (scores.empty()) return absl::OkStatus();
  const int32_t mean = MeanBp(scores);
  const auto [lo, hi] = std::minmax_element(scores.begin(), scores.end());
  if (stage == pb::INTERVIEW) {
    a.set_interview_score_bp(mean);
    a.set_combined_score_bp(
        Combine(a.written_score_bp(), mean, InterviewWeight(round)));
    return absl::OkStatus();
  }
  a.set_written_spread_bp(*hi - *lo);
  if (*hi - *lo > ModerationThresholdBp(round)) {
    // The lifecycles with a moderation state hold it at the engine too.
    if (a.lifecycle_definition() == "standard") {
      absl::Status s = RecordFact(call, a, facts::kAssessmentCompleted, "",
                                  absl::StrCat("moderation:", IdOf(a.name())));
      if (!s.ok() && errors::MetadataOf(s, "state") != "MODERATION") return s;
    }
    a.set_state(pb::Assessment::MODERATION);
    a.set_written_score_bp(-1);
    a.set_combined_score_bp(-1);
    return absl::OkStatus();
  }
  a.set_state(pb::Assessment::ASSESSED);
  a.set_written_score_bp(mean);
  a.set_combined_score_bp(round.interview_stage() ? -1 : mean);
  return absl::OkStatus();
}

absl::StatusOr<pb::ScoreSheet> Assessments::ReopenScores(
    const Call& call, const pb::ReopenScoresRequest& req) {
  errors::Violations v;
  auto sn = ParseSheetName(req.name(), "name", &v);
  LimitText(req.reason(), "reason", 2000, &v);
  if (!HasText(req.reason())) v.Add("reason", "is required");
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  const std::string name = "assessments/" + sn->id;
  ScopedLocks lock(locks_, {name});
  return RunOnce<pb::ScoreSheet>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::ScoreSheet> {
        ASSIGN_OR_RETURN(auto cur, assessments_.Get(IdKey(sn->id), name));
        pb::Assessment a = cur.msg;
        const std::string key = SheetKey(sn->id, sn->stage, sn->assessor);
        ASSIGN_OR_RETURN(auto old, sheets_.Get(key, req.name()));
        pb::ScoreSheet sheet = old.msg;
        if (sheet.state() != pb::ScoreSheet::SUBMITTED) {
          return errors::FailedPrecondition(
              reasons::kNotInAssessment,
              absl::StrCat(req.name(), " is not submitted"));
        }
        pb::Assignment* as = FindAssignment(a, sn->assessor, sn->stage);
        const bool written = sn->stage == pb::WRITTEN;
        const bool open_to_reopen =
            written ? (a.state() == pb::Assessment::IN_ASSESSMENT ||
                       a.state() == pb::Assessment::MODERATION ||
                       a.state() == pb::Assessment::ASSESSED)
                    : a.state() == pb::Assessment::INTERVIEW;
        if (as == nullptr || !open_to_reopen) {
          return WrongState(a, written ? "in assessment, in moderation or "
                                         "assessed (not yet shortlisted)"
                                       : "at interview (not yet recommended)");
        }
        sheet.set_state(pb::ScoreSheet::DRAFT);
        sheet.clear_submit_time();
        *sheet.mutable_update_time() = ToProto(call.now);
        sheets_.Replace(w, key, sheet, old.version);
        as->set_sheet_state(pb::ScoreSheet::DRAFT);
        if (written) {
          a.set_state(pb::Assessment::IN_ASSESSMENT);
          a.set_written_score_bp(-1);
          a.clear_moderation();
        } else {
          a.set_interview_score_bp(-1);
        }
        a.set_combined_score_bp(-1);
        *a.mutable_update_time() = ToProto(call.now);
        Write(w, call, a, &cur.msg, cur.version, req.request_id(),
              absl::StrCat("reopened ", req.name()), req.reason());
        sheet.set_etag(absl::StrCat(old.version + 1));
        return sheet;
      });
}

absl::StatusOr<pb::Assessment> Assessments::ModerateScore(
    const Call& call, const pb::ModerateScoreRequest& req) {
  errors::Violations v;
  ParseAssessmentName(req.name(), "name", &v);
  if (req.agreed_score_bp() < 0 || req.agreed_score_bp() > kFullMarksBp) {
    v.Add("agreed_score_bp", "must be between 0 and 10000 (100.00%)");
  }
  LimitText(req.rationale(), "rationale", 4000, &v);
  if (!HasText(req.rationale())) {
    v.Add("rationale", "is required: record why this score was agreed");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return Change(
      call, req, req.name(), req.request_id(), req.etag(), req.rationale(),
      [&](pb::Assessment& a, const ppb::Round& round,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (a.state() != pb::Assessment::MODERATION) {
          return WrongState(a, "in moderation");
        }
        pb::Moderation& m = *a.mutable_moderation();
        m.set_agreed_score_bp(req.agreed_score_bp());
        m.set_rationale(req.rationale());
        m.set_moderator(call.principal.user);
        *m.mutable_moderate_time() = ToProto(call.now);
        a.set_state(pb::Assessment::ASSESSED);
        a.set_written_score_bp(req.agreed_score_bp());
        a.set_combined_score_bp(
            round.interview_stage() ? -1 : req.agreed_score_bp());
        return absl::StrCat("moderated: ", req.agreed_score_bp(), " bp");
      });
}

absl::StatusOr<pb::Assessment> Assessments::DecideShortlist(
    const Call& call, const pb::DecideShortlistRequest& req) {
  errors::Violations v;
  ParseAssessmentName(req.name(), "name", &v);
  LimitText(req.feedback(), "feedback", 4000, &v);
  if (!req.shortlisted() && !HasText(req.feedback())) {
    v.Add("feedback",
          "is required: tell the applicant why it was not "
          "shortlisted");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return Change(
      call, req, req.name(), req.request_id(), "", req.feedback(),
      [&](pb::Assessment& a, const ppb::Round& round,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (!round.interview_stage()) {
          return WrongState(a,
                            "in a round with interviews (this one "
                            "recommends straight from assessment)");
        }
        if (a.state() != pb::Assessment::ASSESSED) {
          return WrongState(a, "assessed (written scores settled)");
        }
        RETURN_IF_ERROR(RecordFact(
            call, a,
            req.shortlisted() ? facts::kShortlisted : facts::kNotShortlisted,
            req.feedback(), absl::StrCat("shortlist:", IdOf(a.name()))));
        a.set_state(req.shortlisted() ? pb::Assessment::SHORTLISTED
                                      : pb::Assessment::NOT_SHORTLISTED);
        a.set_shortlisted(req.shortlisted());
        a.set_shortlist_feedback(req.feedback());
        return std::string(req.shortlisted() ? "shortlisted"
                                             : "not shortlisted");
      });
}

absl::StatusOr<std::vector<pb::Assessment>> Assessments::RoundAssessments(
    const std::string& round) {
  std::vector<pb::Assessment> all;
  std::string prefix;
  storage::AppendString(&prefix, round);
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(storage::ScanResult scan,
                     store_->Scan(kByRound, prefix, after, 500));
    std::vector<std::string> keys;
    for (const storage::ScanRow& row : scan.rows) {
      keys.push_back(row.key.substr(prefix.size()));
    }
    ASSIGN_OR_RETURN(auto rows, store_->MultiGet(assessments_.table(), keys));
    for (auto& row : rows) {
      if (!row.ok()) {
        return absl::DataLossError(
            "the round index names an assessment that is not stored");
      }
      ASSIGN_OR_RETURN(auto a, assessments_.Decode(*row));
      all.push_back(std::move(a.msg));
    }
    if (!scan.more || scan.rows.empty()) break;
    after = scan.rows.back().key;
  }
  return all;
}

absl::StatusOr<pb::ShortlistRoundResponse> Assessments::ShortlistRound(
    const Call& call, const pb::ShortlistRoundRequest& req) {
  errors::Violations v;
  if (!ParseName(req.round(), {"funds", "rounds"})) {
    v.Add("round", "must be funds/{fund}/rounds/{round}");
  }
  if ((req.top_n() > 0) == (req.min_score_bp() > 0)) {
    v.Add("top_n", "give top_n or min_score_bp (one of them)");
  }
  if (req.top_n() < 0 || req.top_n() > 10000) {
    v.Add("top_n", "must be between 1 and 10000");
  }
  if (req.min_score_bp() < 0 || req.min_score_bp() > kFullMarksBp) {
    v.Add("min_score_bp", "must be between 1 and 10000 (100.00%)");
  }
  LimitText(req.feedback(), "feedback", 4000, &v);
  if (!HasText(req.feedback())) {
    v.Add("feedback", "is required: tell those not shortlisted why");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(std::vector<pb::Assessment> all,
                   RoundAssessments(req.round()));
  std::vector<std::string> pending;
  std::vector<const pb::Assessment*> ready;
  for (const pb::Assessment& a : all) {
    if (a.state() == pb::Assessment::IN_ASSESSMENT ||
        a.state() == pb::Assessment::MODERATION ||
        a.state() == pb::Assessment::AWAITING_SCREENING) {
      pending.push_back(absl::StrCat(
          a.name(), " (", pb::Assessment::State_Name(a.state()), ")"));
    } else if (a.state() == pb::Assessment::ASSESSED) {
      ready.push_back(&a);
    }
  }
  if (!pending.empty()) {
    return errors::FailedPrecondition(
        reasons::kScoresPending,
        absl::StrCat("every bid of ", req.round(),
                     " must be screened and its written score settled "
                     "first; still open: ",
                     absl::StrJoin(pending, ", ")),
        {{"pending", absl::StrCat(pending.size())}});
  }
  std::stable_sort(ready.begin(), ready.end(),
                   [](const pb::Assessment* x, const pb::Assessment* y) {
                     return x->written_score_bp() > y->written_score_bp();
                   });
  pb::ShortlistRoundResponse out;
  for (size_t i = 0; i < ready.size(); ++i) {
    const bool yes = req.top_n() > 0
                         ? static_cast<int>(i) < req.top_n()
                         : ready[i]->written_score_bp() >= req.min_score_bp();
    pb::DecideShortlistRequest one;
    one.set_name(ready[i]->name());
    one.set_shortlisted(yes);
    if (!yes) one.set_feedback(req.feedback());
    one.set_request_id(
        absl::StrCat(req.request_id(), ":", IdOf(ready[i]->name())));
    ASSIGN_OR_RETURN(pb::Assessment decided, DecideShortlist(call, one));
    *(yes ? out.add_shortlisted() : out.add_not_shortlisted()) =
        std::move(decided);
  }
  return out;
}

absl::StatusOr<pb::Assessment> Assessments::ScheduleInterview(
    const Call& call, const pb::ScheduleInterviewRequest& req) {
  errors::Violations v;
  ParseAssessmentName(req.name(), "name", &v);
  if (!req.has_interview_time()) {
    v.Add("interview_time", "is required");
  } else if (FromProto(req.interview_time()) <= call.now) {
    v.Add("interview_time", "must be in the future");
  }
  LimitText(req.location(), "location", 500, &v);
  std::vector<std::string> panel;
  if (req.panel_size() > 10) v.Add("panel", "at most 10 interviewers");
  for (int i = 0; i < req.panel_size() && i < 10; ++i) {
    auto u = auth::CanonicalUser(req.panel(i));
    if (!u) {
      v.Add(absl::StrCat("panel[", i, "]"), "is not a user name");
    } else if (std::find(panel.begin(), panel.end(), *u) != panel.end()) {
      v.Add(absl::StrCat("panel[", i, "]"), "is listed twice");
    } else {
      panel.push_back(*u);
    }
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return Change(
      call, req, req.name(), req.request_id(), "", "",
      [&](pb::Assessment& a, const ppb::Round& round,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        if (a.state() != pb::Assessment::SHORTLISTED) {
          return WrongState(a, "shortlisted");
        }
        if (static_cast<int>(panel.size()) < PanelSize(round)) {
          errors::Violations pv;
          pv.Add("panel", absl::StrCat("this round's panels have at least ",
                                       PanelSize(round), " interviewers"));
          return pv.ToStatus();
        }
        RETURN_IF_ERROR(RecordFact(call, a, facts::kInterviewScheduled, "",
                                   absl::StrCat("interview:", IdOf(a.name()))));
        a.set_state(pb::Assessment::INTERVIEW);
        pb::Interview& in = *a.mutable_interview();
        *in.mutable_interview_time() = req.interview_time();
        in.set_location(req.location());
        in.set_scheduled_by(call.principal.user);
        for (const std::string& u : panel) {
          pb::Assignment& as = *a.add_assignments();
          as.set_assessor(u);
          as.set_stage(pb::INTERVIEW);
          as.set_assigned_by(call.principal.user);
          *as.mutable_assign_time() = ToProto(call.now);
          *as.mutable_due_time() = req.interview_time();
          as.set_sheet_state(pb::ScoreSheet::NOT_STARTED);
        }
        return absl::StrCat("interview scheduled; panel ",
                            absl::StrJoin(panel, ", "));
      });
}

absl::StatusOr<pb::Assessment> Assessments::RecordRecommendation(
    const Call& call, const pb::RecordRecommendationRequest& req) {
  using R = pb::Recommendation;
  errors::Violations v;
  ParseAssessmentName(req.name(), "name", &v);
  if (req.outcome() != R::RECOMMEND && req.outcome() != R::RESERVE &&
      req.outcome() != R::NOT_RECOMMENDED) {
    v.Add("outcome", "must be RECOMMEND, RESERVE or NOT_RECOMMENDED");
  }
  if (req.outcome() == R::RECOMMEND) {
    ValidateAmount(req.proposed_amount_pence(), "proposed_amount_pence", &v);
  } else if (req.proposed_amount_pence() != 0) {
    v.Add("proposed_amount_pence", "only a recommendation proposes an amount");
  }
  LimitText(req.feedback(), "feedback", 4000, &v);
  LimitText(req.rationale(), "rationale", 4000, &v);
  if (req.outcome() == R::NOT_RECOMMENDED && !HasText(req.feedback())) {
    v.Add("feedback", "is required: tell the applicant why");
  }
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return Change(
      call, req, req.name(), req.request_id(), "", req.rationale(),
      [&](pb::Assessment& a, const ppb::Round& round,
          storage::WriteSet&) -> absl::StatusOr<std::string> {
        // Scores settled: assessed (no interviews), interviewed and scored,
        // or waiting on the reserve list.
        const bool ready =
            a.state() == pb::Assessment::RESERVE ||
            (round.interview_stage() ? a.state() == pb::Assessment::INTERVIEW &&
                                           a.interview_score_bp() >= 0
                                     : a.state() == pb::Assessment::ASSESSED);
        if (!ready) {
          return WrongState(a, round.interview_stage()
                                   ? "interviewed with every panel score in"
                                   : "assessed");
        }
        if (req.outcome() == R::RESERVE &&
            a.state() == pb::Assessment::RESERVE) {
          return WrongState(a, "not already on the reserve list");
        }
        if (req.outcome() == R::RECOMMEND) {
          const int64_t asked = a.bid().amount_requested_pence();
          errors::Violations av;
          if (req.proposed_amount_pence() > asked) {
            av.Add("proposed_amount_pence",
                   absl::StrCat("must not exceed the ", FormatPounds(asked),
                                " requested"));
          } else if (req.proposed_amount_pence() > round.max_award_pence() ||
                     req.proposed_amount_pence() < round.min_award_pence()) {
            av.Add("proposed_amount_pence",
                   absl::StrCat("must be within the round's limits of ",
                                FormatPounds(round.min_award_pence()), " to ",
                                FormatPounds(round.max_award_pence())));
          }
          if (!av.empty()) return av.ToStatus();
        }
        const std::string id = IdOf(a.name());
        if (req.outcome() == R::RECOMMEND) {
          RETURN_IF_ERROR(RecordFact(call, a, facts::kRecommended,
                                     req.rationale(),
                                     absl::StrCat("recommend:", id)));
          a.set_state(pb::Assessment::RECOMMENDED);
        } else if (req.outcome() == R::NOT_RECOMMENDED) {
          RETURN_IF_ERROR(RecordFact(call, a, facts::kNotRecommended,
                                     req.feedback(),
                                     absl::StrCat("recommend:", id)));
          a.set_state(pb::Assessment::NOT_RECOMMENDED);
        } else {
          a.set_state(pb::Assessment::RESERVE);
        }
        R& r = *a.mutable_recommendation();
        r.set_outcome(req.outcome());
        r.set_proposed_amount_pence(req.proposed_amount_pence());
        r.set_feedback(req.feedback());
        r.set_rationale(req.rationale());
        r.set_decided_by(call.principal.user);
        *r.mutable_decide_time() = ToProto(call.now);
        return absl::StrCat(
            "recommendation: ", R::Outcome_Name(req.outcome()),
            req.outcome() == R::RECOMMEND
                ? absl::StrCat(" ", FormatPounds(req.proposed_amount_pence()))
                : "");
      });
}

absl::StatusOr<pb::Ranking> Assessments::GetRanking(
    const Call& call, const pb::GetRankingRequest& req) {
  errors::Violations v;
  if (!ParseName(req.round(), {"funds", "rounds"})) {
    v.Add("round", "must be funds/{fund}/rounds/{round}");
  }
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(ppb::Round round, rounds_->GetRound(call, req.round()));
  pb::Ranking out;
  out.set_round(req.round());
  int64_t available = 0;
  for (const std::string& line : round.budget_lines()) {
    absl::StatusOr<workflow::v1::LedgerLine> l = cases_->GetLedgerLine(line);
    if (absl::IsNotFound(l.status())) continue;
    if (!l.ok()) return l.status();
    std::optional<int64_t> sum = AddPence(available, l->available_pence());
    if (!sum) return absl::InternalError("the round's budget overflows");
    available = *sum;
  }
  out.set_available_pence(available);

  ASSIGN_OR_RETURN(std::vector<pb::Assessment> all,
                   RoundAssessments(req.round()));
  std::sort(all.begin(), all.end(),
            [](const pb::Assessment& x, const pb::Assessment& y) {
              if (x.combined_score_bp() != y.combined_score_bp()) {
                return x.combined_score_bp() > y.combined_score_bp();
              }
              if (x.written_score_bp() != y.written_score_bp()) {
                return x.written_score_bp() > y.written_score_bp();
              }
              return x.name() < y.name();
            });
  int64_t running = 0;
  int rank = 0;
  for (const pb::Assessment& a : all) {
    pb::RankingEntry& e = *out.add_entries();
    e.set_rank(++rank);
    e.set_assessment(a.name());
    e.set_title(a.bid().title());
    e.set_organisation_name(a.bid().organisation_name());
    e.set_state(a.state());
    e.set_written_score_bp(a.written_score_bp());
    e.set_interview_score_bp(a.interview_score_bp());
    e.set_combined_score_bp(a.combined_score_bp());
    e.set_moderated(a.has_moderation());
    e.set_amount_requested_pence(a.bid().amount_requested_pence());
    if (InContention(a.state())) {
      // Each bid is capped, so even thousands of them stay far inside
      // int64; AddPence says so rather than assuming it.
      std::optional<int64_t> sum =
          AddPence(running, a.bid().amount_requested_pence());
      if (!sum) return absl::InternalError("requested amounts overflow");
      running = *sum;
    }
    e.set_running_total_pence(running);
    e.set_within_budget(running <= available);
    e.set_recommendation(a.recommendation().outcome());
  }
  return out;
}

absl::StatusOr<pb::ApplicantFeedback> Assessments::GetApplicantFeedback(
    const Call& call, const pb::GetApplicantFeedbackRequest& req) {
  errors::Violations v;
  auto app = ParseName(req.application(), {"applications"});
  if (!app) v.Add("application", "must be applications/{id}");
  if (!v.empty()) return v.ToStatus();
  ASSIGN_OR_RETURN(
      auto cur, assessments_.Get(IdKey((*app)[0]), "assessments/" + (*app)[0]));
  const pb::Assessment& a = cur.msg;
  if (auth::IsOrganisationScoped(call.principal) &&
      call.principal.organisation != a.bid().organisation()) {
    // Another organisation's bid does not exist as far as they can tell.
    return absl::NotFoundError(
        absl::StrCat("application ", req.application(), " not found"));
  }
  pb::ApplicantFeedback out;
  out.set_application(req.application());
  const pb::Screening& sc = a.screening();
  if (sc.decision() != pb::Screening::DECISION_UNSPECIFIED) {
    pb::StageOutcome& s = *out.add_stages();
    s.set_stage("screening");
    s.set_outcome(pb::Screening::Decision_Name(sc.decision()));
    // The reason is for the applicant when ineligible; an eligible bid's
    // note is the officer's.
    if (sc.decision() == pb::Screening::INELIGIBLE) s.set_feedback(sc.reason());
    *s.mutable_time() = sc.screen_time();
  }
  if (a.state() == pb::Assessment::SHORTLISTED ||
      a.state() == pb::Assessment::NOT_SHORTLISTED || a.shortlisted()) {
    pb::StageOutcome& s = *out.add_stages();
    s.set_stage("shortlisting");
    s.set_outcome(a.shortlisted() ? "SHORTLISTED" : "NOT_SHORTLISTED");
    s.set_feedback(a.shortlist_feedback());
  }
  if (a.has_interview()) {
    pb::StageOutcome& s = *out.add_stages();
    s.set_stage("interview");
    s.set_outcome("SCHEDULED");
    s.set_feedback(a.interview().location());
    *s.mutable_time() = a.interview().interview_time();
  }
  const pb::Recommendation& r = a.recommendation();
  if (r.outcome() != pb::Recommendation::OUTCOME_UNSPECIFIED) {
    pb::StageOutcome& s = *out.add_stages();
    s.set_stage("recommendation");
    s.set_outcome(pb::Recommendation::Outcome_Name(r.outcome()));
    s.set_feedback(r.feedback());
    *s.mutable_time() = r.decide_time();
  }
  out.set_status(PlainStatus(a.state()));
  return out;
}

}  // namespace grantflow::assessment
