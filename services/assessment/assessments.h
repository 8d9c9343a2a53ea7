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

#include "absl/status/statusor.h"
#include "grantflow/assessment/v1/assessment.pb.h"
#include "platform/call.h"
#include "platform/locks.h"
#include "platform/proto_table.h"
#include "services/common/case_client.h"
#include "services/common/round_source.h"
#include "storage/store.h"

namespace grantflow::assessment {

namespace pb = ::grantflow::assessment::v1;

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

 private:
  absl::StatusOr<Versioned<pb::Assessment>> Load(const std::string& name,
                                                 const std::string& field);
  // Writes `a` over `version` with its round and queue index rows moved
  // from `before`'s, and its audit entry.
  void Write(storage::WriteSet& w, const Call& call, const pb::Assessment& a,
             const pb::Assessment* before, uint64_t version,
             const std::string& request_id, const std::string& what,
             const std::string& why);
  // Records `fact` on the case for the caller; OK when the case is already
  // past `fact` in the way `fact` leads (`already`).
  absl::Status RecordFact(const Call& call, const pb::Assessment& a,
                          const std::string& fact, const std::string& reason,
                          const std::string& request_id);
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
