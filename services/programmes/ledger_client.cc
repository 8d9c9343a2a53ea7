#include "services/programmes/ledger_client.h"

#include "grantflow/workflow/v1/workflow.grpc.pb.h"
#include "services/common/grpc_status.h"

namespace grantflow::programmes {
namespace {

namespace wpb = ::grantflow::workflow::v1;

class PeerLedgerClient final : public LedgerClient {
 public:
  explicit PeerLedgerClient(Peer workflow) : workflow_(std::move(workflow)) {}

  absl::StatusOr<wpb::LedgerLine> Register(
      const wpb::RegisterBudgetLineRequest& req) override {
    auto ctx = workflow_.Context();
    if (!ctx.ok()) return ctx.status();
    wpb::LedgerLine out;
    grpc::Status s = wpb::WorkflowService::NewStub(workflow_.channel())
                         ->RegisterBudgetLine(ctx->get(), req, &out);
    if (!s.ok()) return FromGrpcStatus(s);
    return out;
  }

  absl::StatusOr<wpb::LedgerLine> Get(const std::string& line) override {
    auto ctx = workflow_.Context();
    if (!ctx.ok()) return ctx.status();
    wpb::GetLedgerLineRequest req;
    req.set_name(line);
    wpb::LedgerLine out;
    grpc::Status s = wpb::WorkflowService::NewStub(workflow_.channel())
                         ->GetLedgerLine(ctx->get(), req, &out);
    if (!s.ok()) return FromGrpcStatus(s);
    return out;
  }

 private:
  Peer workflow_;
};

}  // namespace

std::unique_ptr<LedgerClient> NewPeerLedgerClient(Peer workflow) {
  return std::make_unique<PeerLedgerClient>(std::move(workflow));
}

}  // namespace grantflow::programmes
