#include "services/common/case_client.h"

#include "absl/strings/str_cat.h"
#include "grantflow/workflow/v1/workflow.grpc.pb.h"
#include "platform/errors.h"
#include "platform/reasons.h"

namespace grantflow {
namespace {

namespace wpb = ::grantflow::workflow::v1;

class PeerCaseClient final : public CaseClient {
 public:
  explicit PeerCaseClient(Peer workflow) : workflow_(std::move(workflow)) {}

  absl::StatusOr<wpb::Case> StartCase(
      const wpb::StartCaseRequest& req) override {
    return CallPeer<wpb::WorkflowService>(
        workflow_, &wpb::WorkflowService::Stub::StartCase, req);
  }

  absl::StatusOr<wpb::Case> RecordFact(
      const wpb::RecordFactRequest& req) override {
    return CallPeer<wpb::WorkflowService>(
        workflow_, &wpb::WorkflowService::Stub::RecordFact, req);
  }

  absl::StatusOr<wpb::ListCasesResponse> ListCases(
      const wpb::ListCasesRequest& req) override {
    return CallPeer<wpb::WorkflowService>(
        workflow_, &wpb::WorkflowService::Stub::ListCases, req);
  }

  absl::StatusOr<wpb::LedgerLine> GetLedgerLine(
      const std::string& name) override {
    wpb::GetLedgerLineRequest req;
    req.set_name(name);
    return CallPeer<wpb::WorkflowService>(
        workflow_, &wpb::WorkflowService::Stub::GetLedgerLine, req);
  }

  absl::StatusOr<wpb::Payment> AuthorizePayment(
      const wpb::AuthorizePaymentRequest& req) override {
    return CallPeer<wpb::WorkflowService>(
        workflow_, &wpb::WorkflowService::Stub::AuthorizePayment, req);
  }
  absl::StatusOr<wpb::Payment> ConfirmPayment(
      const wpb::ConfirmPaymentRequest& req) override {
    return CallPeer<wpb::WorkflowService>(
        workflow_, &wpb::WorkflowService::Stub::ConfirmPayment, req);
  }
  absl::StatusOr<wpb::Payment> VoidPayment(
      const wpb::VoidPaymentRequest& req) override {
    return CallPeer<wpb::WorkflowService>(
        workflow_, &wpb::WorkflowService::Stub::VoidPayment, req);
  }

  absl::StatusOr<wpb::Case> GetCase(const std::string& name) override {
    wpb::GetCaseRequest req;
    req.set_name(name);
    return CallPeer<wpb::WorkflowService>(
        workflow_, &wpb::WorkflowService::Stub::GetCase, req);
  }

 private:
  Peer workflow_;
};

}  // namespace

std::unique_ptr<CaseClient> NewPeerCaseClient(Peer workflow) {
  return std::make_unique<PeerCaseClient>(std::move(workflow));
}

bool IsFunded(const wpb::Case& c) {
  return c.awarded_pence() > 0 && c.state() != "WITHDRAWN" &&
         c.state() != "LAPSED";
}

wpb::Acting ActingOf(const auth::Principal& person) {
  wpb::Acting a;
  for (const std::string& r : person.roles) a.add_roles(r);
  a.set_organisation(person.organisation);
  for (const auto& [kind, pence] : person.limits_pence) {
    (*a.mutable_limits_pence())[kind] = pence;
  }
  for (const auto& [role, funds] : person.role_funds) {
    wpb::RoleFunds* scope = a.add_role_funds();
    scope->set_role(role);
    for (const std::string& f : funds) scope->add_funds(f);
  }
  return a;
}

absl::Status RecordCaseFact(CaseClient& cases, const CaseFact& f) {
  wpb::RecordFactRequest req;
  req.set_name(f.case_name);
  req.set_fact(f.fact);
  req.set_reason(f.reason);
  if (f.person != nullptr) {
    req.set_on_behalf_of(f.person->user);
    *req.mutable_acting() = ActingOf(*f.person);
  }
  *req.mutable_payload() = f.payload;
  req.set_request_id(f.request_id);
  absl::StatusOr<wpb::Case> done = cases.RecordFact(req);
  if (absl::IsNotFound(done.status())) {
    return errors::WithReason(
        absl::UnavailableError(absl::StrCat(
            f.case_name,
            " has not reached the workflow engine yet (the submission is "
            "still being delivered); try again shortly")),
        reasons::kCaseNotStarted);
  }
  if (!done.ok() && !f.already.empty() &&
      errors::ReasonOf(done.status()) == reasons::kInvalidTransition &&
      errors::MetadataOf(done.status(), "state") == f.already) {
    return absl::OkStatus();
  }
  return done.status();
}

}  // namespace grantflow
