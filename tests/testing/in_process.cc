#include "tests/testing/in_process.h"

namespace grantflow::testing {
namespace {

Call ServiceCall(absl::Time now) {
  Call c;
  c.principal.user = "grantflowd:test";
  c.principal.roles = {"service"};
  c.method = "/grantflow.workflow.v1.WorkflowService/InProcess";
  c.now = now;
  return c;
}

}  // namespace

absl::StatusOr<workflow::v1::LedgerLine> EngineLedgerClient::Register(
    const workflow::v1::RegisterBudgetLineRequest& req) {
  if (down) return absl::UnavailableError("the engine is down (test)");
  return engine_->RegisterBudgetLine(ServiceCall(now_()), req);
}

absl::StatusOr<workflow::v1::LedgerLine> EngineLedgerClient::Get(
    const std::string& line) {
  if (down) return absl::UnavailableError("the engine is down (test)");
  workflow::v1::GetLedgerLineRequest req;
  req.set_name(line);
  return engine_->GetLedgerLine(ServiceCall(now_()), req);
}

absl::StatusOr<workflow::v1::Case> EngineCaseClient::StartCase(
    const workflow::v1::StartCaseRequest& req) {
  return engine_->StartCase(ServiceCall(now_()), req);
}

absl::StatusOr<workflow::v1::Case> EngineCaseClient::RecordFact(
    const workflow::v1::RecordFactRequest& req) {
  return engine_->RecordFact(ServiceCall(now_()), req);
}

absl::StatusOr<workflow::v1::LedgerLine> EngineCaseClient::GetLedgerLine(
    const std::string& name) {
  workflow::v1::GetLedgerLineRequest req;
  req.set_name(name);
  return engine_->GetLedgerLine(ServiceCall(now_()), req);
}

absl::StatusOr<workflow::v1::Case> EngineCaseClient::GetCase(
    const std::string& name) {
  workflow::v1::GetCaseRequest req;
  req.set_name(name);
  return engine_->GetCase(ServiceCall(now_()), req);
}

absl::StatusOr<workflow::v1::ListCasesResponse> EngineCaseClient::ListCases(
    const workflow::v1::ListCasesRequest& req) {
  return engine_->ListCases(ServiceCall(now_()), req);
}

absl::StatusOr<workflow::v1::Payment> EngineCaseClient::AuthorizePayment(
    const workflow::v1::AuthorizePaymentRequest& req) {
  return engine_->AuthorizePayment(ServiceCall(now_()), req);
}

absl::StatusOr<workflow::v1::Payment> EngineCaseClient::ConfirmPayment(
    const workflow::v1::ConfirmPaymentRequest& req) {
  return engine_->ConfirmPayment(ServiceCall(now_()), req);
}

absl::StatusOr<workflow::v1::Payment> EngineCaseClient::VoidPayment(
    const workflow::v1::VoidPaymentRequest& req) {
  return engine_->VoidPayment(ServiceCall(now_()), req);
}

}  // namespace grantflow::testing
