#include "web/backend.h"

#include "grpcpp/create_channel.h"

namespace grantflow::web {

absl::StatusOr<std::unique_ptr<Backend>> Backend::Connect(
    const BackendOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
      ChannelCredentialsFor(options.tls);
  if (!creds.ok()) return creds.status();
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels;
  auto channel = [&](const std::string& service) {
    auto it = options.service_addresses.find(service);
    const std::string addr =
        it == options.service_addresses.end() ? options.address : it->second;
    auto& ch = channels[addr];
    if (ch == nullptr) ch = grpc::CreateChannel(addr, *creds);
    return ch;
  };
  std::unique_ptr<Backend> b(new Backend());
  b->deadline_ = options.deadline;
  b->programmes_ =
      programmes::v1::ProgrammeService::NewStub(channel("programmes"));
  b->applications_ =
      applications::v1::ApplicationService::NewStub(channel("applications"));
  b->assessment_ =
      assessment::v1::AssessmentService::NewStub(channel("assessment"));
  b->workflow_ = workflow::v1::WorkflowService::NewStub(channel("workflow"));
  b->awards_ = awards::v1::AwardService::NewStub(channel("awards"));
  b->agreements_ =
      agreements::v1::AgreementService::NewStub(channel("agreements"));
  b->payments_ = payments::v1::PaymentService::NewStub(channel("payments"));
  b->reports_ = reports::v1::ReportService::NewStub(channel("reports"));
  return b;
}

}  // namespace grantflow::web
