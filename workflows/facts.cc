#include "workflows/facts.h"

#include <deque>

#include "absl/strings/str_cat.h"
#include "platform/fact_names.h"
#include "workflows/fact_handlers.h"

namespace grantflow::workflows {
namespace {

// The table: a deque, so pointers FindFact hands out stay valid as facts are
// registered.
std::deque<FactInfo>& Table() {
  static auto* facts = [] {
    namespace h = handlers;
    const std::vector<std::string> officers = {"grants_officer", "moderator",
                                               "admin", "service"};
    const std::vector<std::string> approvers = {"approver"};
    const std::vector<std::string> checkers = {"grants_officer",
                                               "finance_officer", "admin"};
    const std::vector<std::string> safeguarding = {"safeguarding_officer"};
    const std::vector<std::string> conditions = {
        "grants_officer", "finance_officer", "safeguarding_officer"};
    auto* t = new std::deque<FactInfo>{
        // Application and assessment: they move the case only.
        {.name = facts::kEligibilityCheckStarted, .roles = officers},
        {.name = facts::kEligible, .roles = officers},
        {.name = facts::kIneligible, .roles = officers, .handler = h::Release},
        {.name = facts::kAssessmentCompleted, .roles = officers},
        {.name = facts::kShortlisted, .roles = officers},
        {.name = facts::kNotShortlisted,
         .roles = officers,
         .handler = h::Release},
        {.name = facts::kInterviewScheduled, .roles = officers},
        // Award.
        {.name = facts::kRecommended,
         .roles = officers,
         .handler = h::Recommend},
        {.name = facts::kNotRecommended,
         .roles = officers,
         .handler = h::Release},
        {.name = facts::kAwardApproved,
         .roles = approvers,
         .handler = h::ApproveAward,
         .reads_round = true,
         .locks_payload_lines = true},
        {.name = facts::kAwardDeclined,
         .roles = approvers,
         .handler = h::Release},
        // Checks.
        {.name = facts::kChecksStarted, .roles = officers},
        {.name = facts::kDueDiligencePassed,
         .roles = checkers,
         .handler = h::DueDiligencePassed},
        {.name = facts::kDueDiligenceFailed,
         .roles = checkers,
         .handler = h::Release},
        {.name = facts::kSafeguardingPassed,
         .roles = safeguarding,
         .handler = h::SafeguardingPassed},
        {.name = facts::kSafeguardingFailed,
         .roles = safeguarding,
         .handler = h::Release},
        {.name = facts::kConditionRaised,
         .roles = conditions,
         .handler = h::RaiseCondition},
        {.name = facts::kConditionCleared,
         .roles = conditions,
         .handler = h::ClearCondition},
        // Agreement.
        {.name = facts::kAgreementIssued,
         .roles = {"grants_officer"},
         .handler = h::IssueAgreement,
         .reenters_state = true},
        {.name = facts::kAgreementSignedByRecipient,
         .roles = {"signatory"},
         .handler = h::RecipientSigned,
         .recipient_signature = true},
        {.name = facts::kAgreementExecuted,
         .roles = approvers,
         .handler = h::Execute,
         .funder_signature = true},
        // Monitoring.
        {.name = facts::kProjectStarted, .roles = officers},
        {.name = facts::kMonitoringReportAccepted,
         .roles = {"grants_officer"},
         .handler = h::ReportAccepted},
        {.name = facts::kMonitoringReportOverdue,
         .roles = {},
         .handler = h::ReportOverdue,
         .timer_only = true},
        // Closure and side exits.
        {.name = facts::kSignatureDeadlinePassed,
         .roles = {},
         .handler = h::Release,
         .timer_only = true},
        {.name = facts::kRoundClosed, .roles = {}, .timer_only = true},
        {.name = facts::kGrantClosed,
         .roles = {"grants_officer"},
         .handler = h::Release},
        {.name = facts::kTerminated,
         .roles = approvers,
         .handler = h::Terminate},
        {.name = facts::kWithdrawn,
         .roles = {"grants_officer", "service"},
         .handler = h::Release},
    };
    return t;
  }();
  return *facts;
}

}  // namespace

const FactInfo* FindFact(absl::string_view name) {
  for (const FactInfo& f : Table()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::vector<std::string> FactNames() {
  std::vector<std::string> names;
  for (const FactInfo& f : Table()) names.push_back(f.name);
  return names;
}

absl::Status RegisterFact(FactInfo fact) {
  if (fact.name.empty()) {
    return absl::InvalidArgumentError("a fact needs a name");
  }
  if (FindFact(fact.name) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat("fact ", fact.name, " is already known"));
  }
  Table().push_back(std::move(fact));
  return absl::OkStatus();
}

}  // namespace grantflow::workflows
