#include "services/reports/module.h"

#include <memory>

#include "services/reports/report_service.h"

namespace grantflow::reports {
namespace {

class HostedReports final : public HostedService {
 public:
  explicit HostedReports(const HostContext& host)
      : cases_(NewPeerCaseClient(host.peer("workflow"))),
        applicants_(NewPeerApplicantSource(host.peer("applications"))),
        more_(
            NewPeerReportSources(host.peer("awards"), host.peer("programmes"))),
        domain_(cases_.get(), applicants_.get(), more_.get(),
                host.settings->open_data_prefix),
        service_(&domain_, host.env) {}

  grpc::Service* service() override { return &service_; }

 private:
  std::unique_ptr<CaseClient> cases_;
  std::unique_ptr<ApplicantSource> applicants_;
  std::unique_ptr<ReportSources> more_;
  Reports domain_;
  ReportServiceImpl service_;
};

}  // namespace

ServiceModule ReportsModule() {
  ServiceModule m;
  m.name = "reports";
  m.grpc_name = pb::ReportService::service_full_name();
  m.needs = {"workflow", "applications", "awards", "programmes"};
  m.make = [](const HostContext& host)
      -> absl::StatusOr<std::unique_ptr<HostedService>> {
    return std::make_unique<HostedReports>(host);
  };
  return m;
}

}  // namespace grantflow::reports
