// The task kinds services hand each other through their outboxes, named once.
// A kind is "<receiving service>.<what it does>"; the receiving service's
// module declares how a task of that kind reaches it (services/*/module.cc),
// and the host routes every sender's tasks from those declarations. Part of
// the stored data: a name never changes once published.
#ifndef GRANTFLOW_PLATFORM_TASK_KINDS_H_
#define GRANTFLOW_PLATFORM_TASK_KINDS_H_

namespace grantflow::tasks {

// ApplicationService -> engine: start the case of a submitted application.
// Payload: grantflow.workflow.v1.StartCaseRequest.
inline constexpr char kStartCase[] = "workflow.start_case";

// Engine -> ApplicationService: a case's outcome (a withdrawal recorded at
// the engine) reaches its application. Named in lifecycle definitions'
// transitions; payload: the grantflow.workflow.v1.CaseEvent.
inline constexpr char kApplyCaseOutcome[] = "applications.apply_case_outcome";

// ApplicationService -> AssessmentService: a submitted bid opens for
// screening. Payload: grantflow.assessment.v1.OpenAssessmentRequest.
inline constexpr char kOpenAssessment[] = "assessment.open";

// Engine -> AssessmentService: a case withdrawn while it is assessed. Named
// in lifecycle definitions' transitions; payload: the CaseEvent.
inline constexpr char kAssessmentCaseOutcome[] =
    "assessment.apply_case_outcome";

// Engine -> DueDiligenceService: an approved award opens its check. Named
// in lifecycle definitions' transitions; payload: the CaseEvent.
inline constexpr char kOpenDueDiligence[] = "duediligence.open";

// Engine -> DueDiligenceService: a case withdrawn while its checks are open.
// Named in lifecycle definitions' transitions; payload: the CaseEvent.
inline constexpr char kDueDiligenceCaseOutcome[] =
    "duediligence.apply_case_outcome";

// Engine -> SafeguardingService: an approved award opens its safeguarding
// check. Named in lifecycle definitions' transitions; payload: the
// CaseEvent.
inline constexpr char kOpenSafeguarding[] = "safeguarding.open";

// Engine -> SafeguardingService: a case withdrawn while its checks are open.
// Named in lifecycle definitions' transitions; payload: the CaseEvent.
inline constexpr char kSafeguardingCaseOutcome[] =
    "safeguarding.apply_case_outcome";

// Engine -> AgreementService: a case lapsed or withdrawn before its
// agreement was executed. Named in lifecycle definitions' transitions;
// payload: the CaseEvent.
inline constexpr char kAgreementCaseOutcome[] = "agreements.apply_case_outcome";

}  // namespace grantflow::tasks

#endif  // GRANTFLOW_PLATFORM_TASK_KINDS_H_
