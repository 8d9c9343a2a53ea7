// gRPC adapter for ApplicationService: authentication, authorisation and
// status translation only; the logic is in applications.h.
#ifndef GRANTFLOW_SERVICES_APPLICATIONS_APPLICATION_SERVICE_H_
#define GRANTFLOW_SERVICES_APPLICATIONS_APPLICATION_SERVICE_H_

#include "grantflow/applications/v1/applications.grpc.pb.h"
#include "services/applications/applications.h"
#include "services/common/call.h"

namespace grantflow::applications {

// Thread-safe. Does not own `domain`, which must outlive the service.
class ApplicationServiceImpl final : public pb::ApplicationService::Service {
 public:
  ApplicationServiceImpl(Applications* domain, CallEnv env)
      : domain_(domain), env_(env) {}

#define GRANTFLOW_RPC(Method, Req, Resp)                            \
  grpc::Status Method(grpc::ServerContext* ctx, const pb::Req* req, \
                      pb::Resp* resp) override;
  GRANTFLOW_RPC(CreateOrganisation, CreateOrganisationRequest, Organisation)
  GRANTFLOW_RPC(GetOrganisation, GetOrganisationRequest, Organisation)
  GRANTFLOW_RPC(ListOrganisations, ListOrganisationsRequest,
                ListOrganisationsResponse)
  GRANTFLOW_RPC(UpdateOrganisation, UpdateOrganisationRequest, Organisation)
  GRANTFLOW_RPC(CreateApplication, CreateApplicationRequest, Application)
  GRANTFLOW_RPC(GetApplication, GetApplicationRequest, Application)
  GRANTFLOW_RPC(ListApplications, ListApplicationsRequest,
                ListApplicationsResponse)
  GRANTFLOW_RPC(UpdateApplication, UpdateApplicationRequest, Application)
  GRANTFLOW_RPC(SubmitApplication, SubmitApplicationRequest, Application)
  GRANTFLOW_RPC(WithdrawApplication, WithdrawApplicationRequest, Application)
  GRANTFLOW_RPC(GetEqualityMonitoring, GetEqualityMonitoringRequest,
                EqualityMonitoring)
  GRANTFLOW_RPC(UpdateEqualityMonitoring, UpdateEqualityMonitoringRequest,
                EqualityMonitoring)
#undef GRANTFLOW_RPC

 private:
  Applications* domain_;
  CallEnv env_;
};

}  // namespace grantflow::applications

#endif  // GRANTFLOW_SERVICES_APPLICATIONS_APPLICATION_SERVICE_H_
