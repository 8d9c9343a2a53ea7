// How ApplicationService reaches the workflow engine synchronously: to ask
// it first when an application is withdrawn (the engine is the authority on
// whether its grant still may be), and to deliver the StartCase task of a
// submission.
#ifndef GRANTFLOW_SERVICES_APPLICATIONS_CASE_CLIENT_H_
#define GRANTFLOW_SERVICES_APPLICATIONS_CASE_CLIENT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "grantflow/workflow/v1/workflow.pb.h"
#include "services/common/peer.h"

namespace grantflow::applications {

// Implementations are thread-safe. Status codes are the engine's (see
// workflows/engine.h), or UNAVAILABLE when it cannot be reached.
class CaseClient {
 public:
  virtual ~CaseClient() = default;
  virtual absl::StatusOr<workflow::v1::Case> StartCase(
      const workflow::v1::StartCaseRequest& req) = 0;
  virtual absl::StatusOr<workflow::v1::Case> RecordFact(
      const workflow::v1::RecordFactRequest& req) = 0;
};

// Calls WorkflowService over `workflow` as the host's service identity.
std::unique_ptr<CaseClient> NewPeerCaseClient(Peer workflow);

}  // namespace grantflow::applications

#endif  // GRANTFLOW_SERVICES_APPLICATIONS_CASE_CLIENT_H_
