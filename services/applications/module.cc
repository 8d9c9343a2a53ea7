#include "services/applications/module.h"

#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grantflow/workflow/v1/workflow.pb.h"
#include "platform/status_macros.h"
#include "platform/task_kinds.h"
#include "services/applications/application_service.h"
#include "services/common/case_outcome.h"

namespace grantflow::applications {
namespace {

namespace wpb = ::grantflow::workflow::v1;

class HostedApplications final : public HostedService {
 public:
  explicit HostedApplications(const HostContext& host)
      : rounds_(NewGrpcRoundSource(host.peer("programmes"))),
        cases_(NewPeerCaseClient(host.peer("workflow"))),
        domain_(host.store, rounds_.get(), cases_.get()),
        service_(&domain_, host.env) {}

  grpc::Service* service() override { return &service_; }
  Outbox* outbox() override { return &domain_.outbox(); }
  std::vector<std::string> sends() const override {
    return {tasks::kStartCase, tasks::kOpenAssessment};
  }
  absl::StatusOr<std::vector<Holding>> PersonalData(
      const privacy::v1::Subject& subject) override {
    return domain_.PersonalData(subject);
  }

 private:
  std::unique_ptr<RoundSource> rounds_;
  std::unique_ptr<CaseClient> cases_;
  Applications domain_;
  ApplicationServiceImpl service_;
};

// A case's outcome recorded at the engine reaches its application. The
// payload is the CaseEvent; the request id, derived from the case and the
// event's sequence number, makes a second delivery harmless.
absl::Status DeliverCaseOutcome(const Peer& applications,
                                const opb::Task& task) {
  ASSIGN_OR_RETURN(CaseOutcome outcome, ReadCaseOutcome(task));
  const std::string& id = outcome.id;
  const workflow::v1::CaseEvent& e = outcome.event;
  pb::ApplyCaseOutcomeRequest req;
  req.set_application("applications/" + id);
  req.set_state(e.to_state());
  req.set_event_seq(e.seq());
  req.set_reason(e.reason());
  req.set_actor(e.actor());
  req.set_request_id(absl::StrCat("outcome:", id, ":", e.seq()));
  return CallPeer<pb::ApplicationService>(
             applications, &pb::ApplicationService::Stub::ApplyCaseOutcome, req)
      .status();
}

}  // namespace

ServiceModule ApplicationsModule() {
  ServiceModule m;
  m.name = "applications";
  m.grpc_name = pb::ApplicationService::service_full_name();
  m.needs = {"programmes", "workflow"};
  m.receives = {{tasks::kApplyCaseOutcome, DeliverCaseOutcome}};
  m.make = [](const HostContext& host)
      -> absl::StatusOr<std::unique_ptr<HostedService>> {
    return std::make_unique<HostedApplications>(host);
  };
  return m;
}

}  // namespace grantflow::applications
