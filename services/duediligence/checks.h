// DueDiligenceService's domain: one check per approved award, on the
// service's own store (see proto/grantflow/duediligence/v1 for the tiers,
// items and outcomes).
//
//  - OpenCheck (the service identity, from the engine's outbox when an award
//    is approved) reads the case, its application and organisation, picks
//    the tier from the policy, searches for overlapping awards, tells the
//    engine CHECKS_STARTED. When an earlier pass of at least this tier is
//    still valid for the organisation, its items are relied on: with no
//    overlapping award the check passes at once (DUE_DILIGENCE_PASSED);
//    with one, only the duplicate-funding review is left to do.
//  - RecordItem: officers record each item of the tier with its evidence.
//  - ConcludeCheck: passed (DUE_DILIGENCE_PASSED), passed with conditions
//    (CONDITION_RAISED for each, then DUE_DILIGENCE_PASSED), or failed, which
//    refers the check to an approver: DecideReferral upholds the failure
//    (DUE_DILIGENCE_FAILED: the award lapses, its reservation voided) or
//    overrides it to passed; never the check's own reviewer (R5).
//  - ClearCondition: only a holder of the condition's clear_role.
// Facts are asked of the engine first, on the person's behalf; a refused
// fact writes nothing here. Every change is one atomic, audited, idempotent
// write; a refused call writes nothing.
#ifndef GRANTFLOW_SERVICES_DUEDILIGENCE_CHECKS_H_
#define GRANTFLOW_SERVICES_DUEDILIGENCE_CHECKS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "grantflow/duediligence/v1/duediligence.pb.h"
#include "platform/call.h"
#include "platform/locks.h"
#include "platform/personal_data.h"
#include "platform/proto_table.h"
#include "platform/state_table.h"
#include "services/common/applicant_source.h"
#include "services/common/case_client.h"
#include "storage/store.h"

namespace grantflow::duediligence {

namespace pb = ::grantflow::duediligence::v1;

// The policy before anyone changes it: STANDARD from £10,000, ENHANCED from
// £100,000, a pass relied on for 365 days.
pb::Policy DefaultPolicy();

// The tier an award of `awarded_pence` gets under `policy`.
pb::Tier TierFor(const pb::Policy& policy, int64_t awarded_pence);

// The items of `tier`, in order, with evidence_required set.
std::vector<pb::Item> ItemsOf(pb::Tier tier);

// Thread-safe. Does not own `store`, `cases` or `applicants`; all must
// outlive it. Status codes: INVALID_ARGUMENT (bad fields, named), NOT_FOUND,
// PERMISSION_DENIED (a condition another role clears), FAILED_PRECONDITION
// (CHECK_NOT_OPEN, CHECK_NOT_REFERRED, ITEMS_INCOMPLETE,
// ITEMS_UNSATISFACTORY, DUPLICATES_CHANGED, SEPARATION_OF_DUTIES,
// DELEGATED_LIMIT_EXCEEDED, CONDITION_NOT_OPEN, CASE_CLOSED, or the
// engine's own reasons), ABORTED (etag), UNAVAILABLE (the engine or
// ApplicationService unreachable; CASE_NOT_STARTED).
class Checks {
 public:
  Checks(storage::Store* store, CaseClient* cases, ApplicantSource* applicants);

  absl::StatusOr<pb::DueDiligenceCheck> OpenCheck(
      const Call& call, const pb::OpenCheckRequest& req);
  absl::StatusOr<pb::DueDiligenceCheck> GetCheck(
      const Call& call, const pb::GetCheckRequest& req);
  absl::StatusOr<pb::ListChecksResponse> ListChecks(
      const Call& call, const pb::ListChecksRequest& req);
  absl::StatusOr<pb::DueDiligenceCheck> RecordItem(
      const Call& call, const pb::RecordItemRequest& req);
  absl::StatusOr<pb::DueDiligenceCheck> RunDuplicateCheck(
      const Call& call, const pb::RunDuplicateCheckRequest& req);
  absl::StatusOr<pb::DueDiligenceCheck> ConcludeCheck(
      const Call& call, const pb::ConcludeCheckRequest& req);
  absl::StatusOr<pb::DueDiligenceCheck> DecideReferral(
      const Call& call, const pb::DecideReferralRequest& req);
  absl::StatusOr<pb::DueDiligenceCheck> ClearCondition(
      const Call& call, const pb::ClearConditionRequest& req);
  // A case withdrawn while its check is open or referred closes the check.
  absl::StatusOr<pb::DueDiligenceCheck> ApplyCaseOutcome(
      const Call& call, const pb::ApplyCaseOutcomeRequest& req);
  absl::StatusOr<pb::Policy> GetPolicy(const Call& call,
                                       const pb::GetPolicyRequest& req);
  absl::StatusOr<pb::Policy> UpdatePolicy(const Call& call,
                                          const pb::UpdatePolicyRequest& req);

  // Personal data held about a person or an organisation, for the host's
  // subject access and erasure (platform/personal_data.h). For an
  // organisation: its checks, kept by their case; erasure blanks the
  // officers' notes. For a person: the checks naming them.
  absl::StatusOr<std::vector<Holding>> PersonalData(
      const privacy::v1::Subject& subject) const;

 private:
  // Runs `change` (which may ask the engine, and returns what it did for
  // the audit log) on the check `name` under its lock, once per request id,
  // and writes the result.
  absl::StatusOr<pb::DueDiligenceCheck> Change(
      const Call& call, const google::protobuf::Message& req,
      const std::string& name, const std::string& request_id,
      const std::string& etag, const std::string& why,
      absl::FunctionRef<absl::StatusOr<std::string>(pb::DueDiligenceCheck&)>
          change);
  // Other live awards to `c`'s organisation whose periods overlap `c`'s.
  absl::StatusOr<std::vector<pb::DuplicateMatch>> FindDuplicates(
      const pb::DueDiligenceCheck& c);
  // A passed check of `c`'s organisation, of at least `c`'s tier, valid at
  // `now`; nullopt when there is none.
  absl::StatusOr<std::optional<pb::DueDiligenceCheck>> ValidEarlierPass(
      const pb::DueDiligenceCheck& c, absl::Time now);
  absl::StatusOr<pb::Policy> LoadPolicy();
  // Records `fact` on `c`'s case on the caller's behalf.
  absl::Status Tell(const Call& call, const pb::DueDiligenceCheck& c,
                    const std::string& fact, const std::string& reason,
                    const std::string& request_id,
                    workflow::v1::FactPayload payload = {});

  storage::Store* store_;
  CaseClient* cases_;
  ApplicantSource* applicants_;
  StateTable<pb::DueDiligenceCheck> checks_;
  ProtoTable<pb::Policy> policy_;
  LockTable policy_lock_;
};

}  // namespace grantflow::duediligence

#endif  // GRANTFLOW_SERVICES_DUEDILIGENCE_CHECKS_H_
