#include "services/common/case_client.h"

#include "grantflow/workflow/v1/workflow.grpc.pb.h"

namespace grantflow {
namespace {

namespace wpb = ::grantflow::workflow::v1;

class PeerCaseClient final : public CaseClient {
 public:
  explicit PeerCaseClient(Peer workflow) : workflow_(std::move(workflow)) {}

  absl::StatusOr<wpb::Case> StartCase(
      const wpb::StartCaseRequest& req) override {
    return CallPeer<wpb::WorkflowService>(
        workflow_, &wpb::WorkflowService::Stub::StartCase, req);
  }

  absl::StatusOr<wpb::Case> RecordFact(
      const wpb::RecordFactRequest& req) override {
    return CallPeer<wpb::WorkflowService>(
        workflow_, &wpb::WorkflowService::Stub::RecordFact, req);
  }

  absl::StatusOr<wpb::LedgerLine> GetLedgerLine(
      const std::string& name) override {
    wpb::GetLedgerLineRequest req;
    req.set_name(name);
    return CallPeer<wpb::WorkflowService>(
        workflow_, &wpb::WorkflowService::Stub::GetLedgerLine, req);
  }

  absl::StatusOr<wpb::Case> GetCase(const std::string& name) override {
    wpb::GetCaseRequest req;
    req.set_name(name);
    return CallPeer<wpb::WorkflowService>(
        workflow_, &wpb::WorkflowService::Stub::GetCase, req);
  }

 private:
  Peer workflow_;
};

}  // namespace

std::unique_ptr<CaseClient> NewPeerCaseClient(Peer workflow) {
  return std::make_unique<PeerCaseClient>(std::move(workflow));
}

}  // namespace grantflow
