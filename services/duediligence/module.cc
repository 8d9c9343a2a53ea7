#include "services/duediligence/module.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "platform/errors.h"
#include "platform/reasons.h"
#include "platform/status_macros.h"
#include "platform/task_kinds.h"
#include "services/common/case_outcome.h"
#include "services/duediligence/duediligence_service.h"

namespace grantflow::duediligence {
namespace {

class HostedDueDiligence final : public HostedService {
 public:
  explicit HostedDueDiligence(const HostContext& host)
      : cases_(NewPeerCaseClient(host.peer("workflow"))),
        applicants_(NewPeerApplicantSource(host.peer("applications"))),
        domain_(host.store, cases_.get(), applicants_.get()),
        service_(&domain_, host.env) {}

  grpc::Service* service() override { return &service_; }
  absl::StatusOr<std::vector<Holding>> PersonalData(
      const privacy::v1::Subject& subject) override {
    return domain_.PersonalData(subject);
  }

 private:
  std::unique_ptr<CaseClient> cases_;
  std::unique_ptr<ApplicantSource> applicants_;
  Checks domain_;
  DueDiligenceServiceImpl service_;
};

// An approved award: the check opens once however often the task arrives.
// A case that has ended before the task arrived needs no check.
absl::Status DeliverOpen(const Peer& dd, const opb::Task& task) {
  ASSIGN_OR_RETURN(CaseOutcome outcome, ReadCaseOutcome(task));
  pb::OpenCheckRequest req;
  req.set_case_(task.case_name());
  req.set_request_id(absl::StrCat("open:", outcome.id));
  absl::Status s = CallPeer<pb::DueDiligenceService>(
                       dd, &pb::DueDiligenceService::Stub::OpenCheck, req)
                       .status();
  if (errors::ReasonOf(s) == reasons::kCaseClosed) return absl::OkStatus();
  return s;
}

// A withdrawal while the check is open.
absl::Status DeliverOutcome(const Peer& peer, const opb::Task& task) {
  return DeliverCaseOutcome<pb::DueDiligenceService>(
      peer, task, &pb::DueDiligenceService::Stub::ApplyCaseOutcome,
      "dueDiligenceChecks",
      [](pb::ApplyCaseOutcomeRequest& r, std::string name) {
        r.set_check(std::move(name));
      });
}

}  // namespace

ServiceModule DueDiligenceModule() {
  ServiceModule m;
  m.name = "duediligence";
  m.grpc_name = pb::DueDiligenceService::service_full_name();
  m.needs = {"workflow", "applications"};
  m.receives = {{tasks::kOpenDueDiligence, DeliverOpen},
                {tasks::kDueDiligenceCaseOutcome, DeliverOutcome}};
  m.make = [](const HostContext& host)
      -> absl::StatusOr<std::unique_ptr<HostedService>> {
    return std::make_unique<HostedDueDiligence>(host);
  };
  return m;
}

}  // namespace grantflow::duediligence
