#include "services/payments/module.h"

#include <memory>

#include "services/payments/payment_service.h"

namespace grantflow::payments {
namespace {

class HostedPayments final : public HostedService {
 public:
  explicit HostedPayments(const HostContext& host)
      : cases_(NewPeerCaseClient(host.peer("workflow"))),
        agreements_(NewPeerAgreementSource(host.peer("agreements"))),
        applicants_(NewPeerApplicantSource(host.peer("applications"))),
        domain_(host.store, cases_.get(), agreements_.get(), applicants_.get()),
        service_(&domain_, host.env) {}

  grpc::Service* service() override { return &service_; }
  absl::StatusOr<std::vector<Holding>> PersonalData(
      const privacy::v1::Subject& subject) override {
    return domain_.PersonalData(subject);
  }

 private:
  std::unique_ptr<CaseClient> cases_;
  std::unique_ptr<AgreementSource> agreements_;
  std::unique_ptr<ApplicantSource> applicants_;
  Payments domain_;
  PaymentServiceImpl service_;
};

}  // namespace

ServiceModule PaymentsModule() {
  ServiceModule m;
  m.name = "payments";
  m.grpc_name = pb::PaymentService::service_full_name();
  m.needs = {"workflow", "agreements", "applications"};
  m.make = [](const HostContext& host)
      -> absl::StatusOr<std::unique_ptr<HostedService>> {
    return std::make_unique<HostedPayments>(host);
  };
  return m;
}

}  // namespace grantflow::payments
