#include "services/assessment/module.h"

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grantflow/workflow/v1/workflow.pb.h"
#include "platform/status_macros.h"
#include "platform/task_kinds.h"
#include "services/assessment/assessment_service.h"
#include "services/common/case_outcome.h"

namespace grantflow::assessment {
namespace {

namespace wpb = ::grantflow::workflow::v1;

class HostedAssessment final : public HostedService {
 public:
  explicit HostedAssessment(const HostContext& host)
      : rounds_(NewGrpcRoundSource(host.peer("programmes"))),
        cases_(NewPeerCaseClient(host.peer("workflow"))),
        domain_(host.store, rounds_.get(), cases_.get()),
        service_(&domain_, host.env) {}

  grpc::Service* service() override { return &service_; }
  absl::StatusOr<std::vector<Holding>> PersonalData(
      const privacy::v1::Subject& subject) override {
    return domain_.PersonalData(subject);
  }

 private:
  std::unique_ptr<RoundSource> rounds_;
  std::unique_ptr<CaseClient> cases_;
  Assessments domain_;
  AssessmentServiceImpl service_;
};

// A submitted bid: the payload is the OpenAssessmentRequest, whose request
// id (and the assessment's own once-only opening) make a second delivery
// harmless.
absl::Status DeliverOpen(const Peer& assessment, const opb::Task& task) {
  pb::OpenAssessmentRequest req;
  if (!req.ParseFromString(task.payload())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "task ", task.id(), ": payload is not an OpenAssessmentRequest"));
  }
  return CallPeer<pb::AssessmentService>(
             assessment, &pb::AssessmentService::Stub::OpenAssessment, req)
      .status();
}

// A case's outcome decided elsewhere (a withdrawal): the payload is the
// CaseEvent.
absl::Status DeliverOutcome(const Peer& assessment, const opb::Task& task) {
  ASSIGN_OR_RETURN(CaseOutcome outcome, ReadCaseOutcome(task));
  const std::string& id = outcome.id;
  const workflow::v1::CaseEvent& e = outcome.event;
  pb::ApplyCaseOutcomeRequest req;
  req.set_assessment("assessments/" + id);
  req.set_state(e.to_state());
  req.set_event_seq(e.seq());
  req.set_request_id(absl::StrCat("outcome:", id, ":", e.seq()));
  absl::Status s =
      CallPeer<pb::AssessmentService>(
          assessment, &pb::AssessmentService::Stub::ApplyCaseOutcome, req)
          .status();
  // A case withdrawn before its bid reached assessment has nothing to
  // follow here: the bid, when it arrives, is opened and screening refuses
  // it at the engine.
  if (absl::IsNotFound(s)) return absl::OkStatus();
  return s;
}

}  // namespace

ServiceModule AssessmentModule() {
  ServiceModule m;
  m.name = "assessment";
  m.grpc_name = pb::AssessmentService::service_full_name();
  m.needs = {"programmes", "workflow"};
  m.receives = {{tasks::kOpenAssessment, DeliverOpen},
                {tasks::kAssessmentCaseOutcome, DeliverOutcome}};
  m.make = [](const HostContext& host)
      -> absl::StatusOr<std::unique_ptr<HostedService>> {
    return std::make_unique<HostedAssessment>(host);
  };
  return m;
}

}  // namespace grantflow::assessment
