// The engine's case-outcome tasks (a transition's `tasks` in a lifecycle
// definition): the task names the case, its payload is the CaseEvent. The
// modules that receive such tasks read them through this.
#ifndef GRANTFLOW_SERVICES_COMMON_CASE_OUTCOME_H_
#define GRANTFLOW_SERVICES_COMMON_CASE_OUTCOME_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grantflow/outbox/v1/outbox.pb.h"
#include "grantflow/workflow/v1/workflow.pb.h"

namespace grantflow {

struct CaseOutcome {
  std::string id;  // the case's id: also its application's and assessment's
  workflow::v1::CaseEvent event;
};

// INVALID_ARGUMENT (which parks the task) when the payload is not a
// CaseEvent or the case name is not cases/ID.
inline absl::StatusOr<CaseOutcome> ReadCaseOutcome(
    const outbox::v1::Task& task) {
  CaseOutcome out;
  if (!out.event.ParseFromString(task.payload())) {
    return absl::InvalidArgumentError(
        absl::StrCat("task ", task.id(), ": payload is not a CaseEvent"));
  }
  constexpr absl::string_view kCases = "cases/";
  if (!absl::StartsWith(task.case_name(), kCases) ||
      task.case_name().size() == kCases.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("task ", task.id(), ": case_name '", task.case_name(),
                     "' is not cases/ID"));
  }
  out.id = task.case_name().substr(kCases.size());
  return out;
}

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_COMMON_CASE_OUTCOME_H_
