// The reasons grantflow gives, in google.rpc.ErrorInfo, when it refuses a
// call (FAILED_PRECONDITION unless noted). They are part of the API:
// clients branch on them, so a value never changes once published. Code
// names them through these constants; tests spell the wire values out, so a
// changed constant fails them.
#ifndef GRANTFLOW_PLATFORM_REASONS_H_
#define GRANTFLOW_PLATFORM_REASONS_H_

namespace grantflow::reasons {

// Authorisation (PERMISSION_DENIED). ROLE_NOT_PERMITTED: none of the
// caller's roles is in the method's row of the authorisation table.
// ROLE_NOT_IN_FUND: the caller holds such a role, but not for the fund of
// the resource the call is about (roles scoped to funds).
inline constexpr char kRoleNotPermitted[] = "ROLE_NOT_PERMITTED";
inline constexpr char kRoleNotInFund[] = "ROLE_NOT_IN_FUND";

// Submissions (ApplicationService).
inline constexpr char kRoundClosed[] = "ROUND_CLOSED";
inline constexpr char kRoundNotOpen[] = "ROUND_NOT_OPEN";
inline constexpr char kApplicationNotDraft[] = "APPLICATION_NOT_DRAFT";
inline constexpr char kApplicationIncomplete[] = "APPLICATION_INCOMPLETE";
inline constexpr char kApplicationWithdrawn[] = "APPLICATION_WITHDRAWN";
inline constexpr char kWithdrawalNotAllowed[] = "WITHDRAWAL_NOT_ALLOWED";

// Any resource with an etag (ABORTED).
inline constexpr char kEtagMismatch[] = "ETAG_MISMATCH";

// The engine: lifecycle and size.
inline constexpr char kInvalidTransition[] = "INVALID_TRANSITION";
inline constexpr char kRoundUnknown[] = "ROUND_UNKNOWN";
inline constexpr char kCaseClosed[] = "CASE_CLOSED";
inline constexpr char kCaseLimitReached[] = "CASE_LIMIT_REACHED";
inline constexpr char kCaseTooLarge[] = "CASE_TOO_LARGE";

// The ledger (R3).
inline constexpr char kBudgetExceeded[] = "BUDGET_EXCEEDED";
inline constexpr char kBudgetLineUnknown[] = "BUDGET_LINE_UNKNOWN";
inline constexpr char kCeilingBelowUse[] = "CEILING_BELOW_USE";
inline constexpr char kGenerationConflict[] = "GENERATION_CONFLICT";
inline constexpr char kNoAward[] = "NO_AWARD";

// Separation of duties and delegated authority (R5).
inline constexpr char kSeparationOfDuties[] = "SEPARATION_OF_DUTIES";
inline constexpr char kDelegatedLimitExceeded[] = "DELEGATED_LIMIT_EXCEEDED";

// Checks and conditions (R4).
inline constexpr char kChecksIncomplete[] = "CHECKS_INCOMPLETE";
inline constexpr char kConditionsOpen[] = "CONDITIONS_OPEN";
inline constexpr char kConditionNotOpen[] = "CONDITION_NOT_OPEN";

// The funding agreement (R1). The last two come with PERMISSION_DENIED.
inline constexpr char kDocumentMismatch[] = "DOCUMENT_MISMATCH";
inline constexpr char kAgreementNotSigned[] = "AGREEMENT_NOT_SIGNED";
inline constexpr char kNothingToSign[] = "NOTHING_TO_SIGN";
inline constexpr char kNotRecipientSignatory[] = "NOT_RECIPIENT_SIGNATORY";
inline constexpr char kNotFunderStaff[] = "NOT_FUNDER_STAFF";

// Payments (R1, R2).
inline constexpr char kAgreementNotExecuted[] = "AGREEMENT_NOT_EXECUTED";
inline constexpr char kExceedsAward[] = "EXCEEDS_AWARD";
inline constexpr char kReportOutstanding[] = "REPORT_OUTSTANDING";
inline constexpr char kPaymentNotScheduled[] = "PAYMENT_NOT_SCHEDULED";
inline constexpr char kExceedsInstalment[] = "EXCEEDS_INSTALMENT";
inline constexpr char kPaymentNotPending[] = "PAYMENT_NOT_PENDING";
inline constexpr char kPaymentsPending[] = "PAYMENTS_PENDING";

// Assessment (AssessmentService). NOT_ASSIGNED and CONFLICT_DECLARED come
// with PERMISSION_DENIED (rule R6).
inline constexpr char kNotAssigned[] = "NOT_ASSIGNED";
inline constexpr char kConflictDeclared[] = "CONFLICT_DECLARED";
inline constexpr char kNotDeclared[] = "NOT_DECLARED";
inline constexpr char kAlreadyDeclared[] = "ALREADY_DECLARED";
inline constexpr char kAlreadyScreened[] = "ALREADY_SCREENED";
inline constexpr char kNotInAssessment[] = "NOT_IN_ASSESSMENT";
inline constexpr char kScoresSubmitted[] = "SCORES_SUBMITTED";
inline constexpr char kScoresIncomplete[] = "SCORES_INCOMPLETE";
inline constexpr char kCaseNotStarted[] = "CASE_NOT_STARTED";
inline constexpr char kScoresPending[] = "SCORES_PENDING";
// PERMISSION_DENIED: a person tried to record at the engine a fact that a
// service records on their behalf (assessment stages, awards, checks, the
// agreement, monitoring and closure).
inline constexpr char kRecordedByService[] = "RECORDED_BY_SERVICE";
// PERMISSION_DENIED: a service recorded a fact for a person who does not
// hold the role the fact needs of whoever it is recorded for (an agreement
// issued for someone who is not a grants officer).
inline constexpr char kPersonLacksRole[] = "PERSON_LACKS_ROLE";

// Due diligence (DueDiligenceService).
inline constexpr char kCheckNotOpen[] = "CHECK_NOT_OPEN";
inline constexpr char kCheckNotReferred[] = "CHECK_NOT_REFERRED";
inline constexpr char kItemsIncomplete[] = "ITEMS_INCOMPLETE";
inline constexpr char kItemsUnsatisfactory[] = "ITEMS_UNSATISFACTORY";
inline constexpr char kDuplicatesChanged[] = "DUPLICATES_CHANGED";

// Awards (AwardService).
inline constexpr char kNotRecommended[] = "NOT_RECOMMENDED";
// Only an approved award has a publication date.
inline constexpr char kNotApproved[] = "NOT_APPROVED";
inline constexpr char kAlreadyDecided[] = "ALREADY_DECIDED";

// Reports and open data (ReportService).
inline constexpr char kNoFunderOrgId[] = "NO_FUNDER_ORG_ID";
inline constexpr char kNothingToPublish[] = "NOTHING_TO_PUBLISH";

// Funding agreements and monitoring (AgreementService).
inline constexpr char kTemplateMissing[] = "TEMPLATE_MISSING";
inline constexpr char kNotAwarded[] = "NOT_AWARDED";
inline constexpr char kAgreementEnded[] = "AGREEMENT_ENDED";
inline constexpr char kNoDraft[] = "NO_DRAFT";
inline constexpr char kAlreadyDrafted[] = "ALREADY_DRAFTED";
inline constexpr char kVersionNotIssued[] = "VERSION_NOT_ISSUED";
inline constexpr char kVersionNotSigned[] = "VERSION_NOT_SIGNED";
inline constexpr char kReportNotDue[] = "REPORT_NOT_DUE";
inline constexpr char kReportNotSubmitted[] = "REPORT_NOT_SUBMITTED";
inline constexpr char kBankDetailsUnverified[] = "BANK_DETAILS_UNVERIFIED";
inline constexpr char kNothingToVerify[] = "NOTHING_TO_VERIFY";
inline constexpr char kInstalmentNotDue[] = "INSTALMENT_NOT_DUE";
inline constexpr char kInstalmentRequested[] = "INSTALMENT_REQUESTED";
inline constexpr char kPaymentState[] = "PAYMENT_STATE";
inline constexpr char kNothingToRelease[] = "NOTHING_TO_RELEASE";

}  // namespace grantflow::reasons

#endif  // GRANTFLOW_PLATFORM_REASONS_H_
