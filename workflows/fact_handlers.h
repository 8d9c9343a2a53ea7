// The engine's fact handlers, one file per fact group under
// workflows/fact_handlers/. Each checks its fact's rules and changes the case
// and ledger lines in its FactContext; workflows/facts.cc binds them to facts.
#ifndef GRANTFLOW_WORKFLOWS_FACT_HANDLERS_H_
#define GRANTFLOW_WORKFLOWS_FACT_HANDLERS_H_

#include "absl/status/status.h"
#include "workflows/facts.h"

namespace grantflow::workflows::handlers {

// award.cc
absl::Status Recommend(FactContext& x);     // remembers who recommended (R5)
absl::Status ApproveAward(FactContext& x);  // reserves the award (R3, R5)
// checks.cc
absl::Status DueDiligencePassed(FactContext& x);
absl::Status SafeguardingPassed(FactContext& x);
absl::Status SafeguardingRequired(FactContext& x);
absl::Status RaiseCondition(FactContext& x);  // blocks issue and payment
absl::Status ClearCondition(FactContext& x);
// agreement.cc
absl::Status IssueAgreement(FactContext& x);   // gate: checks passed (R4)
absl::Status RecipientSigned(FactContext& x);  // on the issued document
absl::Status Execute(FactContext& x);  // countersigned: commits the budget
// monitoring.cc
absl::Status ReportAccepted(FactContext& x);
absl::Status ReportOverdue(FactContext& x);
// closure.cc
absl::Status Release(FactContext& x);    // closure and side exits
absl::Status Terminate(FactContext& x);  // recovers the unpaid remainder

}  // namespace grantflow::workflows::handlers

#endif  // GRANTFLOW_WORKFLOWS_FACT_HANDLERS_H_
