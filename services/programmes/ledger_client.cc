#include "services/programmes/ledger_client.h"

#include "grantflow/workflow/v1/workflow.grpc.pb.h"

namespace grantflow::programmes {
namespace {

namespace wpb = ::grantflow::workflow::v1;

class PeerLedgerClient final : public LedgerClient {
 public:
  explicit PeerLedgerClient(Peer workflow) : workflow_(std::move(workflow)) {}

  absl::StatusOr<wpb::LedgerLine> Register(
      const wpb::RegisterBudgetLineRequest& req) override {
    return CallPeer<wpb::WorkflowService>(
        workflow_, &wpb::WorkflowService::Stub::RegisterBudgetLine, req);
  }

  absl::StatusOr<wpb::LedgerLine> Get(const std::string& line) override {
    wpb::GetLedgerLineRequest req;
    req.set_name(line);
    return CallPeer<wpb::WorkflowService>(
        workflow_, &wpb::WorkflowService::Stub::GetLedgerLine, req);
  }

 private:
  Peer workflow_;
};

}  // namespace

std::unique_ptr<LedgerClient> NewPeerLedgerClient(Peer workflow) {
  return std::make_unique<PeerLedgerClient>(std::move(workflow));
}

}  // namespace grantflow::programmes
