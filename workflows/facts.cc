#include "workflows/facts.h"

namespace grantflow::workflows {

const std::vector<FactInfo>& KnownFacts() {
  static const auto* facts = [] {
    const std::vector<std::string> officers = {"grants_officer", "moderator",
                                               "admin", "service"};
    const std::vector<std::string> approvers = {"approver"};
    const std::vector<std::string> checkers = {"grants_officer",
                                               "finance_officer", "admin"};
    const std::vector<std::string> safeguarding = {"safeguarding_officer"};
    return new std::vector<FactInfo>{
        {"ELIGIBILITY_CHECK_STARTED", Effect::kNone, officers},
        {"ELIGIBLE", Effect::kNone, officers},
        {"INELIGIBLE", Effect::kRelease, officers},
        {"ASSESSMENT_COMPLETED", Effect::kNone, officers},
        {"SHORTLISTED", Effect::kNone, officers},
        {"NOT_SHORTLISTED", Effect::kRelease, officers},
        {"INTERVIEW_SCHEDULED", Effect::kNone, officers},
        {"RECOMMENDED", Effect::kRecommend, officers},
        {"NOT_RECOMMENDED", Effect::kRelease, officers},
        {"AWARD_APPROVED", Effect::kApproveAward, approvers},
        {"AWARD_DECLINED", Effect::kRelease, approvers},
        {"CHECKS_STARTED", Effect::kNone, officers},
        {"DUE_DILIGENCE_PASSED", Effect::kDueDiligencePassed, checkers},
        {"DUE_DILIGENCE_FAILED", Effect::kRelease, checkers},
        {"SAFEGUARDING_PASSED", Effect::kSafeguardingPassed, safeguarding},
        {"SAFEGUARDING_FAILED", Effect::kRelease, safeguarding},
        {"CONDITION_RAISED",
         Effect::kConditionRaised,
         {"grants_officer", "finance_officer", "safeguarding_officer"}},
        {"CONDITION_CLEARED",
         Effect::kConditionCleared,
         {"grants_officer", "finance_officer", "safeguarding_officer"}},
        {"AGREEMENT_ISSUED", Effect::kIssueAgreement, {"grants_officer"}},
        {"AGREEMENT_SIGNED_BY_RECIPIENT",
         Effect::kRecipientSigned,
         {"signatory"}},
        {"AGREEMENT_EXECUTED", Effect::kExecute, approvers},
        {"PROJECT_STARTED", Effect::kNone, officers},
        {"MONITORING_REPORT_ACCEPTED",
         Effect::kReportAccepted,
         {"grants_officer"}},
        {"MONITORING_REPORT_OVERDUE", Effect::kReportOverdue, {}, true},
        {"SIGNATURE_DEADLINE_PASSED", Effect::kRelease, {}, true},
        {"ROUND_CLOSED", Effect::kNone, {}, true},
        {"GRANT_CLOSED", Effect::kClose, {"grants_officer"}},
        {"TERMINATED", Effect::kTerminate, approvers},
        {"WITHDRAWN", Effect::kRelease, {"grants_officer", "service"}},
    };
  }();
  return *facts;
}

const FactInfo* FindFact(absl::string_view name) {
  for (const FactInfo& f : KnownFacts()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace grantflow::workflows
