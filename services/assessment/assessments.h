// AssessmentService's domain: one assessment per submitted application, on
// the service's own store.
//
//  - OpenAssessment (the service identity, from ApplicationService's outbox)
//    records the bid as submitted, without equality answers (R7), and the
//    automatic eligibility checks against the round's rules.
//  - ScreenApplication (grants officers) asks the engine first: the case
//    moves to IN_ASSESSMENT (ELIGIBLE) or INELIGIBLE, recorded on the
//    officer's behalf; a refused fact writes nothing and is returned as the
//    engine gave it (FAILED_PRECONDITION INVALID_TRANSITION with the case's
//    state). A case the engine has not started yet is UNAVAILABLE,
//    CASE_NOT_STARTED.
//  - AssignAssessors puts assessors on a bid, by name or balanced by open
//    workload; each has a due date and a queue (ListMyAssignments).
//  - DeclareInterest (rule R6): until an assessor declares no conflict they
//    see only the bid's title and organisation; after declaring a conflict
//    they see and score nothing more of it, and the bid needs a replacement.
//  - Score sheets: saved as drafts, submitted once; the weighted score is
//    scoring.h's.
// Every change is one atomic, audited, idempotent write; a refused call
// writes nothing.
#ifndef GRANTFLOW_SERVICES_ASSESSMENT_ASSESSMENTS_H_
#define GRANTFLOW_SERVICES_ASSESSMENT_ASSESSMENTS_H_

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "grantflow/assessment/v1/assessment.pb.h"
#include "platform/call.h"
#include "platform/errors.h"
#include "platform/locks.h"
#include "platform/personal_data.h"
#include "platform/proto_table.h"
#include "services/common/case_client.h"
#include "services/common/round_source.h"
#include "storage/store.h"

namespace grantflow::assessment {

namespace pb = ::grantflow::assessment::v1;
namespace ppb = ::grantflow::programmes::v1;

// Thread-safe. Does not own `store`, `rounds` or `cases`; all must outlive
// it. Status codes: INVALID_ARGUMENT (bad fields, named), NOT_FOUND,
// PERMISSION_DENIED (NOT_ASSIGNED, CONFLICT_DECLARED), FAILED_PRECONDITION
// (ALREADY_SCREENED, NOT_IN_ASSESSMENT, NOT_DECLARED, ALREADY_DECLARED,
// SCORES_SUBMITTED, SCORES_INCOMPLETE, or the engine's own reasons),
// ABORTED (etag), UNAVAILABLE (ProgrammeService or the engine unreachable,
// CASE_NOT_STARTED).
class Assessments {
 public:
  Assessments(storage::Store* store, RoundSource* rounds, CaseClient* cases);

  absl::StatusOr<pb::Assessment> OpenAssessment(
      const Call& call, const pb::OpenAssessmentRequest& req);
  absl::StatusOr<pb::Assessment> ApplyCaseOutcome(
      const Call& call, const pb::ApplyCaseOutcomeRequest& req);
  // Officers see everything; an assessor sees their own assignment and, once
  // they have declared no conflict, the whole bid.
  absl::StatusOr<pb::Assessment> GetAssessment(
      const Call& call, const pb::GetAssessmentRequest& req);
  absl::StatusOr<pb::ListAssessmentsResponse> ListAssessments(
      const Call& call, const pb::ListAssessmentsRequest& req);
  absl::StatusOr<pb::Assessment> ScreenApplication(
      const Call& call, const pb::ScreenApplicationRequest& req);
  absl::StatusOr<pb::Assessment> AssignAssessors(
      const Call& call, const pb::AssignAssessorsRequest& req);
  absl::StatusOr<pb::ListMyAssignmentsResponse> ListMyAssignments(
      const Call& call, const pb::ListMyAssignmentsRequest& req);
  absl::StatusOr<pb::Assessment> DeclareInterest(
      const Call& call, const pb::DeclareInterestRequest& req);
  absl::StatusOr<pb::ScoreSheet> GetScoreSheet(
      const Call& call, const pb::GetScoreSheetRequest& req);
  absl::StatusOr<pb::ScoreSheet> SaveScores(const Call& call,
                                            const pb::SaveScoresRequest& req);
  absl::StatusOr<pb::ScoreSheet> SubmitScores(
      const Call& call, const pb::SubmitScoresRequest& req);
  // A moderator returns a submitted sheet to its assessor, before the bid is
  // shortlisted (or, for an interview sheet, recommended); the stage's score
  // is unsettled until it is submitted again.
  absl::StatusOr<pb::ScoreSheet> ReopenScores(
      const Call& call, const pb::ReopenScoresRequest& req);
  // MODERATION -> ASSESSED with the agreed written score.
  absl::StatusOr<pb::Assessment> ModerateScore(
      const Call& call, const pb::ModerateScoreRequest& req);
  // ASSESSED -> SHORTLISTED or NOT_SHORTLISTED (rounds with interviews),
  // asking the engine first.
  absl::StatusOr<pb::Assessment> DecideShortlist(
      const Call& call, const pb::DecideShortlistRequest& req);
  // A whole round's shortlist from its written scores (see the proto).
  absl::StatusOr<pb::ShortlistRoundResponse> ShortlistRound(
      const Call& call, const pb::ShortlistRoundRequest& req);
  // SHORTLISTED -> INTERVIEW, with the panel assigned at the INTERVIEW
  // stage; asks the engine first.
  absl::StatusOr<pb::Assessment> ScheduleInterview(
      const Call& call, const pb::ScheduleInterviewRequest& req);
  // Every bid of a round ranked by its stored scores (see the proto), with
  // running totals of requested amounts against what the round's budget
  // lines still have at the engine's ledger.
  absl::StatusOr<pb::Ranking> GetRanking(const Call& call,
                                         const pb::GetRankingRequest& req);
  // Recommend (-> RECOMMENDED at the engine), reserve, or not recommend
  // (-> DECLINED), once the bid's scores are settled.
  absl::StatusOr<pb::Assessment> RecordRecommendation(
      const Call& call, const pb::RecordRecommendationRequest& req);
  // What the applicant's organisation may read: outcomes and feedback.
  absl::StatusOr<pb::ApplicantFeedback> GetApplicantFeedback(
      const Call& call, const pb::GetApplicantFeedbackRequest& req);

