// SafeguardingService's domain: one safeguarding check per approved award,
// its DBS records, and who has read them, on the service's own store (see
// proto/grantflow/safeguarding/v1).
//
//  - OpenCheck (the service identity, from the engine's outbox) opens the
//    check: OPEN when the application says the project works with children
//    or adults at risk, NOT_REQUIRED otherwise until MarkRequired (the
//    engine's SAFEGUARDING_REQUIRED, asked first).
//  - Safeguarding officers record its items and DBS records, and conclude it:
//    SAFEGUARDING_PASSED, with conditions (CONDITION_RAISED, cleared only by
//    a safeguarding officer), or SAFEGUARDING_FAILED (the award lapses).
//  - Every read of a check or its DBS records is written to the audit log and
//    the check's access log (R7) before it is answered.
//  - Six months after the outcome (or the case's withdrawal) PurgeDue, run
//    by the host's background pass, deletes the check's DBS records: a timer
//    row written with the outcome, so the purge survives a restart; the purge
//    is audited without the purged data.
// Facts are asked of the engine first; a refused fact writes nothing here.
#ifndef GRANTFLOW_SERVICES_SAFEGUARDING_SAFEGUARDING_H_
#define GRANTFLOW_SERVICES_SAFEGUARDING_SAFEGUARDING_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grantflow/safeguarding/v1/safeguarding.pb.h"
#include "platform/call.h"
#include "platform/personal_data.h"
#include "platform/proto_table.h"
#include "platform/state_table.h"
#include "services/common/applicant_source.h"
#include "services/common/case_client.h"
#include "storage/store.h"

namespace grantflow::safeguarding {

namespace pb = ::grantflow::safeguarding::v1;

// When the DBS records of a check decided at `decided` are deleted: the same
// day six calendar months later (UTC; the month's last day when it is
// shorter).
absl::Time PurgeTimeFor(absl::Time decided);

// Thread-safe. Does not own `store`, `cases` or `applicants`; all must
// outlive it. Status codes: INVALID_ARGUMENT (bad fields, named), NOT_FOUND,
// ALREADY_EXISTS (a DBS record id taken), FAILED_PRECONDITION
// (CHECK_NOT_OPEN, ITEMS_INCOMPLETE, ITEMS_UNSATISFACTORY,
// CONDITION_NOT_OPEN, CASE_CLOSED, or the engine's own reasons), ABORTED
// (etag), UNAVAILABLE (the engine or ApplicationService unreachable).
class Safeguarding {
 public:
  Safeguarding(storage::Store* store, CaseClient* cases,
               ApplicantSource* applicants);

  absl::StatusOr<pb::SafeguardingCheck> OpenCheck(
      const Call& call, const pb::OpenCheckRequest& req);
  absl::StatusOr<pb::SafeguardingCheck> GetCheck(
      const Call& call, const pb::GetCheckRequest& req);
  absl::StatusOr<pb::ListChecksResponse> ListChecks(
      const Call& call, const pb::ListChecksRequest& req);
  absl::StatusOr<pb::MarkRequiredResponse> MarkRequired(
      const Call& call, const pb::MarkRequiredRequest& req);
  absl::StatusOr<pb::SafeguardingCheck> RecordItem(
      const Call& call, const pb::RecordItemRequest& req);
  absl::StatusOr<pb::AddDbsRecordResponse> AddDbsRecord(
      const Call& call, const pb::AddDbsRecordRequest& req);
  absl::StatusOr<pb::ListDbsRecordsResponse> ListDbsRecords(
      const Call& call, const pb::ListDbsRecordsRequest& req);
  absl::StatusOr<pb::SafeguardingCheck> ConcludeCheck(
      const Call& call, const pb::ConcludeCheckRequest& req);
  absl::StatusOr<pb::SafeguardingCheck> ClearCondition(
      const Call& call, const pb::ClearConditionRequest& req);
  absl::StatusOr<pb::SafeguardingCheck> ApplyCaseOutcome(
      const Call& call, const pb::ApplyCaseOutcomeRequest& req);
  absl::StatusOr<pb::ListAccessLogResponse> ListAccessLog(
      const Call& call, const pb::ListAccessLogRequest& req);

  // Deletes the DBS records of every check whose purge is due at `now` (at
  // most `limit` checks). Returns how many checks were purged.
  absl::StatusOr<int> PurgeDue(absl::Time now, int limit = 100);

  // Personal data held about a person or an organisation, for the host's
  // subject access and erasure (platform/personal_data.h). For an
  // organisation: its checks, kept by their case (erasure blanks the notes
  // and the designated lead's name), and their DBS records, kept until the
  // six-month purge after the decision. For a person: the records naming
  // them.
  absl::StatusOr<std::vector<Holding>> PersonalData(
      const privacy::v1::Subject& subject) const;

 private:
  // Adds one access-log row and audit entry per check in `names` for
  // `call` and commits them: reads are answered only once recorded.
  absl::Status RecordReads(const Call& call,
                           const std::vector<std::string>& names);
  // Records `fact` on `c`'s case on the caller's behalf.
  absl::Status Tell(const Call& call, const pb::SafeguardingCheck& c,
                    const std::string& fact, const std::string& reason,
                    const std::string& request_id,
                    workflow::v1::FactPayload payload = {});
  // Sets the outcome's purge time and adds its timer row.
  void SchedulePurge(pb::SafeguardingCheck& c, absl::Time now,
                     storage::WriteSet& w);

  storage::Store* store_;
  CaseClient* cases_;
  ApplicantSource* applicants_;
  StateTable<pb::SafeguardingCheck> checks_;
  ProtoTable<pb::DbsRecord> dbs_;
};

}  // namespace grantflow::safeguarding

#endif  // GRANTFLOW_SERVICES_SAFEGUARDING_SAFEGUARDING_H_
