#include "services/safeguarding/module.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "platform/errors.h"
#include "platform/reasons.h"
#include "platform/status_macros.h"
#include "platform/task_kinds.h"
#include "services/common/case_outcome.h"
#include "services/safeguarding/safeguarding_service.h"

namespace grantflow::safeguarding {
namespace {

class HostedSafeguarding final : public HostedService {
 public:
  explicit HostedSafeguarding(const HostContext& host)
      : cases_(NewPeerCaseClient(host.peer("workflow"))),
        applicants_(NewPeerApplicantSource(host.peer("applications"))),
        domain_(host.store, cases_.get(), applicants_.get()),
        service_(&domain_, host.env) {}

  grpc::Service* service() override { return &service_; }
  absl::StatusOr<std::vector<Holding>> PersonalData(
      const privacy::v1::Subject& subject) override {
    return domain_.PersonalData(subject);
  }

  // DBS records whose six months are up.
  absl::Status Background(absl::Time now, bool /*force*/) override {
    return domain_.PurgeDue(now).status();
  }

 private:
  std::unique_ptr<CaseClient> cases_;
  std::unique_ptr<ApplicantSource> applicants_;
  Safeguarding domain_;
  SafeguardingServiceImpl service_;
};

// An approved award: the check opens once however often the task arrives.
absl::Status DeliverOpen(const Peer& sg, const opb::Task& task) {
  ASSIGN_OR_RETURN(CaseOutcome outcome, ReadCaseOutcome(task));
  pb::OpenCheckRequest req;
  req.set_case_(task.case_name());
  req.set_request_id(absl::StrCat("open:", outcome.id));
  absl::Status s = CallPeer<pb::SafeguardingService>(
                       sg, &pb::SafeguardingService::Stub::OpenCheck, req)
                       .status();
  if (errors::ReasonOf(s) == reasons::kCaseClosed) return absl::OkStatus();
  return s;
}

// A withdrawal while the check is open.
absl::Status DeliverOutcome(const Peer& peer, const opb::Task& task) {
  return DeliverCaseOutcome<pb::SafeguardingService>(
      peer, task, &pb::SafeguardingService::Stub::ApplyCaseOutcome,
      "safeguardingChecks",
      [](pb::ApplyCaseOutcomeRequest& r, std::string name) {
        r.set_check(std::move(name));
      });
}

}  // namespace

ServiceModule SafeguardingModule() {
  ServiceModule m;
  m.name = "safeguarding";
  m.grpc_name = pb::SafeguardingService::service_full_name();
  m.needs = {"workflow", "applications"};
  m.receives = {{tasks::kOpenSafeguarding, DeliverOpen},
                {tasks::kSafeguardingCaseOutcome, DeliverOutcome}};
  m.make = [](const HostContext& host)
      -> absl::StatusOr<std::unique_ptr<HostedService>> {
    return std::make_unique<HostedSafeguarding>(host);
  };
  return m;
}

}  // namespace grantflow::safeguarding
