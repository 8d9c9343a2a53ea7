#include "services/agreements/module.h"

#include <memory>

#include "platform/task_kinds.h"
#include "services/agreements/agreement_service.h"
#include "services/common/case_outcome.h"

namespace grantflow::agreements {
namespace {

class HostedAgreements final : public HostedService {
 public:
  explicit HostedAgreements(const HostContext& host)
      : cases_(NewPeerCaseClient(host.peer("workflow"))),
        applicants_(NewPeerApplicantSource(host.peer("applications"))),
        domain_(host.store, cases_.get(), applicants_.get()),
        service_(&domain_, host.env) {}

  grpc::Service* service() override { return &service_; }
  absl::StatusOr<std::vector<Holding>> PersonalData(
      const privacy::v1::Subject& subject) override {
    return domain_.PersonalData(subject);
  }

  // Reminders due, reports past due.
  absl::Status Background(absl::Time now, bool /*force*/) override {
    return domain_.RemindDue(now).status();
  }

 private:
  std::unique_ptr<CaseClient> cases_;
  std::unique_ptr<ApplicantSource> applicants_;
  Agreements domain_;
  AgreementServiceImpl service_;
};

// The case lapsed or was withdrawn before execution.
absl::Status DeliverOutcome(const Peer& peer, const opb::Task& task) {
  return DeliverCaseOutcome<pb::AgreementService>(
      peer, task, &pb::AgreementService::Stub::ApplyCaseOutcome, "agreements",
      [](pb::ApplyCaseOutcomeRequest& r, std::string name) {
        r.set_agreement(std::move(name));
      });
}

}  // namespace

ServiceModule AgreementsModule() {
  ServiceModule m;
  m.name = "agreements";
  m.grpc_name = pb::AgreementService::service_full_name();
  m.needs = {"workflow", "applications"};
  m.receives = {{tasks::kAgreementCaseOutcome, DeliverOutcome}};
  m.make = [](const HostContext& host)
      -> absl::StatusOr<std::unique_ptr<HostedService>> {
    return std::make_unique<HostedAgreements>(host);
  };
  return m;
}

}  // namespace grantflow::agreements
