// Finance's pages: payments waiting for approval, approved payments to
// release into a remittance batch, released payments to confirm, the
// batches with their remittance CSV; and the downloads the grants team
// publishes: the grant register (CSV) and 360Giving open data (JSON).
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "platform/money.h"
#include "web/portal.h"
#include "web/widgets.h"

namespace grantflow::web {
namespace {

namespace pay = payments::v1;
namespace rep = reports::v1;

const std::vector<std::string> kFinance = {"finance_officer",
                                           "finance_approver", "auditor",
                                           "admin", "grants_officer"};
const std::vector<std::string> kMovers = {"finance_officer",
                                          "finance_approver"};

Json PaymentRows(Page& page, pay::Payment::State state, Json* forms) {
  pay::ListPaymentsRequest req;
  req.set_state(state);
  req.set_page_size(200);
  pay::ListPaymentsResponse resp;
  Json rows = Json::array();
  if (!page.Call(page.backend().payments(),
                 &pay::PaymentService::Stub::ListPayments, req, &resp)
           .ok()) {
    return rows;
  }
  for (const pay::Payment& p : resp.payments()) {
    const std::string id = IdOf(p.name());
    rows.push_back({Cell(id, "/staff/grants/" + IdOf(p.case_())),
                    Cell(IdOf(p.organisation())), Cell(p.instalment_id()),
                    NumberCell(FormatPounds(p.amount_pence())),
                    Cell(p.requested_by())});
    if (forms == nullptr) continue;
    const std::string base = "/staff/payments/" + id;
    if (state == pay::Payment::REQUESTED &&
        page.who().HasRole("finance_approver")) {
      forms->push_back(
          {{"form",
            {{"action", base + "/approve"},
             {"inline", true},
             {"hidden", {{{"name", "etag"}, {"value", p.etag()}}}},
             {"fields", Json::array()},
             {"button", absl::StrCat("Approve ", id, " (",
                                     FormatPounds(p.amount_pence()), ")")}}}});
    }
    if (state == pay::Payment::RELEASED &&
        (page.who().HasRole("finance_officer") ||
         page.who().HasRole("finance_approver"))) {
      forms->push_back({{"form",
                         {{"action", base + "/confirm"},
                          {"inline", true},
                          {"fields", Json::array()},
                          {"secondary", true},
                          {"button", absl::StrCat("Confirm ", id, " paid")}}}});
    }
  }
  return rows;
}

void Payments(Page& page) {
  Json blocks = Json::array();
  const std::vector<std::string> headers = {
      "Payment", "Organisation", "Instalment", "Amount", "Requested by"};
  const std::vector<bool> numeric = {false, false, false, true, false};
  struct Section {
    pay::Payment::State state;
    const char* title;
  };
  for (const Section& sec :
       {Section{pay::Payment::REQUESTED, "Waiting for approval"},
        Section{pay::Payment::AUTHORIZED, "Approved, to release"},
        Section{pay::Payment::RELEASED, "Sent to the bank, to confirm"},
        Section{pay::Payment::PAID, "Paid"}}) {
    Json forms = Json::array();
    Json rows = PaymentRows(page, sec.state, &forms);
    blocks.push_back(Table(sec.title, headers, numeric, rows));
    for (auto& f : forms) blocks.push_back(f);
    if (sec.state == pay::Payment::AUTHORIZED && !rows.empty() &&
        (page.who().HasRole("finance_officer") ||
         page.who().HasRole("finance_approver"))) {
      blocks.push_back(
          {{"form",
            {{"action", "/staff/payments/release"},
             {"fields", Json::array()},
             {"button", "Release approved payments to the bank"}}}});
    }
  }
  pay::ListRemittanceBatchesRequest breq;
  breq.set_state(pay::RemittanceBatch::RELEASED);
  breq.set_page_size(100);
  pay::ListRemittanceBatchesResponse batches;
  Json brows = Json::array();
  if (page.Call(page.backend().payments(),
                &pay::PaymentService::Stub::ListRemittanceBatches, breq,
                &batches)
          .ok()) {
    for (const pay::RemittanceBatch& b : batches.batches()) {
      const std::string id = IdOf(b.name());
      brows.push_back(
          {Cell(id), NumberCell(absl::StrCat(b.payment_count())),
           NumberCell(FormatPounds(b.total_pence())),
           Cell("Download CSV", "/staff/remittance/" + id + ".csv")});
    }
  }
  blocks.push_back(Table("Remittance batches",
                         {"Batch", "Payments", "Total", "File"},
                         {false, true, true, false}, brows));
  page.Render("Payments", "page",
              {{"heading", "Payments"}, {"wide", true}, {"blocks", blocks}});
}

// Runs a payment command and goes back to the payments page.
template <typename Req>
void Command(Page& page, Req req,
             grpc::Status (pay::PaymentService::Stub::*method)(
                 grpc::ClientContext*, const Req&, pay::Payment*),
             const std::string& done) {
  pay::Payment out;
  absl::Status s = page.Call(page.backend().payments(), method, req, &out);
  if (!s.ok()) {
    page.Refuse(Explain(s), "The payment was not changed");
    return;
  }
  page.Redirect("/staff/payments",
                absl::StrCat(done, ": ", FormatPounds(out.amount_pence())));
}

void Approve(Page& page) {
  pay::ApprovePaymentRequest req;
  req.set_name("payments/" + page.Match(1));
  req.set_etag(page.Param("etag"));
  req.set_request_id(page.RequestId());
  Command(page, req, &pay::PaymentService::Stub::ApprovePayment,
          "Payment approved");
}

void Confirm(Page& page) {
  pay::ConfirmPaymentRequest req;
  req.set_name("payments/" + page.Match(1));
  req.set_request_id(page.RequestId());
  Command(page, req, &pay::PaymentService::Stub::ConfirmPayment,
          "Payment confirmed");
}

void Release(Page& page) {
  pay::ReleasePaymentsRequest req;
  req.set_request_id(page.RequestId());
  pay::RemittanceBatch batch;
  if (!page.Fetch(page.backend().payments(),
                  &pay::PaymentService::Stub::ReleasePayments, req, &batch)) {
    return;
  }
  page.Redirect("/staff/payments",
                absl::StrCat("Released ", batch.payment_count(),
                             " payment(s), ", FormatPounds(batch.total_pence()),
                             ", in batch ", IdOf(batch.name())));
}

void Download(Page& page, const std::string& filename, const std::string& type,
              const std::string& content) {
  page.res().set_header(
      "Content-Disposition",
      absl::StrCat("attachment; filename=\"", filename, "\""));
  page.res().set_content(content, type);
}

void RemittanceCsv(Page& page) {
  pay::ExportRemittanceRequest req;
  req.set_name("remittanceBatches/" + page.Match(1));
  pay::RemittanceFile file;
  if (!page.Fetch(page.backend().payments(),
                  &pay::PaymentService::Stub::ExportRemittance, req, &file)) {
    return;
  }
  Download(page, IdOf(file.batch()) + ".csv", file.content_type(),
           file.content());
}

// A fund's report from ReportService, as a download.
template <typename Req>
void FundExport(Page& page,
                grpc::Status (rep::ReportService::Stub::*method)(
                    grpc::ClientContext*, const Req&, rep::ExportFile*)) {
  Req req;
  req.set_fund("funds/" + page.Match(1));
  rep::ExportFile file;
  if (!page.Fetch(page.backend().reports(), method, req, &file)) return;
  Download(page, file.filename(), file.content_type(), file.content());
}

void Register(Page& page) {
  FundExport(page, &rep::ReportService::Stub::ExportGrantRegister);
}

void OpenData(Page& page) {
  FundExport(page, &rep::ReportService::Stub::Export360Giving);
}

}  // namespace

void InstallFinancePages(Portal& portal, httplib::Server& s) {
  portal.Get(s, "/staff/payments", kFinance, Payments);
  portal.Post(s, R"(/staff/payments/([a-z0-9-]+)/approve)",
              {"finance_approver"}, Approve);
  portal.Post(s, R"(/staff/payments/([a-z0-9-]+)/confirm)", kMovers, Confirm);
  portal.Post(s, "/staff/payments/release", kMovers, Release);
  portal.Get(s, R"(/staff/remittance/([a-z0-9-]+)\.csv)", kFinance,
             RemittanceCsv);
  portal.Get(s, R"(/staff/funds/([a-z0-9-]+)/register\.csv)",
             {"grants_officer", "approver", "finance_officer",
              "finance_approver", "auditor", "admin"},
             Register);
  portal.Get(s, R"(/staff/funds/([a-z0-9-]+)/360giving\.json)",
             {"grants_officer", "approver", "auditor", "admin"}, OpenData);
}

}  // namespace grantflow::web
