#include "services/workflow/module.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grantflow/workflow/v1/workflow.grpc.pb.h"
#include "platform/status_macros.h"
#include "platform/task_kinds.h"
#include "services/workflow/peer_directory.h"
#include "services/workflow/workflow_service.h"
#include "workflows/definitions.h"
#include "workflows/engine.h"

namespace grantflow::workflows {
namespace {

class HostedWorkflow final : public HostedService {
 public:
  static absl::StatusOr<std::unique_ptr<HostedService>> Make(
      const HostContext& host) {
    auto self = std::unique_ptr<HostedWorkflow>(new HostedWorkflow());
    RETURN_IF_ERROR(self->definitions_.AddBuiltIn());
    if (!host.settings->definitions_dir.empty()) {
      RETURN_IF_ERROR(
          self->definitions_.AddDirectory(host.settings->definitions_dir));
    }
    self->directory_ =
        NewPeerDirectory(host.peer("programmes"), host.peer("applications"));
    self->engine_ = std::make_unique<Engine>(host.store, &self->definitions_,
                                             self->directory_.get());
    self->service_ =
        std::make_unique<WorkflowServiceImpl>(self->engine_.get(), host.env);
    return std::unique_ptr<HostedService>(std::move(self));
  }

  grpc::Service* service() override { return service_.get(); }
  Outbox* outbox() override { return &engine_->outbox(); }
  std::vector<MetricSample> Metrics(absl::Time now) override {
    std::vector<MetricSample> out;
    for (const auto& [fact, n] : engine_->Transitions()) {
      out.push_back({.name = "grantflow_engine_transitions_total",
                     .help = "Case transitions the engine committed, by fact",
                     .counter = true,
                     .labels = {{"fact", fact}},
                     .value = static_cast<double>(n)});
    }
    // Unreadable just now: left out of this scrape rather than reported 0.
    if (auto due = engine_->TimersDue(now); due.ok()) {
      out.push_back({.name = "grantflow_engine_timers_due",
                     .help = "Durable timers due and not yet fired",
                     .value = static_cast<double>(*due)});
    }
    return out;
  }
  absl::StatusOr<std::vector<Holding>> PersonalData(
      const privacy::v1::Subject& subject) override {
    return engine_->PersonalData(subject);
  }
  std::vector<std::string> sends() const override {
    return definitions_.TaskKinds();
  }
  absl::Status Background(absl::Time now, bool /*force*/) override {
    return engine_->FireDueTimers(now).status();
  }

 private:
  HostedWorkflow() = default;

  DefinitionRegistry definitions_;
  std::unique_ptr<Directory> directory_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<WorkflowServiceImpl> service_;
};

// A submitted application's case starts: the payload is the
// StartCaseRequest, whose request_id makes a second delivery harmless.
absl::Status DeliverStartCase(const Peer& workflow, const opb::Task& task) {
  wpb::StartCaseRequest req;
  if (!req.ParseFromString(task.payload())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "task ", task.id(), ": payload is not a StartCaseRequest"));
  }
  return CallPeer<wpb::WorkflowService>(
             workflow, &wpb::WorkflowService::Stub::StartCase, req)
      .status();
}

}  // namespace

ServiceModule WorkflowModule() {
  ServiceModule m;
  m.name = "workflow";
  m.grpc_name = wpb::WorkflowService::service_full_name();
  m.needs = {"programmes", "applications"};
  m.receives = {{tasks::kStartCase, DeliverStartCase}};
  m.make = HostedWorkflow::Make;
  return m;
}

}  // namespace grantflow::workflows
