// AssessmentService's domain internals shared by its source files
// (assessments.cc: intake, screening, assignment, declarations;
// sheets.cc: score sheets, settling, moderation; decisions.cc: shortlists,
// interviews, recommendations, the ranking, applicants' feedback). Not part
// of the service's interface.
#ifndef GRANTFLOW_SERVICES_ASSESSMENT_INTERNAL_H_
#define GRANTFLOW_SERVICES_ASSESSMENT_INTERNAL_H_

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
#include "services/assessment/assessments.h"
#include "services/assessment/scoring.h"
#include "storage/key_coding.h"

namespace grantflow::assessment {

namespace ppb = ::grantflow::programmes::v1;
namespace wpb = ::grantflow::workflow::v1;

inline constexpr char kByRound[] = "assessments_by_round";
inline constexpr char kQueue[] = "assessor_queue";
inline constexpr int kMaxAssignmentsPerStage = 10;

inline std::string IdKey(const std::string& id) {
  std::string k;
  storage::AppendString(&k, id);
  return k;
}

inline std::optional<std::string> ParseAssessmentName(const std::string& name,
                                                      const std::string& field,
                                                      errors::Violations* v) {
  auto ids = ParseName(name, {"assessments"});
  if (!ids) {
    v->Add(field, "must be assessments/{id}");
    return std::nullopt;
  }
  return (*ids)[0];
}

inline std::string IdOf(const std::string& name) {
  return name.substr(std::string("assessments/").size());
}

inline const char* StageWord(pb::Stage s) {
  return s == pb::INTERVIEW ? "interview" : "written";
}

struct SheetName {
  std::string id;
  pb::Stage stage = pb::STAGE_UNSPECIFIED;
  std::string assessor;
};

// assessments/{id}/scoreSheets/{written|interview}.{assessor}
inline std::optional<SheetName> ParseSheetName(const std::string& name,
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

inline std::string SheetKey(const std::string& id, pb::Stage stage,
                            const std::string& assessor) {
  std::string k = IdKey(id);
  storage::AppendUint64(&k, stage);
  storage::AppendString(&k, assessor);
  return k;
}

inline std::string RoundKey(const pb::Assessment& a) {
  std::string k;
  storage::AppendString(&k, a.round());
  storage::AppendString(&k, IdOf(a.name()));
  return k;
}

inline bool Active(const pb::Assignment& as) {
  return as.declaration() != pb::CONFLICT;
}

// The queue row of an assignment that still needs its assessor: by due time,
// then assessment and stage.
inline std::string QueueKey(const pb::Assessment& a, const pb::Assignment& as) {
  std::string k;
  storage::AppendString(&k, as.assessor());
  storage::AppendInt64(&k, absl::ToUnixMicros(FromProto(as.due_time())));
  storage::AppendString(&k, IdOf(a.name()));
  storage::AppendUint64(&k, as.stage());
  return k;
}

inline std::set<std::string> QueueKeys(const pb::Assessment& a) {
  std::set<std::string> keys;
  if (a.state() == pb::Assessment::WITHDRAWN) return keys;
  for (const pb::Assignment& as : a.assignments()) {
    if (Active(as)) keys.insert(QueueKey(a, as));
  }
  return keys;
}

inline bool IsStaff(const auth::Principal& p) {
  for (const char* r : {"grants_officer", "moderator", "admin", "auditor",
                        "approver", "service"}) {
    if (p.HasRole(r)) return true;
  }
  return false;
}

// `who`'s assignment to `a` at `stage`, or nullptr.
inline const pb::Assignment* FindAssignment(const pb::Assessment& a,
                                            const std::string& who,
                                            pb::Stage stage) {
  for (const pb::Assignment& as : a.assignments()) {
    if (as.assessor() == who && as.stage() == stage) return &as;
  }
  return nullptr;
}
inline pb::Assignment* FindAssignment(pb::Assessment& a, const std::string& who,
                                      pb::Stage stage) {
  return const_cast<pb::Assignment*>(
      FindAssignment(static_cast<const pb::Assessment&>(a), who, stage));
}

inline int AssessorsWanted(const ppb::Round& round) {
  const int n = round.assessment().assessors_per_application();
  return n == 0 ? 2 : n;
}

inline absl::Duration AssessmentTime(const ppb::Round& round) {
  const int d = round.assessment().assessment_days();
  return absl::Hours(24) * (d == 0 ? 14 : d);
}

inline int PanelSize(const ppb::Round& round) {
  const int n = round.assessment().panel_size();
  return n == 0 ? 2 : n;
}

// The stage whose assessors are at work in `a`'s state, if any.
inline pb::Stage OpenStage(const pb::Assessment& a) {
  if (a.state() == pb::Assessment::IN_ASSESSMENT) return pb::WRITTEN;
  if (a.state() == pb::Assessment::INTERVIEW) return pb::INTERVIEW;
  return pb::STAGE_UNSPECIFIED;
}

// Assessors still needed at the open stage: the round's number less those
// assigned and not recused.
inline void CountNeeded(pb::Assessment& a, const ppb::Round& round) {
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

inline absl::Status NotInAssessment(const pb::Assessment& a) {
  return errors::FailedPrecondition(
      reasons::kNotInAssessment,
      absl::StrCat(a.name(), " is ", pb::Assessment::State_Name(a.state()),
                   ", not in assessment"),
      {{"state", pb::Assessment::State_Name(a.state())}});
}

// The assessment as far as one assignment goes: no bid.
inline pb::Assessment OwnAssignmentView(const pb::Assessment& a,
                                        const pb::Assignment& mine) {
  pb::Assessment out;
  out.set_name(a.name());
  out.set_round(a.round());
  out.set_state(a.state());
  out.set_etag(a.etag());
  *out.add_assignments() = mine;
  return out;
}

// What an assessor may see of `a` (rule R6): their own assignments (the
// written bid's and, on a panel, the interview's, each with its
// declaration), and the bid's title and organisation until they declare no
// conflict.
inline absl::StatusOr<pb::Assessment> AssessorView(const pb::Assessment& a,
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
  for (const pb::Assignment& as : a.assignments()) {
    if (as.assessor() == who && &as != mine) *out.add_assignments() = as;
  }
  if (mine->declaration() == pb::NO_CONFLICT) {
    *out.mutable_bid() = a.bid();
  } else {
    out.mutable_bid()->set_title(a.bid().title());
    out.mutable_bid()->set_organisation_name(a.bid().organisation_name());
  }
  return out;
}

inline void ValidateBid(const pb::Bid& b, errors::Violations* v) {
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
inline absl::StatusOr<pb::Assignment*> Scorer(pb::Assessment& a,
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

inline const Criteria& CriteriaFor(const ppb::Round& round, pb::Stage stage) {
  if (stage == pb::INTERVIEW &&
      !round.assessment().interview_criteria().empty()) {
    return round.assessment().interview_criteria();
  }
  return round.criteria();
}

inline int32_t ModerationThresholdBp(const ppb::Round& round) {
  const int p = round.assessment().moderation_threshold_percent();
  return (p == 0 ? 15 : p) * 100;
}

inline int32_t InterviewWeight(const ppb::Round& round) {
  const int w = round.assessment().interview_weight_percent();
  return w == 0 ? 50 : w;
}

// (written·(100 − w) + interview·w) / 100, rounded half up.
inline int32_t Combine(int32_t written_bp, int32_t interview_bp,
                       int32_t weight) {
  const int64_t sum =
      int64_t{written_bp} * (100 - weight) + int64_t{interview_bp} * weight;
  return static_cast<int32_t>((sum + 50) / 100);
}

// Still competing for an award: ranked with a running total.
inline bool InContention(pb::Assessment::State s) {
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

inline absl::Status WrongState(const pb::Assessment& a,
                               absl::string_view wanted) {
  return errors::FailedPrecondition(
      reasons::kNotInAssessment,
      absl::StrCat(a.name(), " is ", pb::Assessment::State_Name(a.state()),
                   "; this needs it ", wanted),
      {{"state", pb::Assessment::State_Name(a.state())}});
}

// Where a bid is, in the applicant's words.
inline const char* PlainStatus(pb::Assessment::State state) {
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

}  // namespace grantflow::assessment

#endif  // GRANTFLOW_SERVICES_ASSESSMENT_INTERNAL_H_
