// The portal's side of the services: one gRPC channel per service (all to
// one grantflowd, or each to its own process), calls made with the signed-in
// person's bearer token, so the services check every step again and the
// portal holds no authority of its own. Thread-safe after construction.
#ifndef GRANTFLOW_WEB_BACKEND_H_
#define GRANTFLOW_WEB_BACKEND_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grantflow/agreements/v1/agreements.grpc.pb.h"
#include "grantflow/applications/v1/applications.grpc.pb.h"
#include "grantflow/assessment/v1/assessment.grpc.pb.h"
#include "grantflow/awards/v1/awards.grpc.pb.h"
#include "grantflow/payments/v1/payments.grpc.pb.h"
#include "grantflow/programmes/v1/programmes.grpc.pb.h"
#include "grantflow/reports/v1/reports.grpc.pb.h"
#include "grantflow/workflow/v1/workflow.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "services/common/grpc_status.h"
#include "services/common/tls.h"

namespace grantflow::web {

struct BackendOptions {
  // Where grantflowd hosts every service ("127.0.0.1:50051").
  std::string address = "127.0.0.1:50051";
  // A service's own address in a split deployment: "applications" ->
  // "127.0.0.1:50062". Keys are the services' short names.
  std::map<std::string, std::string> service_addresses;
  TlsFiles tls;  // the CA that signs grantflowd's certificates, if any
  absl::Duration deadline = absl::Seconds(10);
};

class Backend {
 public:
  // INVALID_ARGUMENT / NOT_FOUND when the TLS files are unusable.
  static absl::StatusOr<std::unique_ptr<Backend>> Connect(
      const BackendOptions& options);

  programmes::v1::ProgrammeService::Stub& programmes() { return *programmes_; }
  applications::v1::ApplicationService::Stub& applications() {
    return *applications_;
  }
  assessment::v1::AssessmentService::Stub& assessment() { return *assessment_; }
  workflow::v1::WorkflowService::Stub& workflow() { return *workflow_; }
  awards::v1::AwardService::Stub& awards() { return *awards_; }
  agreements::v1::AgreementService::Stub& agreements() { return *agreements_; }
  payments::v1::PaymentService::Stub& payments() { return *payments_; }
  reports::v1::ReportService::Stub& reports() { return *reports_; }

  // Calls `method` on `stub` as the holder of `token`, with the deadline;
  // the service's status with its details (errors::ReasonOf,
  // FieldViolationsOf read them).
  template <typename Stub, typename Req, typename Resp>
  absl::Status Call(Stub& stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                 const Req&, Resp*),
                    const std::string& token, const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() +
                     absl::ToChronoMilliseconds(deadline_));
    return FromGrpcStatus((stub.*method)(&ctx, req, resp));
  }

 private:
  Backend() = default;
  absl::Duration deadline_;
  std::unique_ptr<programmes::v1::ProgrammeService::Stub> programmes_;
  std::unique_ptr<applications::v1::ApplicationService::Stub> applications_;
  std::unique_ptr<assessment::v1::AssessmentService::Stub> assessment_;
  std::unique_ptr<workflow::v1::WorkflowService::Stub> workflow_;
  std::unique_ptr<awards::v1::AwardService::Stub> awards_;
  std::unique_ptr<agreements::v1::AgreementService::Stub> agreements_;
  std::unique_ptr<payments::v1::PaymentService::Stub> payments_;
  std::unique_ptr<reports::v1::ReportService::Stub> reports_;
};

}  // namespace grantflow::web

#endif  // GRANTFLOW_WEB_BACKEND_H_
