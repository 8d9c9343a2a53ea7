// What the pre-agreement checks (DueDiligenceService, SafeguardingService)
// share about the awards they check and the conditions they set: the case
// a check opens on, and conditions named on a conclusion, raised at the
// engine, and cleared one by one. Each service's condition message has id,
// description, open, cleared_by, clear_note and clear_time.
#ifndef GRANTFLOW_SERVICES_COMMON_CHECK_CONDITIONS_H_
#define GRANTFLOW_SERVICES_COMMON_CHECK_CONDITIONS_H_

#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "platform/call.h"
#include "platform/errors.h"
#include "platform/idempotency.h"
#include "platform/reasons.h"
#include "platform/resources.h"
#include "services/common/case_client.h"

namespace grantflow::checks {

inline constexpr int kMaxConditions = 10;

// The case of `case_name` while its award stands and awaits its checks
// (AWARD_APPROVED or PRE_AGREEMENT_CHECKS); FAILED_PRECONDITION CASE_CLOSED
// (with the state) otherwise, or the engine's status.
inline absl::StatusOr<workflow::v1::Case> ApprovedAward(
    CaseClient& cases, const std::string& case_name) {
  absl::StatusOr<workflow::v1::Case> kase = cases.GetCase(case_name);
  if (!kase.ok()) return kase.status();
  if (kase->state() != "AWARD_APPROVED" &&
      kase->state() != "PRE_AGREEMENT_CHECKS") {
    return errors::FailedPrecondition(
        reasons::kCaseClosed,
        absl::StrCat(case_name, " is ", kase->state(),
                     ": there is no approved award to check"),
        {{"state", kase->state()}});
  }
  return kase;
}

// An OpenCheck request's own fields (the engine's task: the case, and a
// request id); the case's id, or nullopt with the violations added.
inline std::optional<std::string> CaseToCheck(const std::string& case_name,
                                              const std::string& request_id,
                                              errors::Violations* v) {
  auto ids = ParseName(case_name, {"cases"});
  if (!ids) v->Add("case", "must be cases/{id}");
  ValidateRequestId(request_id, v);
  if (!ids || !v->empty()) return std::nullopt;
  return (*ids)[0];
}

// The conditions named on a conclusion: only when `with_conditions` (and
// then at least one), at most kMaxConditions, ids 1-40 of [a-z0-9-] each
// once, a description of what has to be done.
template <typename Cond>
void ValidateConditions(const google::protobuf::RepeatedPtrField<Cond>& conds,
                        bool with_conditions, errors::Violations* v) {
  if (!with_conditions && !conds.empty()) {
    v->Add("conditions", "are only for PASSED_WITH_CONDITIONS");
    return;
  }
  if (with_conditions && conds.empty()) {
    v->Add("conditions", "name at least one condition");
  }
  if (conds.size() > kMaxConditions) {
    v->Add("conditions",
           absl::StrCat("at most ", kMaxConditions, " conditions"));
    return;
  }
  std::set<std::string> seen;
  for (int i = 0; i < conds.size(); ++i) {
    const Cond& k = conds[i];
    const std::string f = absl::StrCat("conditions[", i, "]");
    if (!IsValidId(k.id()) || k.id().size() > 40) {
      v->Add(f + ".id", "must be 1-40 of [a-z0-9-]");
    } else if (!seen.insert(k.id()).second) {
      v->Add(f + ".id", "is used twice");
    }
    RequireText(k.description(), f + ".description", kMaxReasonChars, v);
    if (!k.description().empty() && !HasText(k.description())) {
      v->Add(f + ".description", "must say what has to be done");
    }
  }
}

// A clearing request's own fields: the condition's id and a note of how it
// was met.
inline void ValidateClearing(const std::string& condition_id,
                             const std::string& note, errors::Violations* v) {
  if (!IsValidId(condition_id)) {
    v->Add("condition_id", "must be the condition's id");
  }
  RequireText(note, "note", kMaxReasonChars, v);
  if (!note.empty() && !HasText(note)) {
    v->Add("note", "is required: how it was met");
  }
}

// The open condition `id` of the check `check`: NOT_FOUND when it has none
// by that id, FAILED_PRECONDITION CONDITION_NOT_OPEN when it was cleared.
template <typename Cond>
absl::StatusOr<Cond*> OpenCondition(
    google::protobuf::RepeatedPtrField<Cond>* conds, const std::string& check,
    const std::string& id) {
  for (Cond& k : *conds) {
    if (k.id() != id) continue;
    if (!k.open()) {
      return errors::FailedPrecondition(
          reasons::kConditionNotOpen,
          absl::StrCat("condition '", id, "' was cleared by ", k.cleared_by()),
          {{"condition", id}});
    }
    return &k;
  }
  return absl::NotFoundError(
      absl::StrCat(check, " has no condition '", id, "'"));
}

// Records `call`'s person clearing `k` with `note`.
template <typename Cond>
void MarkCleared(Cond& k, const Call& call, const std::string& note) {
  k.set_open(false);
  k.set_cleared_by(call.principal.user);
  k.set_clear_note(note);
  *k.mutable_clear_time() = ToProto(call.now);
}

}  // namespace grantflow::checks

#endif  // GRANTFLOW_SERVICES_COMMON_CHECK_CONDITIONS_H_
