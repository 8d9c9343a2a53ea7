// Assessment arithmetic, in integers: weighted scores of score sheets and the
// automatic eligibility checks of a bid against a round's rules. Pure
// functions; thread-safe.
#ifndef GRANTFLOW_SERVICES_ASSESSMENT_SCORING_H_
#define GRANTFLOW_SERVICES_ASSESSMENT_SCORING_H_

#include <cstdint>
#include <vector>

#include "google/protobuf/repeated_ptr_field.h"
#include "grantflow/assessment/v1/assessment.pb.h"
#include "grantflow/programmes/v1/programmes.pb.h"
#include "platform/errors.h"

namespace grantflow::assessment {

namespace pb = ::grantflow::assessment::v1;
using Criteria = google::protobuf::RepeatedPtrField<programmes::v1::Criterion>;

inline constexpr int32_t kFullMarksBp = 10'000;  // 100.00%

// Checks `scores` against `criteria`: each criterion named once and known,
// scores within 0..max_score, comments within 4,000 bytes and present when
// `comments_required` (a criterion marked not applicable needs a comment
// too: why it does not apply). With `complete`, every criterion must be
// scored or marked not applicable. Violations name
// `field`[i].score/.criterion/.comment.
void CheckScores(
    const google::protobuf::RepeatedPtrField<pb::CriterionScore>& scores,
    const Criteria& criteria, bool comments_required, bool complete,
    const std::string& field, errors::Violations* v);

// Σ wᵢ·sᵢ / Σ wᵢ·maxᵢ over the scored criteria (not-applicable ones left out
// of both), in basis points rounded half up; -1 when no criterion is scored.
// Expects scores that passed CheckScores; unknown criteria are ignored.
int32_t WeightedScoreBp(
    const google::protobuf::RepeatedPtrField<pb::CriterionScore>& scores,
    const Criteria& criteria);

// The mean of `scores_bp`, rounded half up; -1 for none.
int32_t MeanBp(const std::vector<int32_t>& scores_bp);

// The automatic eligibility checks of `bid` against `round`'s rules, in a
// fixed order: legal_form, boroughs, amount, annual_income.
std::vector<pb::EligibilityCheck> CheckEligibility(
    const pb::Bid& bid, const programmes::v1::Round& round);

}  // namespace grantflow::assessment

#endif  // GRANTFLOW_SERVICES_ASSESSMENT_SCORING_H_
