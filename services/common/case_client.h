// How a service reaches the workflow engine synchronously, where the engine
// must decide first: ApplicationService when an application is withdrawn,
// AssessmentService when a bid is screened (the engine is the authority on
// where each grant is).
#ifndef GRANTFLOW_SERVICES_COMMON_CASE_CLIENT_H_
#define GRANTFLOW_SERVICES_COMMON_CASE_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grantflow/workflow/v1/workflow.pb.h"
#include "platform/auth.h"
#include "services/common/peer.h"

namespace grantflow {

// Implementations are thread-safe. Status codes are the engine's (see
// workflows/engine.h), or UNAVAILABLE when it cannot be reached.
class CaseClient {
 public:
  virtual ~CaseClient() = default;
  virtual absl::StatusOr<workflow::v1::Case> StartCase(
      const workflow::v1::StartCaseRequest& req) = 0;
  virtual absl::StatusOr<workflow::v1::Case> RecordFact(
      const workflow::v1::RecordFactRequest& req) = 0;
  virtual absl::StatusOr<workflow::v1::Case> GetCase(
      const std::string& name) = 0;
  // A page of cases (the engine's filters and paging).
  virtual absl::StatusOr<workflow::v1::ListCasesResponse> ListCases(
      const workflow::v1::ListCasesRequest& req) = 0;
  // A budget line as the engine's ledger holds it (NOT_FOUND when the
  // ledger does not know it).
  virtual absl::StatusOr<workflow::v1::LedgerLine> GetLedgerLine(
      const std::string& name) = 0;
  // The payment commands (PaymentService's), on a finance person's behalf.
  virtual absl::StatusOr<workflow::v1::Payment> AuthorizePayment(
      const workflow::v1::AuthorizePaymentRequest& req) = 0;
  virtual absl::StatusOr<workflow::v1::Payment> ConfirmPayment(
      const workflow::v1::ConfirmPaymentRequest& req) = 0;
  virtual absl::StatusOr<workflow::v1::Payment> VoidPayment(
      const workflow::v1::VoidPaymentRequest& req) = 0;
};

// Whether `c` is a grant the funder went ahead with: awarded, and neither
// withdrawn nor lapsed since (a terminated grant was funded; it stopped).
// Reports count funded projects by this.
bool IsFunded(const workflow::v1::Case& c);

// The engine's view of `person` as a service acting for them (the Acting
// of a RecordFact or payment request).
workflow::v1::Acting ActingOf(const auth::Principal& person);

// Calls WorkflowService over `workflow` as the host's service identity.
std::unique_ptr<CaseClient> NewPeerCaseClient(Peer workflow);

// A fact a service records at the engine, usually on a person's behalf.
struct CaseFact {
  std::string case_name = "";  // cases/{id}
  std::string fact = "";
  std::string reason = "";
  std::string request_id = "";  // the engine's idempotency key
  // The person the service acts for, as their token showed it (the fact's
  // actor, whose roles, organisation and delegated limits the engine
  // applies); null: the service itself. Not owned; outlives the call.
  const auth::Principal* person = nullptr;
  workflow::v1::FactPayload payload = {};
  // A state the case may already be in, reached another way: the engine's
  // INVALID_TRANSITION refusal from that state then counts as done.
  std::string already = "";
};

// Records `f` through `cases`. Returns the engine's status, except: OK for a
// refusal from `f.already`; UNAVAILABLE with reason CASE_NOT_STARTED when the
// case has not reached the engine yet (its submission is still in an
// outbox). Thread-safe.
absl::Status RecordCaseFact(CaseClient& cases, const CaseFact& f);

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_COMMON_CASE_CLIENT_H_