  // Personal data held about a person or an organisation, for the host's
  // subject access and erasure (platform/personal_data.h). For an
  // organisation: its bids as assessors read them, kept by their case;
  // erasure blanks what the bid says. For a person: the assessments and
  // score sheets naming them (an assessor's scores and declarations).
  absl::StatusOr<std::vector<Holding>> PersonalData(
      const privacy::v1::Subject& subject) const;

 private:
  // The assessment `name` (`field` names it in errors), for `call`:
  // PERMISSION_DENIED ROLE_NOT_IN_FUND outside the caller's funds.
  absl::StatusOr<Versioned<pb::Assessment>> Load(const Call& call,
                                                 const std::string& name,
                                                 const std::string& field);
  // Writes `a` over `version` with its round and queue index rows moved
  // from `before`'s, and its audit entry.
  void Write(storage::WriteSet& w, const Call& call, const pb::Assessment& a,
             const pb::Assessment* before, uint64_t version,
             const std::string& request_id, const std::string& what,
             const std::string& why);
  // Records `fact` on the case on the caller's behalf. OK, too, when the
  // engine refuses it because the case is already in `already` (the state
  // `fact` leads to, reached another way). UNAVAILABLE CASE_NOT_STARTED when
  // the case has not reached the engine yet.
  absl::Status RecordFact(const Call& call, const pb::Assessment& a,
                          const std::string& fact, const std::string& reason,
                          const std::string& request_id,
                          const std::string& already = "",
                          workflow::v1::FactPayload payload = {});
  // Runs `change` (which may ask the engine, and returns what it did for
  // the audit log) on the assessment `name` under its lock, once per
  // request id, and writes the result.
  absl::StatusOr<pb::Assessment> Change(
      const Call& call, const google::protobuf::Message& req,
      const std::string& name, const std::string& request_id,
      const std::string& etag, const std::string& why,
      absl::FunctionRef<absl::StatusOr<std::string>(
          pb::Assessment&, const ppb::Round&, storage::WriteSet&)>
          change);
  // Runs `change` (which fills the sheet and returns what it did for the
  // audit log) on the caller's own sheet `sheet_name`: the caller is its
  // assessor, assigned, declared no conflict (R6), the stage open, the sheet
  // not submitted; writes the sheet, the assignment's sheet state and, once
  // submitted, the settled stage. `v` holds the request's own violations.
  absl::StatusOr<pb::ScoreSheet> ChangeOwnSheet(
      const Call& call, const google::protobuf::Message& req,
      const std::string& sheet_name, const std::string& request_id,
      const std::string& etag, errors::Violations v,
      absl::FunctionRef<absl::StatusOr<std::string>(
          pb::Assessment&, const ppb::Round&, pb::ScoreSheet&, bool exists)>
          change);
  // After a sheet of `stage` is submitted: once every assessor the stage
  // needs has submitted, settles the stage's score (and, for written scores
  // that differ by more than the round's threshold, sends the bid to
  // moderation, at the engine too for definitions with that state).
  absl::Status Settle(const Call& call, pb::Assessment& a,
                      const ppb::Round& round, pb::Stage stage,
                      const pb::ScoreSheet& submitted);
  // One page of `round`'s index after `start_after`, with the assessments
  // it names read in one batch (DATA_LOSS when one is missing).
  struct RoundPage {
    storage::ScanResult scan;
    std::vector<pb::Assessment> items;
  };
  absl::StatusOr<RoundPage> ReadRoundPage(const std::string& round,
                                          const std::string& start_after,
                                          int limit);
  // Every assessment of `round`, in name order.
  absl::StatusOr<std::vector<pb::Assessment>> RoundAssessments(
      const std::string& round);
  // The open (not recused, not submitted) assignments of `assessor`.
  absl::StatusOr<int> OpenWorkload(const std::string& assessor);

  storage::Store* store_;
  RoundSource* rounds_;
  CaseClient* cases_;
  ProtoTable<pb::Assessment> assessments_;
  ProtoTable<pb::ScoreSheet> sheets_;
  LockTable locks_;
};

}  // namespace grantflow::assessment

#endif  // GRANTFLOW_SERVICES_ASSESSMENT_ASSESSMENTS_H_
