#include "workflows/facts.h"

#include <deque>

#include "absl/strings/str_cat.h"
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
        {.name = "ELIGIBILITY_CHECK_STARTED", .roles = officers},
        {.name = "ELIGIBLE", .roles = officers},
        {.name = "INELIGIBLE", .roles = officers, .handler = h::Release},
        {.name = "ASSESSMENT_COMPLETED", .roles = officers},
        {.name = "SHORTLISTED", .roles = officers},
        {.name = "NOT_SHORTLISTED", .roles = officers, .handler = h::Release},
        {.name = "INTERVIEW_SCHEDULED", .roles = officers},
        // Award.
        {.name = "RECOMMENDED", .roles = officers, .handler = h::Recommend},
        {.name = "NOT_RECOMMENDED", .roles = officers, .handler = h::Release},
        {.name = "AWARD_APPROVED",
         .roles = approvers,
         .handler = h::ApproveAward,
         .reads_round = true,
         .locks_payload_lines = true},
        {.name = "AWARD_DECLINED", .roles = approvers, .handler = h::Release},
        // Checks.
        {.name = "CHECKS_STARTED", .roles = officers},
        {.name = "DUE_DILIGENCE_PASSED",
         .roles = checkers,
         .handler = h::DueDiligencePassed},
        {.name = "DUE_DILIGENCE_FAILED",
         .roles = checkers,
         .handler = h::Release},
        {.name = "SAFEGUARDING_PASSED",
         .roles = safeguarding,
         .handler = h::SafeguardingPassed},
        {.name = "SAFEGUARDING_FAILED",
         .roles = safeguarding,
         .handler = h::Release},
        {.name = "CONDITION_RAISED",
         .roles = conditions,
         .handler = h::RaiseCondition},
        {.name = "CONDITION_CLEARED",
         .roles = conditions,
         .handler = h::ClearCondition},
        // Agreement.
        {.name = "AGREEMENT_ISSUED",
         .roles = {"grants_officer"},
         .handler = h::IssueAgreement,
         .reenters_state = true},
        {.name = "AGREEMENT_SIGNED_BY_RECIPIENT",
         .roles = {"signatory"},
         .handler = h::RecipientSigned,
         .recipient_signature = true},
        {.name = "AGREEMENT_EXECUTED",
         .roles = approvers,
         .handler = h::Execute,
         .funder_signature = true},
        // Monitoring.
        {.name = "PROJECT_STARTED", .roles = officers},
        {.name = "MONITORING_REPORT_ACCEPTED",
         .roles = {"grants_officer"},
         .handler = h::ReportAccepted},
        {.name = "MONITORING_REPORT_OVERDUE",
         .roles = {},
         .handler = h::ReportOverdue,
         .timer_only = true},
        // Closure and side exits.
        {.name = "SIGNATURE_DEADLINE_PASSED",
         .roles = {},
         .handler = h::Release,
         .timer_only = true},
        {.name = "ROUND_CLOSED", .roles = {}, .timer_only = true},
        {.name = "GRANT_CLOSED",
         .roles = {"grants_officer"},
         .handler = h::Release},
        {.name = "TERMINATED", .roles = approvers, .handler = h::Terminate},
        {.name = "WITHDRAWN",
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
