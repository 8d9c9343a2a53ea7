// gRPC adapter for AgreementService: authentication, authorisation and
// status translation only; the logic is in agreements.h.
#ifndef GRANTFLOW_SERVICES_AGREEMENTS_AGREEMENT_SERVICE_H_
#define GRANTFLOW_SERVICES_AGREEMENTS_AGREEMENT_SERVICE_H_

#include "grantflow/agreements/v1/agreements.grpc.pb.h"
#include "services/agreements/agreements.h"
#include "services/common/call.h"

// The service's RPCs: X(Method, Request, Response).
#define GRANTFLOW_AGREEMENTS_RPCS(X)                                       \
  X(SetTemplate, pb::SetTemplateRequest, pb::AgreementTemplate)            \
  X(GetTemplate, pb::GetTemplateRequest, pb::AgreementTemplate)            \
  X(DraftAgreement, pb::DraftAgreementRequest, pb::Agreement)              \
  X(UpdateDraft, pb::UpdateDraftRequest, pb::Agreement)                    \
  X(IssueAgreement, pb::IssueAgreementRequest, pb::Agreement)              \
  X(SignAgreement, pb::SignAgreementRequest, pb::Agreement)                \
  X(CountersignAgreement, pb::SignAgreementRequest, pb::Agreement)         \
  X(GetAgreement, pb::GetAgreementRequest, pb::Agreement)                  \
  X(ListAgreements, pb::ListAgreementsRequest, pb::ListAgreementsResponse) \
  X(GetDocument, pb::GetDocumentRequest, pb::Document)                     \
  X(TerminateAgreement, pb::TerminateAgreementRequest, pb::Agreement)      \
  X(SubmitReport, pb::SubmitReportRequest, pb::Agreement)                  \
  X(ReviewReport, pb::ReviewReportRequest, pb::Agreement)                  \
  X(GetOutcomes, pb::GetOutcomesRequest, pb::Outcomes)                     \
  X(ApplyCaseOutcome, pb::ApplyCaseOutcomeRequest, pb::Agreement)

namespace grantflow::agreements {

// Thread-safe. Does not own `domain`, which must outlive the service.
class AgreementServiceImpl final : public pb::AgreementService::Service {
 public:
  AgreementServiceImpl(Agreements* domain, CallEnv env)
      : domain_(domain), env_(env) {}

  GRANTFLOW_AGREEMENTS_RPCS(GRANTFLOW_DECLARE_RPC)

 private:
  Agreements* domain_;
  CallEnv env_;
};

}  // namespace grantflow::agreements

#endif  // GRANTFLOW_SERVICES_AGREEMENTS_AGREEMENT_SERVICE_H_
