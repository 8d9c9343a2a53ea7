// The engine's case-outcome tasks (a transition's `tasks` in a lifecycle
// definition): the task names the case, its payload is the CaseEvent. The
// modules that receive such tasks read them through this.
#ifndef GRANTFLOW_SERVICES_COMMON_CASE_OUTCOME_H_
#define GRANTFLOW_SERVICES_COMMON_CASE_OUTCOME_H_

#include <string>
#include <type_traits>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grantflow/outbox/v1/outbox.pb.h"
#include "grantflow/workflow/v1/workflow.pb.h"
#include "platform/status_macros.h"
#include "services/common/peer.h"

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

// Delivers a case-outcome task to a service's ApplyCaseOutcome on `peer`:
// the request names `collection`/{case id}, the case's new state and the
// event's seq, with a request id unique to the event (so a redelivery changes
// nothing). A service with no record of the case (NOT_FOUND: the case ended
// before it had one) counts as done.
template <typename Service, typename Req, typename Resp>
absl::Status DeliverCaseOutcome(
    const Peer& peer, const outbox::v1::Task& task,
    grpc::Status (Service::Stub::*method)(grpc::ClientContext*, const Req&,
                                          Resp*),
    const std::string& collection,
    std::type_identity_t<void (*)(Req&, std::string)> set_name) {
  ASSIGN_OR_RETURN(CaseOutcome outcome, ReadCaseOutcome(task));
  Req req;
  set_name(req, absl::StrCat(collection, "/", outcome.id));
  req.set_state(outcome.event.to_state());
  req.set_event_seq(outcome.event.seq());
  req.set_request_id(
      absl::StrCat("outcome:", outcome.id, ":", outcome.event.seq()));
  absl::Status s = CallPeer<Service>(peer, method, req).status();
  if (absl::IsNotFound(s)) return absl::OkStatus();
  return s;
}

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_COMMON_CASE_OUTCOME_H_
