// The clients services use to reach the engine, wired straight to a real
// in-process Engine (no gRPC), for domain tests and crash tests that run a
// service and the engine in one process.
#ifndef GRANTFLOW_TESTS_TESTING_IN_PROCESS_H_
#define GRANTFLOW_TESTS_TESTING_IN_PROCESS_H_

#include <atomic>
#include <functional>

#include "absl/time/time.h"
#include "services/common/case_client.h"
#include "services/programmes/ledger_client.h"
#include "workflows/engine.h"

namespace grantflow::testing {

// Calls the engine as grantflowd's service identity at `now()`.
class EngineLedgerClient final : public programmes::LedgerClient {
 public:
  EngineLedgerClient(workflows::Engine* engine, std::function<absl::Time()> now)
      : engine_(engine), now_(std::move(now)) {}
  absl::StatusOr<workflow::v1::LedgerLine> Register(
      const workflow::v1::RegisterBudgetLineRequest& req) override;
  absl::StatusOr<workflow::v1::LedgerLine> Get(
      const std::string& line) override;
  // While set, every call fails UNAVAILABLE (the engine "down").
  std::atomic<bool> down{false};

 private:
  workflows::Engine* engine_;
  std::function<absl::Time()> now_;
};

class EngineCaseClient final : public CaseClient {
 public:
  EngineCaseClient(workflows::Engine* engine, std::function<absl::Time()> now)
      : engine_(engine), now_(std::move(now)) {}
  absl::StatusOr<workflow::v1::Case> StartCase(
      const workflow::v1::StartCaseRequest& req) override;
  absl::StatusOr<workflow::v1::Case> RecordFact(
      const workflow::v1::RecordFactRequest& req) override;
  absl::StatusOr<workflow::v1::Case> GetCase(const std::string& name) override;
  absl::StatusOr<workflow::v1::ListCasesResponse> ListCases(
      const workflow::v1::ListCasesRequest& req) override;
  absl::StatusOr<workflow::v1::LedgerLine> GetLedgerLine(
      const std::string& name) override;
  absl::StatusOr<workflow::v1::Payment> AuthorizePayment(
      const workflow::v1::AuthorizePaymentRequest& req) override;
  absl::StatusOr<workflow::v1::Payment> ConfirmPayment(
      const workflow::v1::ConfirmPaymentRequest& req) override;
  absl::StatusOr<workflow::v1::Payment> VoidPayment(
      const workflow::v1::VoidPaymentRequest& req) override;

 private:
  workflows::Engine* engine_;
  std::function<absl::Time()> now_;
};

}  // namespace grantflow::testing

#endif  // GRANTFLOW_TESTS_TESTING_IN_PROCESS_H_
