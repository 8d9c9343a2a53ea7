// PaymentService's domain: organisations' bank accounts, payment requests
// and their approval, remittance batches, and the bank's answer, on the
// service's own store (see proto/grantflow/payments/v1).
//
// Every step that moves money is asked of the workflow engine first, on the
// finance person's behalf (AuthorizePayment, ConfirmPayment, VoidPayment);
// the engine's refusal is returned as it gave it and nothing is written
// here. This service re-checks what it can see before the engine does (an
// executed agreement, open conditions, overdue reports, the award) so a
// request that cannot be paid is refused when it is raised.
#ifndef GRANTFLOW_SERVICES_PAYMENTS_PAYMENTS_H_
#define GRANTFLOW_SERVICES_PAYMENTS_PAYMENTS_H_

#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grantflow/payments/v1/payments.pb.h"
#include "platform/call.h"
#include "platform/locks.h"
#include "platform/personal_data.h"
#include "platform/state_table.h"
#include "services/common/agreement_source.h"
#include "services/common/applicant_source.h"
#include "services/common/case_client.h"
#include "storage/store.h"

namespace grantflow::payments {

namespace pb = ::grantflow::payments::v1;

// At most this many payments go in one remittance batch; the rest wait
// for the next release.
inline constexpr int kMaxBatchPayments = 500;

// Thread-safe. Does not own `store`, `cases`, `agreements` or `applicants`;
// all must outlive it.
//
// Status codes: INVALID_ARGUMENT (bad fields, each named); NOT_FOUND
// (another organisation's account reads as absent); PERMISSION_DENIED (an
// organisation's signatory for another organisation); ABORTED (etag);
// UNAVAILABLE (a peer unreachable); FAILED_PRECONDITION with a reason:
//   bank accounts: SEPARATION_OF_DUTIES (verifying one's own change),
//     NOTHING_TO_VERIFY;
//   requests: AGREEMENT_NOT_EXECUTED, CONDITIONS_OPEN, REPORT_OUTSTANDING,
//     CASE_CLOSED, EXCEEDS_AWARD, PAYMENT_NOT_SCHEDULED, INSTALMENT_NOT_DUE,
//     EXCEEDS_INSTALMENT, INSTALMENT_REQUESTED (nothing left of it);
//   approval: SEPARATION_OF_DUTIES (the requester), DELEGATED_LIMIT_EXCEEDED
//     (the approver's "pay" limit), BANK_DETAILS_UNVERIFIED, and every
//     refusal of the engine's AuthorizePayment;
//   PAYMENT_STATE for a step the payment's state does not allow;
//   NOTHING_TO_RELEASE when no authorised payment can be released.
class Payments {
 public:
  Payments(storage::Store* store, CaseClient* cases,
           AgreementSource* agreements, ApplicantSource* applicants);

  absl::StatusOr<pb::BankAccount> ChangeBankAccount(
      const Call& call, const pb::ChangeBankAccountRequest& req);
  absl::StatusOr<pb::BankAccount> VerifyBankAccount(
      const Call& call, const pb::VerifyBankAccountRequest& req);
  absl::StatusOr<pb::BankAccount> RejectBankAccountChange(
      const Call& call, const pb::RejectBankAccountChangeRequest& req);
  absl::StatusOr<pb::BankAccount> GetBankAccount(
      const Call& call, const pb::GetBankAccountRequest& req);

  absl::StatusOr<pb::Payment> RequestPayment(
      const Call& call, const pb::RequestPaymentRequest& req);
  absl::StatusOr<pb::Payment> ApprovePayment(
      const Call& call, const pb::ApprovePaymentRequest& req);
  absl::StatusOr<pb::Payment> RejectPayment(
      const Call& call, const pb::RejectPaymentRequest& req);
  absl::StatusOr<pb::Payment> GetPayment(const Call& call,
                                         const pb::GetPaymentRequest& req);
  absl::StatusOr<pb::ListPaymentsResponse> ListPayments(
      const Call& call, const pb::ListPaymentsRequest& req);

  // One atomic write: the batch and every payment in it. A retry with the
  // same request id answers the same batch; a payment is never in two.
  absl::StatusOr<pb::RemittanceBatch> ReleasePayments(
      const Call& call, const pb::ReleasePaymentsRequest& req);
  absl::StatusOr<pb::Payment> ConfirmPayment(
      const Call& call, const pb::ConfirmPaymentRequest& req);
  absl::StatusOr<pb::Payment> FailPayment(const Call& call,
                                          const pb::FailPaymentRequest& req);
  absl::StatusOr<pb::RemittanceBatch> GetRemittanceBatch(
      const Call& call, const pb::GetRemittanceBatchRequest& req);
  absl::StatusOr<pb::ListRemittanceBatchesResponse> ListRemittanceBatches(
      const Call& call, const pb::ListRemittanceBatchesRequest& req);
  absl::StatusOr<pb::RemittanceFile> ExportRemittance(
      const Call& call, const pb::ExportRemittanceRequest& req);

  // Personal data held about a person or an organisation, for the host's
  // subject access and erasure (platform/personal_data.h). For an
  // organisation: its bank account (kept while anything else is, or while a
  // change awaits verification), payments to it and the remittance batches
  // paying it, each kept by its grant's case; erasure blanks the bank
  // details (the account then needs new ones verified). For a person: the
  // records naming them (requested, approved, released, verified).
  absl::StatusOr<std::vector<Holding>> PersonalData(
      const privacy::v1::Subject& subject) const;

 private:
  // The case's payments (any state), from the by-case index.
  absl::StatusOr<std::vector<pb::Payment>> PaymentsOfCase(
      const std::string& case_id) const;
  // OK when the organisation's payments may go: its account verified with
  // no change pending; else BANK_DETAILS_UNVERIFIED.
  absl::StatusOr<pb::BankAccount> PayableAccount(
      const std::string& organisation) const;

  storage::Store* store_;
  CaseClient* cases_;
  AgreementSource* agreements_;
  ApplicantSource* applicants_;
  StateTable<pb::BankAccount> accounts_;
  StateTable<pb::Payment> payments_;
  StateTable<pb::RemittanceBatch> batches_;
  // One request per case at a time (instalments are shared out under it).
  LockTable case_locks_;
  // One release at a time.
  std::mutex release_mu_;
};

}  // namespace grantflow::payments

#endif  // GRANTFLOW_SERVICES_PAYMENTS_PAYMENTS_H_
