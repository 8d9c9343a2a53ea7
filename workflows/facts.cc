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
    const std::vector<std::string> approvers = {"approver"};
    const std::vector<std::string> assessment = {"service"};
    static constexpr char kAssessment[] = "AssessmentService (grantctl assess)";
    const std::vector<std::string> checks = {"service"};
    static constexpr char kAwards[] = "AwardService (grantctl award)";
    static constexpr char kDueDiligence[] = "DueDiligenceService (grantctl dd)";
    static constexpr char kSafeguarding[] =
        "SafeguardingService (grantctl safeguarding)";
    static constexpr char kChecks[] =
        "DueDiligenceService or SafeguardingService (grantctl dd, grantctl "
        "safeguarding)";
    const std::vector<std::string> conditions = checks;
    static constexpr char kAgreements[] =
        "AgreementService (grantctl agreement)";
    static constexpr char kReports[] = "AgreementService (grantctl report)";
    auto* t = new std::deque<FactInfo>{
        // Assessment: AssessmentService records them on a person's behalf
        // (on_behalf_of), asking the engine first, so its record and the
        // case never disagree; people cannot record them here directly.
        {.name = facts::kEligibilityCheckStarted,
         .roles = assessment,
         .via = kAssessment},
        {.name = facts::kEligible, .roles = assessment, .via = kAssessment},
        {.name = facts::kIneligible,
         .roles = assessment,
         .handler = h::Release,
         .via = kAssessment},
        {.name = facts::kAssessmentCompleted,
         .roles = assessment,
         .via = kAssessment},
        {.name = facts::kShortlisted, .roles = assessment, .via = kAssessment},
        {.name = facts::kNotShortlisted,
         .roles = assessment,
         .handler = h::Release,
         .via = kAssessment},
        {.name = facts::kInterviewScheduled,
         .roles = assessment,
         .via = kAssessment},
        // Award.
        {.name = facts::kRecommended,
         .roles = assessment,
         .handler = h::Recommend,
         .via = kAssessment},
        {.name = facts::kNotRecommended,
         .roles = assessment,
         .handler = h::Release,
         .via = kAssessment},
        // Decisions: AwardService records them on the approver's behalf,
        // with the approver's delegated limit.
        {.name = facts::kAwardApproved,
         .roles = {"service"},
         .handler = h::ApproveAward,
         .reads_round = true,
         .locks_payload_lines = true,
         .via = kAwards},
        {.name = facts::kAwardDeclined,
         .roles = {"service"},
         .handler = h::Release,
         .via = kAwards},
        // Checks: DueDiligenceService and SafeguardingService open them when
        // an award is approved and report their outcomes, on the officer's
        // behalf.
        {.name = facts::kChecksStarted, .roles = checks, .via = kChecks},
        {.name = facts::kDueDiligencePassed,
         .roles = checks,
         .handler = h::DueDiligencePassed,
         .via = kDueDiligence},
        {.name = facts::kDueDiligenceFailed,
         .roles = checks,
         .handler = h::Release,
         .via = kDueDiligence},
        {.name = facts::kSafeguardingRequired,
         .roles = checks,
         .handler = h::SafeguardingRequired,
         .via = kSafeguarding},
        {.name = facts::kSafeguardingPassed,
         .roles = checks,
         .handler = h::SafeguardingPassed,
         .via = kSafeguarding},
        {.name = facts::kSafeguardingFailed,
         .roles = checks,
         .handler = h::Release,
         .via = kSafeguarding},
        {.name = facts::kConditionRaised,
         .roles = conditions,
         .handler = h::RaiseCondition,
         .via = kChecks},
        {.name = facts::kConditionCleared,
         .roles = conditions,
         .handler = h::ClearCondition,
         .via = kChecks},
        // Agreement, monitoring and closure: AgreementService records them
        // for the person who issued, signed, countersigned, reviewed or
        // terminated (their roles and limits applied here), so the
        // agreement's record and the case never disagree.
        {.name = facts::kAgreementIssued,
         .roles = {"service"},
         .handler = h::IssueAgreement,
         .reenters_state = true,
         .via = kAgreements,
         .person_roles = {"grants_officer"}},
        {.name = facts::kAgreementSignedByRecipient,
         .roles = {"service"},
         .handler = h::RecipientSigned,
         .recipient_signature = true,
         .via = kAgreements},
        {.name = facts::kAgreementExecuted,
         .roles = {"service"},
         .handler = h::Execute,
         .funder_signature = true,
         .via = kAgreements},
        // Monitoring.
        {.name = facts::kProjectStarted,
         .roles = {"service"},
         .via = kAgreements},
        {.name = facts::kMonitoringReportAccepted,
         .roles = {"service"},
         .handler = h::ReportAccepted,
         .via = kReports,
         .person_roles = {"grants_officer"}},
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
         .roles = {"service"},
         .handler = h::Release,
         .via = kReports,
         .person_roles = {"grants_officer"}},
        {.name = facts::kTerminated,
         .roles = {"service"},
         .handler = h::Terminate,
         .via = kAgreements,
         .person_roles = {"approver"}},
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
