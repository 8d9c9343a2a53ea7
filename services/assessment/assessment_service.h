// gRPC adapter for AssessmentService: authentication, authorisation and
// status translation only; the logic is in assessments.h.
#ifndef GRANTFLOW_SERVICES_ASSESSMENT_ASSESSMENT_SERVICE_H_
#define GRANTFLOW_SERVICES_ASSESSMENT_ASSESSMENT_SERVICE_H_

#include "grantflow/assessment/v1/assessment.grpc.pb.h"
#include "services/assessment/assessments.h"
#include "services/common/call.h"

// The service's RPCs: X(Method, Request, Response).
#define GRANTFLOW_ASSESSMENT_RPCS(X)                                          \
  X(OpenAssessment, pb::OpenAssessmentRequest, pb::Assessment)                \
  X(ApplyCaseOutcome, pb::ApplyCaseOutcomeRequest, pb::Assessment)            \
  X(GetAssessment, pb::GetAssessmentRequest, pb::Assessment)                  \
  X(ListAssessments, pb::ListAssessmentsRequest, pb::ListAssessmentsResponse) \
  X(ScreenApplication, pb::ScreenApplicationRequest, pb::Assessment)          \
  X(AssignAssessors, pb::AssignAssessorsRequest, pb::Assessment)              \
  X(ListMyAssignments, pb::ListMyAssignmentsRequest,                          \
    pb::ListMyAssignmentsResponse)                                            \
  X(DeclareInterest, pb::DeclareInterestRequest, pb::Assessment)              \
  X(GetScoreSheet, pb::GetScoreSheetRequest, pb::ScoreSheet)                  \
  X(SaveScores, pb::SaveScoresRequest, pb::ScoreSheet)                        \
  X(SubmitScores, pb::SubmitScoresRequest, pb::ScoreSheet)                    \
  X(ReopenScores, pb::ReopenScoresRequest, pb::ScoreSheet)                    \
  X(ModerateScore, pb::ModerateScoreRequest, pb::Assessment)                  \
  X(DecideShortlist, pb::DecideShortlistRequest, pb::Assessment)              \
  X(ShortlistRound, pb::ShortlistRoundRequest, pb::ShortlistRoundResponse)    \
  X(ScheduleInterview, pb::ScheduleInterviewRequest, pb::Assessment)          \
  X(GetRanking, pb::GetRankingRequest, pb::Ranking)                           \
  X(RecordRecommendation, pb::RecordRecommendationRequest, pb::Assessment)    \
  X(GetApplicantFeedback, pb::GetApplicantFeedbackRequest,                    \
    pb::ApplicantFeedback)

namespace grantflow::assessment {

// Thread-safe. Does not own `domain`, which must outlive the service.
class AssessmentServiceImpl final : public pb::AssessmentService::Service {
 public:
  AssessmentServiceImpl(Assessments* domain, CallEnv env)
      : domain_(domain), env_(env) {}

  GRANTFLOW_ASSESSMENT_RPCS(GRANTFLOW_DECLARE_RPC)

 private:
  Assessments* domain_;
  CallEnv env_;
};

}  // namespace grantflow::assessment

#endif  // GRANTFLOW_SERVICES_ASSESSMENT_ASSESSMENT_SERVICE_H_
