// gRPC adapter for ReportService: authentication, authorisation and status
// translation only; the logic is in reports.h.
#ifndef GRANTFLOW_SERVICES_REPORTS_REPORT_SERVICE_H_
#define GRANTFLOW_SERVICES_REPORTS_REPORT_SERVICE_H_

#include "grantflow/reports/v1/reports.grpc.pb.h"
#include "services/common/call.h"
#include "services/reports/reports.h"

// The service's RPCs: X(Method, Request, Response).
#define GRANTFLOW_REPORTS_RPCS(X)                                        \
  X(ListGrants, pb::ListGrantsRequest, pb::ListGrantsResponse)           \
  X(ExportGrantRegister, pb::ExportGrantRegisterRequest, pb::ExportFile) \
  X(Export360Giving, pb::Export360GivingRequest, pb::ExportFile)

namespace grantflow::reports {

// Thread-safe. Does not own `domain`, which must outlive the service.
class ReportServiceImpl final : public pb::ReportService::Service {
 public:
  ReportServiceImpl(Reports* domain, CallEnv env)
      : domain_(domain), env_(env) {}

  GRANTFLOW_REPORTS_RPCS(GRANTFLOW_DECLARE_RPC)

 private:
  Reports* domain_;
  CallEnv env_;
};

}  // namespace grantflow::reports

#endif  // GRANTFLOW_SERVICES_REPORTS_REPORT_SERVICE_H_
