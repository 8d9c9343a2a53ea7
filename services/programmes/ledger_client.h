// How ProgrammeService reaches the engine's ledger: synchronously, before it
// records a budget line or a new ceiling, because the ledger is the
// authority on what is in use (ARCHITECTURE.md §1).
#ifndef GRANTFLOW_SERVICES_PROGRAMMES_LEDGER_CLIENT_H_
#define GRANTFLOW_SERVICES_PROGRAMMES_LEDGER_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grantflow/workflow/v1/workflow.pb.h"
#include "services/common/peer.h"

namespace grantflow::programmes {

// Implementations are thread-safe.
class LedgerClient {
 public:
  virtual ~LedgerClient() = default;
  // WorkflowService.RegisterBudgetLine: FAILED_PRECONDITION with reason
  // CEILING_BELOW_USE or GENERATION_CONFLICT; UNAVAILABLE when the engine
  // cannot be reached.
  virtual absl::StatusOr<workflow::v1::LedgerLine> Register(
      const workflow::v1::RegisterBudgetLineRequest& req) = 0;
  // WorkflowService.GetLedgerLine: NOT_FOUND when the ledger has no such
  // line.
  virtual absl::StatusOr<workflow::v1::LedgerLine> Get(
      const std::string& line) = 0;
};

// Calls WorkflowService over `workflow` as the host's service identity.
std::unique_ptr<LedgerClient> NewPeerLedgerClient(Peer workflow);

}  // namespace grantflow::programmes

#endif  // GRANTFLOW_SERVICES_PROGRAMMES_LEDGER_CLIENT_H_
