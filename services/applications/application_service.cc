#include "services/applications/application_service.h"

namespace grantflow::applications {

// Each RPC: authenticate, authorise by the full method name, delegate.
#define GRANTFLOW_RPC(Method, Req, Resp)                                   \
  grpc::Status ApplicationServiceImpl::Method(                             \
      grpc::ServerContext* ctx, const pb::Req* req, pb::Resp* resp) {      \
    return Serve(ctx, env_,                                                \
                 "/grantflow.applications.v1.ApplicationService/" #Method, \
                 *req, resp, [this](const Call& call, const pb::Req& r) {  \
                   return domain_->Method(call, r);                        \
                 });                                                       \
  }
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

}  // namespace grantflow::applications
