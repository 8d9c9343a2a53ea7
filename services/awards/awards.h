// AwardService's domain: the decision on each recommended application, on
// the service's own store (see proto/grantflow/awards/v1).
//
// DecideAward asks the engine first, on the approver's behalf and with the
// approver's delegated limit from their token: AWARD_APPROVED (reserving the
// amount on the budget lines) or AWARD_DECLINED. The engine's refusal is
// returned as it gave it and nothing is written here. A reserve-list
// decision is this service's alone; the case stays RECOMMENDED.
#ifndef GRANTFLOW_SERVICES_AWARDS_AWARDS_H_
#define GRANTFLOW_SERVICES_AWARDS_AWARDS_H_

#include "absl/status/statusor.h"
#include "grantflow/awards/v1/awards.pb.h"
#include "platform/call.h"
#include "platform/personal_data.h"
#include "platform/state_table.h"
#include "services/common/case_client.h"
#include "storage/store.h"

namespace grantflow::awards {

namespace pb = ::grantflow::awards::v1;

// Thread-safe. Does not own `store` or `cases`; both must outlive it.
// Status codes: INVALID_ARGUMENT (bad fields, named), NOT_FOUND,
// FAILED_PRECONDITION (NOT_RECOMMENDED, ALREADY_DECIDED, or the engine's
// reasons: BUDGET_EXCEEDED, SEPARATION_OF_DUTIES, DELEGATED_LIMIT_EXCEEDED,
// ...), ABORTED (etag), UNAVAILABLE (the engine unreachable).
class Awards {
 public:
  Awards(storage::Store* store, CaseClient* cases);

  absl::StatusOr<pb::Award> DecideAward(const Call& call,
                                        const pb::DecideAwardRequest& req);
  absl::StatusOr<pb::Award> GetAward(const Call& call,
                                     const pb::GetAwardRequest& req);
  absl::StatusOr<pb::ListAwardsResponse> ListAwards(
      const Call& call, const pb::ListAwardsRequest& req);
  // Moves an approved award's publication date (from its decision's day to
  // 3 years ahead). FAILED_PRECONDITION NOT_APPROVED for any other award.
  absl::StatusOr<pb::Award> SetPublicationDate(
      const Call& call, const pb::SetPublicationDateRequest& req);

  // Personal data held about a person or an organisation, for the host's
  // subject access and erasure (platform/personal_data.h). For an
  // organisation: its awards, kept by their case (nothing in them is
  // personal). For a person: the awards naming them.
  absl::StatusOr<std::vector<Holding>> PersonalData(
      const privacy::v1::Subject& subject) const;

 private:
  CaseClient* cases_;
  StateTable<pb::Award> awards_;
};

}  // namespace grantflow::awards

#endif  // GRANTFLOW_SERVICES_AWARDS_AWARDS_H_
