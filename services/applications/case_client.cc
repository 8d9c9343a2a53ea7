#include "services/applications/case_client.h"

#include "grantflow/workflow/v1/workflow.grpc.pb.h"
#include "services/common/grpc_status.h"

namespace grantflow::applications {
namespace {

namespace wpb = ::grantflow::workflow::v1;

class PeerCaseClient final : public CaseClient {
 public:
  explicit PeerCaseClient(Peer workflow) : workflow_(std::move(workflow)) {}

  absl::StatusOr<wpb::Case> StartCase(
      const wpb::StartCaseRequest& req) override {
    auto ctx = workflow_.Context();
    if (!ctx.ok()) return ctx.status();
    wpb::Case out;
    grpc::Status s = wpb::WorkflowService::NewStub(workflow_.channel())
                         ->StartCase(ctx->get(), req, &out);
    if (!s.ok()) return FromGrpcStatus(s);
    return out;
  }

  absl::StatusOr<wpb::Case> RecordFact(
      const wpb::RecordFactRequest& req) override {
    auto ctx = workflow_.Context();
    if (!ctx.ok()) return ctx.status();
    wpb::Case out;
    grpc::Status s = wpb::WorkflowService::NewStub(workflow_.channel())
                         ->RecordFact(ctx->get(), req, &out);
    if (!s.ok()) return FromGrpcStatus(s);
    return out;
  }

 private:
  Peer workflow_;
};

}  // namespace

std::unique_ptr<CaseClient> NewPeerCaseClient(Peer workflow) {
  return std::make_unique<PeerCaseClient>(std::move(workflow));
}

}  // namespace grantflow::applications
