// AgreementService's domain: each approved award's funding agreement, its
// versions and signatures, and the monitoring reports it requires, on the
// service's own store (see proto/grantflow/agreements/v1).
//
//  - A grants officer drafts from the fund's template (terms left out come
//    from the application) and issues once the checks pass: the text
//    rendering's SHA-256 goes to the engine (AGREEMENT_ISSUED).
//  - The recipient's authorised signatory signs that hash
//    (AGREEMENT_SIGNED_BY_RECIPIENT), then a funder approver who did not
//    issue it countersigns (AGREEMENT_EXECUTED, with the schedule and
//    reports; the engine commits the budget; the project starts).
//  - A variation is a new version of an executed agreement, executed again
//    before payments use its terms; termination records what to recover.
//  - The recipient submits each report with progress on its indicators; a
//    grants officer accepts (MONITORING_REPORT_ACCEPTED) or returns it. The
//    final report's acceptance closes the grant (GRANT_CLOSED), recording
//    any underspend for recovery.
//  - Reminders: a week before a signature deadline and a fortnight before a
//    report is due, by the host's background pass; reports past due are
//    marked overdue (the engine's own timer holds the payments).
// Facts are asked of the engine first, on the person's behalf with their
// roles and organisation; a refused fact writes nothing here.
#ifndef GRANTFLOW_SERVICES_AGREEMENTS_AGREEMENTS_H_
#define GRANTFLOW_SERVICES_AGREEMENTS_AGREEMENTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grantflow/agreements/v1/agreements.pb.h"
#include "platform/call.h"
#include "platform/personal_data.h"
#include "platform/proto_table.h"
#include "platform/state_table.h"
#include "services/agreements/terms.h"
#include "services/common/applicant_source.h"
#include "services/common/case_client.h"
#include "storage/store.h"

namespace grantflow::agreements {

// Thread-safe. Does not own `store`, `cases` or `applicants`; all must
// outlive it. Status codes: INVALID_ARGUMENT (bad fields, named),
// NOT_FOUND (also another organisation's agreement), FAILED_PRECONDITION
// (TEMPLATE_MISSING, NOT_AWARDED, AGREEMENT_ENDED, NO_DRAFT,
// ALREADY_DRAFTED, VERSION_NOT_ISSUED, VERSION_NOT_SIGNED,
// DOCUMENT_MISMATCH, SEPARATION_OF_DUTIES, REPORT_NOT_DUE,
// REPORT_NOT_SUBMITTED, PAYMENTS_PENDING, or the engine's own reasons),
// PERMISSION_DENIED (the engine's NOT_RECIPIENT_SIGNATORY,
// NOT_FUNDER_STAFF), ABORTED (etag), UNAVAILABLE (the engine or
// ApplicationService unreachable).
class Agreements {
 public:
  Agreements(storage::Store* store, CaseClient* cases,
             ApplicantSource* applicants);

  absl::StatusOr<pb::AgreementTemplate> SetTemplate(
      const Call& call, const pb::SetTemplateRequest& req);
  absl::StatusOr<pb::AgreementTemplate> GetTemplate(
      const Call& call, const pb::GetTemplateRequest& req);
  absl::StatusOr<pb::Agreement> DraftAgreement(
      const Call& call, const pb::DraftAgreementRequest& req);
  absl::StatusOr<pb::Agreement> UpdateDraft(const Call& call,
                                            const pb::UpdateDraftRequest& req);
  absl::StatusOr<pb::Agreement> IssueAgreement(
      const Call& call, const pb::IssueAgreementRequest& req);
  absl::StatusOr<pb::Agreement> SignAgreement(
      const Call& call, const pb::SignAgreementRequest& req);
  absl::StatusOr<pb::Agreement> CountersignAgreement(
      const Call& call, const pb::SignAgreementRequest& req);
  absl::StatusOr<pb::Agreement> GetAgreement(
      const Call& call, const pb::GetAgreementRequest& req);
  absl::StatusOr<pb::ListAgreementsResponse> ListAgreements(
      const Call& call, const pb::ListAgreementsRequest& req);
  absl::StatusOr<pb::Document> GetDocument(const Call& call,
                                           const pb::GetDocumentRequest& req);
  absl::StatusOr<pb::Agreement> TerminateAgreement(
      const Call& call, const pb::TerminateAgreementRequest& req);
  absl::StatusOr<pb::Agreement> SubmitReport(
      const Call& call, const pb::SubmitReportRequest& req);
  absl::StatusOr<pb::Agreement> ReviewReport(
      const Call& call, const pb::ReviewReportRequest& req);
  // Indicator totals over the fund's agreements (see Outcomes).
  // INVALID_ARGUMENT for a bad fund name; PERMISSION_DENIED outside the
  // caller's funds. Reads every agreement (a report, not a hot path).
  absl::StatusOr<pb::Outcomes> GetOutcomes(const Call& call,
                                           const pb::GetOutcomesRequest& req);
  absl::StatusOr<pb::Agreement> ApplyCaseOutcome(
      const Call& call, const pb::ApplyCaseOutcomeRequest& req);

  // Adds the reminders due at `now` and marks reports past due as overdue
  // (at most `limit` agreements changed). Returns how many changed.
  absl::StatusOr<int> RemindDue(absl::Time now, int limit = 100);

  // Personal data held about a person or an organisation, for the host's
  // subject access and erasure (platform/personal_data.h). For an
  // organisation: its agreements, kept by their case (an executed agreement
  // is the funder's legal record); erasure takes the recipient's signatory
  // and report authors off. For a person: the agreements naming them.
  absl::StatusOr<std::vector<Holding>> PersonalData(
      const privacy::v1::Subject& subject) const;

 private:
  // The agreement `name`, NOT_FOUND for an organisation's user when it is
  // another organisation's.
  absl::StatusOr<Versioned<pb::Agreement>> Visible(const Call& call,
                                                   const std::string& name,
                                                   const std::string& field);
  absl::StatusOr<pb::AgreementTemplate> TemplateFor(const std::string& fund);
  // Records `fact` on the agreement's case on the caller's behalf, as their
  // token shows them.
  absl::Status Tell(const Call& call, const pb::Agreement& a,
                    const std::string& fact, const std::string& reason,
                    const std::string& request_id,
                    workflow::v1::FactPayload payload = {},
                    const std::string& already = "");

  storage::Store* store_;
  CaseClient* cases_;
  ApplicantSource* applicants_;
  StateTable<pb::Agreement> agreements_;
  ProtoTable<pb::AgreementTemplate> templates_;
};

}  // namespace grantflow::agreements

#endif  // GRANTFLOW_SERVICES_AGREEMENTS_AGREEMENTS_H_
