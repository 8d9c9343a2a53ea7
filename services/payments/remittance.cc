// Remittance batches: authorised payments released, in one atomic write, to
// the organisations' verified bank accounts, and the CSV a finance system
// imports.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "platform/csv.h"
#include "platform/money.h"
#include "platform/resources.h"
#include "platform/status_macros.h"
#include "services/payments/internal.h"
#include "storage/digest.h"

namespace grantflow::payments {
namespace {

// The payee's statement reference: the funder's short code and the
// payment's id, within the 18 characters Bacs carries.
std::string Reference(const std::string& payment_id) {
  std::string ref = absl::StrCat("GF ", payment_id);
  std::transform(ref.begin(), ref.end(), ref.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  return ref.substr(0, 18);
}

}  // namespace

absl::StatusOr<pb::RemittanceBatch> Payments::ReleasePayments(
    const Call& call, const pb::ReleasePaymentsRequest& req) {
  errors::Violations v;
  ValidateRequestId(req.request_id(), &v);
  if (!v.empty()) return v.ToStatus();
  RETURN_IF_ERROR(RequireEveryFund(call, "a remittance batch"));
  std::lock_guard<std::mutex> one_release(release_mu_);
  return RunOnce<pb::RemittanceBatch>(
      *store_, call, req.request_id(), req,
      [&](storage::WriteSet& w) -> absl::StatusOr<pb::RemittanceBatch> {
        // Every authorised payment, a page at a time, up to a batch's worth
        // of payable ones.
        // Each payment taken, with its version, and the account it goes to.
        std::vector<std::pair<Versioned<pb::Payment>, pb::BankDetails>> take;
        pb::RemittanceBatch batch;
        std::string token;
        do {
          errors::Violations none;
          ASSIGN_OR_RETURN(
              Listed<pb::Payment> page,
              payments_.ListState(pb::Payment::AUTHORIZED, 0, token, none));
          for (const pb::Payment& p : page.items) {
            if (take.size() >= static_cast<size_t>(kMaxBatchPayments)) break;
            absl::StatusOr<pb::BankAccount> account =
                PayableAccount(p.organisation());
            if (!account.ok()) {
              batch.add_held(p.name());
              continue;
            }
            // Read with its version: the write requires it unchanged.
            ASSIGN_OR_RETURN(Versioned<pb::Payment> row,
                             payments_.Get(p.name()));
            if (row.msg.state() == pb::Payment::AUTHORIZED) {
              take.emplace_back(std::move(row), account->verified());
            }
          }
          token = page.next_page_token;
        } while (!token.empty() &&
                 take.size() < static_cast<size_t>(kMaxBatchPayments));
        if (take.empty()) {
          return errors::FailedPrecondition(
              reasons::kNothingToRelease,
              batch.held().empty()
                  ? std::string("no authorised payment is waiting")
                  : absl::StrCat("every authorised payment is held: ",
                                 absl::StrJoin(batch.held(), ", "),
                                 " (bank details not verified)"));
        }
        const std::string id = NewId(call.now);
        batch.set_name(batches_.NameOf(id));
        batch.set_state(pb::RemittanceBatch::RELEASED);
        batch.set_released_by(call.principal.user);
        *batch.mutable_create_time() = ToProto(call.now);
        *batch.mutable_update_time() = ToProto(call.now);
        int64_t total = 0;
        for (auto& [row, payee] : take) {
          pb::Payment p = row.msg;
          p.set_state(pb::Payment::RELEASED);
          p.set_batch(batch.name());
          *p.mutable_payee() = payee;
          *p.mutable_release_time() = ToProto(call.now);
          *p.mutable_update_time() = ToProto(call.now);
          payments_.Write(w, call, p, &row.msg, row.version, req.request_id(),
                          absl::StrCat("released in ", batch.name()), "");
          pb::RemittanceLine* line = batch.add_lines();
          line->set_payment(p.name());
          line->set_case_(p.case_());
          line->set_organisation(p.organisation());
          *line->mutable_payee() = payee;
          line->set_amount_pence(p.amount_pence());
          line->set_reference(Reference(payments_.IdOf(p.name())));
          total += p.amount_pence();  // each within the cap: cannot wrap
        }
        batch.set_payment_count(batch.lines_size());
        batch.set_total_pence(total);
        batches_.Write(w, call, batch, nullptr, 0, req.request_id(),
                       absl::StrCat("released ", batch.payment_count(),
                                    " payments, ", FormatPounds(total)),
                       "");
        batch.set_etag("1");
        return batch;
      });
}

absl::StatusOr<pb::RemittanceBatch> Payments::GetRemittanceBatch(
    const Call& call, const pb::GetRemittanceBatchRequest& req) {
  RETURN_IF_ERROR(RequireEveryFund(call, "a remittance batch"));
  ASSIGN_OR_RETURN(auto got, batches_.Get(req.name()));
  return got.msg;
}

absl::StatusOr<pb::ListRemittanceBatchesResponse>
Payments::ListRemittanceBatches(const Call& call,
                                const pb::ListRemittanceBatchesRequest& req) {
  RETURN_IF_ERROR(RequireEveryFund(call, "a remittance batch"));
  return batches_.ListPage(call, req.state(), req.page_size(), req.page_token(),
                           &pb::ListRemittanceBatchesResponse::mutable_batches);
}

absl::StatusOr<pb::RemittanceFile> Payments::ExportRemittance(
    const Call& call, const pb::ExportRemittanceRequest& req) {
  RETURN_IF_ERROR(RequireEveryFund(call, "a remittance batch"));
  ASSIGN_OR_RETURN(auto got, batches_.Get(req.name()));
  const pb::RemittanceBatch& b = got.msg;
  std::string csv =
      "payment_reference,payee_account_name,sort_code,account_number,"
      "amount_gbp,payment,case,organisation\r\n";
  for (const pb::RemittanceLine& l : b.lines()) {
    AppendCsvRow(
        &csv,
        {CsvField(l.reference()), CsvField(l.payee().account_name()),
         CsvField(l.payee().sort_code()), CsvField(l.payee().account_number()),
         DecimalPounds(l.amount_pence()), CsvField(l.payment()),
         CsvField(l.case_()), CsvField(l.organisation())});
  }
  pb::RemittanceFile f;
  f.set_batch(b.name());
  f.set_content_type("text/csv; charset=utf-8");
  f.set_sha256(storage::Sha256Hex(csv));
  f.set_content(std::move(csv));
  return f;
}

}  // namespace grantflow::payments
