#include "services/awards/module.h"

#include <memory>

#include "services/awards/award_service.h"

namespace grantflow::awards {
namespace {

class HostedAwards final : public HostedService {
 public:
  explicit HostedAwards(const HostContext& host)
      : cases_(NewPeerCaseClient(host.peer("workflow"))),
        domain_(host.store, cases_.get()),
        service_(&domain_, host.env) {}

  grpc::Service* service() override { return &service_; }
  absl::StatusOr<std::vector<Holding>> PersonalData(
      const privacy::v1::Subject& subject) override {
    return domain_.PersonalData(subject);
  }

 private:
  std::unique_ptr<CaseClient> cases_;
  Awards domain_;
  AwardServiceImpl service_;
};

}  // namespace

ServiceModule AwardsModule() {
  ServiceModule m;
  m.name = "awards";
  m.grpc_name = pb::AwardService::service_full_name();
  m.needs = {"workflow"};
  m.make = [](const HostContext& host)
      -> absl::StatusOr<std::unique_ptr<HostedService>> {
    return std::make_unique<HostedAwards>(host);
  };
  return m;
}

}  // namespace grantflow::awards
