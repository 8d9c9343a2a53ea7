// The facts the workflow engine knows, by the names callers send in
// RecordFactRequest.fact and lifecycle definitions use. Part of the API: a
// name never changes once published. What each fact does is engine code
// (workflows/facts.cc); services and tools name facts through these.
#ifndef GRANTFLOW_PLATFORM_FACT_NAMES_H_
#define GRANTFLOW_PLATFORM_FACT_NAMES_H_

namespace grantflow::facts {

inline constexpr char kEligibilityCheckStarted[] = "ELIGIBILITY_CHECK_STARTED";
inline constexpr char kEligible[] = "ELIGIBLE";
inline constexpr char kIneligible[] = "INELIGIBLE";
inline constexpr char kAssessmentCompleted[] = "ASSESSMENT_COMPLETED";
inline constexpr char kShortlisted[] = "SHORTLISTED";
inline constexpr char kNotShortlisted[] = "NOT_SHORTLISTED";
inline constexpr char kInterviewScheduled[] = "INTERVIEW_SCHEDULED";
inline constexpr char kRecommended[] = "RECOMMENDED";
inline constexpr char kNotRecommended[] = "NOT_RECOMMENDED";
inline constexpr char kAwardApproved[] = "AWARD_APPROVED";
inline constexpr char kAwardDeclined[] = "AWARD_DECLINED";
inline constexpr char kChecksStarted[] = "CHECKS_STARTED";
inline constexpr char kDueDiligencePassed[] = "DUE_DILIGENCE_PASSED";
inline constexpr char kDueDiligenceFailed[] = "DUE_DILIGENCE_FAILED";
inline constexpr char kSafeguardingPassed[] = "SAFEGUARDING_PASSED";
inline constexpr char kSafeguardingFailed[] = "SAFEGUARDING_FAILED";
// An officer requires safeguarding the application did not ask for.
inline constexpr char kSafeguardingRequired[] = "SAFEGUARDING_REQUIRED";
inline constexpr char kConditionRaised[] = "CONDITION_RAISED";
inline constexpr char kConditionCleared[] = "CONDITION_CLEARED";
inline constexpr char kAgreementIssued[] = "AGREEMENT_ISSUED";
inline constexpr char kAgreementSignedByRecipient[] =
    "AGREEMENT_SIGNED_BY_RECIPIENT";
inline constexpr char kAgreementExecuted[] = "AGREEMENT_EXECUTED";
inline constexpr char kProjectStarted[] = "PROJECT_STARTED";
inline constexpr char kMonitoringReportAccepted[] =
    "MONITORING_REPORT_ACCEPTED";
inline constexpr char kMonitoringReportOverdue[] = "MONITORING_REPORT_OVERDUE";
inline constexpr char kSignatureDeadlinePassed[] = "SIGNATURE_DEADLINE_PASSED";
inline constexpr char kRoundClosed[] = "ROUND_CLOSED";
inline constexpr char kGrantClosed[] = "GRANT_CLOSED";
inline constexpr char kTerminated[] = "TERMINATED";
inline constexpr char kWithdrawn[] = "WITHDRAWN";

}  // namespace grantflow::facts

#endif  // GRANTFLOW_PLATFORM_FACT_NAMES_H_
