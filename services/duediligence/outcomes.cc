// Outcomes: concluding a check, deciding a referred failure, clearing
// conditions. Each asks the engine first.
#include <set>

#include "absl/strings/match.h"
#include "platform/duties.h"
#include "services/common/check_conditions.h"
#include "services/duediligence/checks.h"
#include "services/duediligence/internal.h"

namespace grantflow::duediligence {
namespace {

constexpr char kConditionPrefix[] = "dd-";

// The engine's id for a check's condition (safeguarding's have their own
// prefix, so the two never collide on a case).
std::string EngineConditionId(const std::string& id) {
  return kConditionPrefix + id;
}

void ValidateConditions(const pb::ConcludeCheckRequest& req,
                        errors::Violations* v) {
  checks::ValidateConditions(
      req.conditions(),
      req.outcome() == pb::ConcludeCheckRequest::PASSED_WITH_CONDITIONS, v);
  for (int i = 0; i < req.conditions_size(); ++i) {
    const std::string& role = req.conditions(i).clear_role();
    if (role != "grants_officer" && role != "finance_officer") {
      v->Add(absl::StrCat("conditions[", i, "].clear_role"),
             "must be grants_officer or finance_officer");
    }
  }
}

std::vector<std::string> ItemsWith(const pb::DueDiligenceCheck& c,
                                   pb::ItemResult result) {
  std::vector<std::string> out;
  for (const pb::Item& it : c.items()) {
    if (it.result() == result) out.push_back(pb::ItemKind_Name(it.kind()));
  }
  return out;
}

}  // namespace

absl::StatusOr<pb::DueDiligenceCheck> Checks::ConcludeCheck(
    const Call& call, const pb::ConcludeCheckRequest& req) {
  errors::Violations v;
  ParseCheckName(req.check(), "check", &v);
  const auto outcome = req.outcome();
  if (outcome == pb::ConcludeCheckRequest::OUTCOME_UNSPECIFIED ||
      !pb::ConcludeCheckRequest::Outcome_IsValid(outcome)) {
    v.Add("outcome", "must be PASSED, PASSED_WITH_CONDITIONS or FAILED");
  }
  LimitText(req.reason(), "reason", kMaxReasonChars, &v);
  if (outcome != pb::ConcludeCheckRequest::PASSED && !HasText(req.reason())) {
    v.Add("reason", "is required: say why");
  }
  ValidateConditions(req, &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return Change(
      call, req, req.check(), req.request_id(), req.etag(), req.reason(),
      [&](pb::DueDiligenceCheck& c) -> absl::StatusOr<std::string> {
        if (c.state() != pb::DueDiligenceCheck::OPEN) {
          return NotInState(c, reasons::kCheckNotOpen,
                            "only an OPEN check is concluded");
        }
        const std::string id = IdOf(c.name());
        c.set_reviewed_by(call.principal.user);
        c.set_outcome_reason(req.reason());
        *c.mutable_decide_time() = ToProto(call.now);
        if (outcome == pb::ConcludeCheckRequest::FAILED) {
          // Nothing reaches the engine until an approver decides.
          c.set_state(pb::DueDiligenceCheck::REFERRED);
          return std::string("failed: referred to an approver");
        }
        const std::vector<std::string> missing =
            ItemsWith(c, pb::RESULT_UNSPECIFIED);
        if (!missing.empty()) {
          return errors::FailedPrecondition(
              reasons::kItemsIncomplete,
              absl::StrCat("record these items first: ",
                           absl::StrJoin(missing, ", ")),
              {{"items", absl::StrJoin(missing, ",")}});
        }
        const std::vector<std::string> poor = ItemsWith(c, pb::UNSATISFACTORY);
        const pb::Item* risk = FindItem(c, pb::FRAUD_RISK);
        if (risk != nullptr && risk->risk_rating() == pb::RED) {
          return errors::FailedPrecondition(
              reasons::kItemsUnsatisfactory,
              "a RED fraud risk cannot pass: conclude FAILED, and an "
              "approver may override",
              {{"items", "FRAUD_RISK"}});
        }
        if (outcome == pb::ConcludeCheckRequest::PASSED && !poor.empty()) {
          return errors::FailedPrecondition(
              reasons::kItemsUnsatisfactory,
              absl::StrCat("unsatisfactory: ", absl::StrJoin(poor, ", "),
                           "; pass with conditions, or fail"),
              {{"items", absl::StrJoin(poor, ",")}});
        }
        // Awards approved since the search was run count too.
        ASSIGN_OR_RETURN(std::vector<pb::DuplicateMatch> now_found,
                         FindDuplicates(c));
        std::set<std::string> before, after;
        for (const auto& m : c.duplicates()) before.insert(m.check());
        for (const auto& m : now_found) after.insert(m.check());
        if (before != after) {
          return errors::FailedPrecondition(
              reasons::kDuplicatesChanged,
              "overlapping awards have changed since the search; run it "
              "again and review them");
        }
        std::string what = "passed";
        if (outcome == pb::ConcludeCheckRequest::PASSED_WITH_CONDITIONS) {
          for (const pb::CheckCondition& k : req.conditions()) {
            wpb::FactPayload p;
            p.set_condition_id(EngineConditionId(k.id()));
            p.set_description(k.description());
            p.set_condition_source("DUE_DILIGENCE");
            RETURN_IF_ERROR(Tell(call, c, facts::kConditionRaised, "",
                                 absl::StrCat("dd:", id, ":cond:", k.id()),
                                 std::move(p)));
            pb::CheckCondition& added = *c.add_conditions();
            added.set_id(k.id());
            added.set_description(k.description());
            added.set_clear_role(k.clear_role());
            added.set_open(true);
            added.set_raised_by(call.principal.user);
          }
          // A condition an earlier, interrupted attempt raised at the engine
          // is this check's too, so it can be cleared here.
          ASSIGN_OR_RETURN(wpb::Case kase, cases_->GetCase(c.case_()));
          for (const wpb::Condition& k : kase.conditions()) {
            if (!k.open() || !absl::StartsWith(k.id(), kConditionPrefix)) {
              continue;
            }
            const std::string cid = k.id().substr(3);
            bool known = false;
            for (const auto& mine : c.conditions()) known |= mine.id() == cid;
            if (known) continue;
            pb::CheckCondition& adopted = *c.add_conditions();
            adopted.set_id(cid);
            adopted.set_description(k.description());
            adopted.set_clear_role("grants_officer");
            adopted.set_open(true);
          }
          c.set_state(pb::DueDiligenceCheck::PASSED_WITH_CONDITIONS);
          what = absl::StrCat("passed with ", c.conditions_size(),
                              " condition(s)");
        } else {
          c.set_state(pb::DueDiligenceCheck::PASSED);
          ASSIGN_OR_RETURN(pb::Policy policy, LoadPolicy());
          if (policy.validity_days() > 0) {
            *c.mutable_valid_until() =
                ToProto(call.now + absl::Hours(24) * policy.validity_days());
          }
        }
        RETURN_IF_ERROR(Tell(call, c, facts::kDueDiligencePassed, req.reason(),
                             absl::StrCat("dd:", id, ":passed")));
        return what;
      });
}

absl::StatusOr<pb::DueDiligenceCheck> Checks::DecideReferral(
    const Call& call, const pb::DecideReferralRequest& req) {
  errors::Violations v;
  ParseCheckName(req.check(), "check", &v);
  if (req.decision() != pb::DecideReferralRequest::UPHOLD &&
      req.decision() != pb::DecideReferralRequest::OVERRIDE) {
    v.Add("decision", "must be UPHOLD or OVERRIDE");
  }
  RequireText(req.reason(), "reason", kMaxReasonChars, &v);
  if (!HasText(req.reason())) v.Add("reason", "is required: say why");
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  const bool uphold = req.decision() == pb::DecideReferralRequest::UPHOLD;
  return Change(
      call, req, req.check(), req.request_id(), req.etag(), req.reason(),
      [&](pb::DueDiligenceCheck& c) -> absl::StatusOr<std::string> {
        if (c.state() != pb::DueDiligenceCheck::REFERRED) {
          return NotInState(c, reasons::kCheckNotReferred,
                            "only a REFERRED check is decided");
        }
        // R5: a second person decides what the reviewer found.
        RETURN_IF_ERROR(duties::Check(duties::Duty::kDecideReferral,
                                      c.reviewed_by(), call.principal.user,
                                      c.name()));
        auto limit = call.principal.limits_pence.find("approve");
        const int64_t own =
            limit == call.principal.limits_pence.end() ? 0 : limit->second;
        if (own < c.awarded_pence()) {
          return errors::FailedPrecondition(
              reasons::kDelegatedLimitExceeded,
              absl::StrCat("the award is ", FormatPounds(c.awarded_pence()),
                           "; ", call.principal.user, "'s delegated limit is ",
                           FormatPounds(own)));
        }
        const std::string id = IdOf(c.name());
        RETURN_IF_ERROR(Tell(
            call, c,
            uphold ? facts::kDueDiligenceFailed : facts::kDueDiligencePassed,
            req.reason(),
            absl::StrCat("dd:", id, uphold ? ":failed" : ":overridden")));
        c.set_state(uphold ? pb::DueDiligenceCheck::FAILED
                           : pb::DueDiligenceCheck::PASSED);
        c.set_overridden(!uphold);
        c.set_referral_decided_by(call.principal.user);
        c.set_referral_reason(req.reason());
        return std::string(uphold ? "failure upheld: the award lapses"
                                  : "failure overridden: passed");
      });
}

absl::StatusOr<pb::DueDiligenceCheck> Checks::ClearCondition(
    const Call& call, const pb::ClearConditionRequest& req) {
  errors::Violations v;
  ParseCheckName(req.check(), "check", &v);
  checks::ValidateClearing(req.condition_id(), req.note(), &v);
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  return Change(
      call, req, req.check(), req.request_id(), "", req.note(),
      [&](pb::DueDiligenceCheck& c) -> absl::StatusOr<std::string> {
        ASSIGN_OR_RETURN(pb::CheckCondition * k,
                         checks::OpenCondition(c.mutable_conditions(), c.name(),
                                               req.condition_id()));
        if (!call.principal.HasRole(k->clear_role())) {
          return absl::PermissionDeniedError(absl::StrCat(
              "condition '", k->id(), "' is cleared by a ", k->clear_role()));
        }
        wpb::FactPayload p;
        p.set_condition_id(EngineConditionId(k->id()));
        RETURN_IF_ERROR(
            Tell(call, c, facts::kConditionCleared, req.note(),
                 absl::StrCat("dd:", IdOf(c.name()), ":clear:", k->id()),
                 std::move(p)));
        checks::MarkCleared(*k, call, req.note());
        return absl::StrCat("condition '", k->id(), "' cleared");
      });
}

}  // namespace grantflow::duediligence
