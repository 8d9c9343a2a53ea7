// gRPC adapter for ApplicationService: authentication, authorisation and
// status translation only; the logic is in applications.h.
#ifndef GRANTFLOW_SERVICES_APPLICATIONS_APPLICATION_SERVICE_H_
#define GRANTFLOW_SERVICES_APPLICATIONS_APPLICATION_SERVICE_H_

#include "grantflow/applications/v1/applications.grpc.pb.h"
#include "services/applications/applications.h"
#include "services/common/call.h"

// The service's RPCs: X(Method, Request, Response).
#define GRANTFLOW_APPLICATION_RPCS(X)                                       \
  X(CreateOrganisation, pb::CreateOrganisationRequest, pb::Organisation)    \
  X(GetOrganisation, pb::GetOrganisationRequest, pb::Organisation)          \
  X(ListOrganisations, pb::ListOrganisationsRequest,                        \
    pb::ListOrganisationsResponse)                                          \
  X(UpdateOrganisation, pb::UpdateOrganisationRequest, pb::Organisation)    \
  X(CreateApplication, pb::CreateApplicationRequest, pb::Application)       \
  X(GetApplication, pb::GetApplicationRequest, pb::Application)             \
  X(ListApplications, pb::ListApplicationsRequest,                          \
    pb::ListApplicationsResponse)                                           \
  X(UpdateApplication, pb::UpdateApplicationRequest, pb::Application)       \
  X(SubmitApplication, pb::SubmitApplicationRequest, pb::Application)       \
  X(WithdrawApplication, pb::WithdrawApplicationRequest, pb::Application)   \
  X(GetEqualityMonitoring, pb::GetEqualityMonitoringRequest,                \
    pb::EqualityMonitoring)                                                 \
  X(UpdateEqualityMonitoring, pb::UpdateEqualityMonitoringRequest,          \
    pb::EqualityMonitoring)                                                 \
  X(GetEqualityReport, pb::GetEqualityReportRequest, pb::EqualityReport)    \
  X(ApplyCaseOutcome, pb::ApplyCaseOutcomeRequest, pb::Application)         \
  X(ListTasks, outbox::v1::ListTasksRequest, outbox::v1::ListTasksResponse) \
  X(RetryTask, outbox::v1::RetryTaskRequest, outbox::v1::Task)

namespace grantflow::applications {

// Thread-safe. Does not own `domain`, which must outlive the service.
class ApplicationServiceImpl final : public pb::ApplicationService::Service {
 public:
  ApplicationServiceImpl(Applications* domain, CallEnv env)
      : domain_(domain), env_(env) {}

  GRANTFLOW_APPLICATION_RPCS(GRANTFLOW_DECLARE_RPC)

 private:
  Applications* domain_;
  CallEnv env_;
};

}  // namespace grantflow::applications

#endif  // GRANTFLOW_SERVICES_APPLICATIONS_APPLICATION_SERVICE_H_
