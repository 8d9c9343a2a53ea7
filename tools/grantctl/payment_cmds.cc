// grantctl commands for PaymentService: an organisation's bank account
// recorded and verified by a second person; payments of an executed
// agreement's instalments requested, approved (or rejected), released in
// remittance batches and confirmed paid or failed; the batches' CSV.
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "grantflow/payments/v1/payments.grpc.pb.h"
#include "platform/money.h"
#include "tools/grantctl/commands.h"
#include "tools/grantctl/helpers.h"

namespace grantflow::grantctl {
namespace {

namespace ppb = ::grantflow::payments::v1;

// Sort code 12-34-56 and the account number's last four digits: enough to
// check against a letter, not enough to copy from a screen.
std::string Masked(const ppb::BankDetails& d) {
  if (d.account_number().empty()) return "-";
  const std::string& s = d.sort_code();
  const std::string& n = d.account_number();
  return absl::StrCat(d.account_name(), ", ",
                      s.size() == 6
                          ? absl::StrCat(s.substr(0, 2), "-", s.substr(2, 2),
                                         "-", s.substr(4, 2))
                          : s,
                      ", ****", n.size() > 4 ? n.substr(n.size() - 4) : n);
}

void AccountDetail(const ppb::BankAccount& b, std::ostream& out) {
  out << b.name() << "  " << ppb::BankAccount::State_Name(b.state())
      << "  (etag " << b.etag() << ")\n"
      << "  organisation:  " << b.organisation() << "\n"
      << "  verified:      " << Masked(b.verified());
  if (!b.verified_by().empty()) {
    out << " (by " << b.verified_by() << " on " << When(b.verify_time()) << ")";
  }
  out << "\n";
  if (!b.proposed().account_number().empty()) {
    out << "  proposed:      " << Masked(b.proposed()) << " by "
        << b.proposed_by() << " on " << When(b.propose_time());
    if (!b.change_reason().empty()) out << ": " << b.change_reason();
    out << "\n  (payments to this organisation are held until a finance "
           "approver other than "
        << b.proposed_by() << " verifies it)\n";
  }
}

void PaymentDetail(const ppb::Payment& p, std::ostream& out) {
  out << p.name() << "  " << ppb::Payment::State_Name(p.state()) << "  "
      << FormatPounds(p.amount_pence()) << "  (etag " << p.etag() << ")\n"
      << "  for:           instalment " << p.instalment_id() << " of "
      << p.agreement() << " v" << p.agreement_version() << " (" << p.case_()
      << ", " << p.organisation() << ")\n"
      << "  requested:     by " << p.requested_by() << " on "
      << When(p.request_time());
  if (!p.note().empty()) out << ": " << p.note();
  out << "\n";
  if (!p.approved_by().empty()) {
    out << "  approved:      by " << p.approved_by() << " (limit "
        << FormatPounds(p.approver_limit_pence()) << ") on "
        << When(p.approve_time()) << "\n";
  }
  if (!p.batch().empty()) {
    out << "  released:      in " << p.batch() << " on "
        << When(p.release_time()) << " to " << Masked(p.payee()) << "\n";
  }
  if (!p.settled_by().empty()) {
    out << "  settled:       by " << p.settled_by() << " on "
        << When(p.settle_time()) << "\n";
  }
  if (!p.failure_reason().empty()) {
    out << "  reason:        " << p.failure_reason() << "\n";
  }
}

void PaymentRows(Table& t, const ppb::Payment& p) {
  t.Add({p.name(), ppb::Payment::State_Name(p.state()), p.case_(),
         p.instalment_id(), FormatPounds(p.amount_pence()), p.requested_by(),
         p.approved_by().empty() ? "-" : p.approved_by(),
         p.batch().empty() ? "-" : p.batch()});
}

void BatchDetail(const ppb::RemittanceBatch& b, std::ostream& out) {
  out << b.name() << "  " << ppb::RemittanceBatch::State_Name(b.state()) << "  "
      << b.payment_count() << " payment(s), " << FormatPounds(b.total_pence())
      << ", released by " << b.released_by() << " on " << When(b.create_time())
      << "\n";
  Table t({"PAYMENT", "CASE", "PAYEE", "AMOUNT", "REFERENCE"});
  for (const auto& l : b.lines()) {
    t.Add({l.payment(), l.case_(), Masked(l.payee()),
           FormatPounds(l.amount_pence()), l.reference()});
  }
  t.Print(out);
  for (const auto& h : b.held()) {
    out << "  held:          " << h << " (bank details not verified)\n";
  }
}

constexpr char kBankUsage[] =
    "bank get ORG\n"
    "  | change ORG --account-name N --sort-code 123456 --account-number "
    "12345678 [--reason T] [--etag E]\n"
    "  | verify ORG --etag E (or approve) | reject ORG --reason T [--etag E]";

constexpr char kPaymentUsage[] =
    "payment request CASE --instalment ID [--amount-pence N] [--note T]\n"
    "  | approve PAYMENT [--etag E] | reject PAYMENT --reason T [--etag E]\n"
    "  | get PAYMENT | list --state REQUESTED|AUTHORIZED|RELEASED|PAID|FAILED|"
    "REJECTED [--all]\n"
    "  | release | confirm PAYMENT | fail PAYMENT --reason T";

}  // namespace

int BankCommand(Cli& cli) {
  auto stub = ppb::PaymentService::NewStub(cli.channel("payments"));
  const std::string verb = Arg(cli, 1);
  const std::string name = NameIn("bankAccounts", Arg(cli, 2));
  ppb::BankAccount out;
  auto ctx = cli.Context();
  grpc::Status s;
  if (verb == "get") {
    ppb::GetBankAccountRequest req;
    req.set_name(name);
    s = stub->GetBankAccount(ctx.get(), req, &out);
  } else if (verb == "change") {
    ppb::ChangeBankAccountRequest req;
    req.set_organisation(NameIn("organisations", Arg(cli, 2)));
    req.mutable_details()->set_account_name(cli.args().Get("account-name"));
    req.mutable_details()->set_sort_code(cli.args().Get("sort-code"));
    req.mutable_details()->set_account_number(cli.args().Get("account-number"));
    req.set_reason(cli.args().Get("reason"));
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    s = stub->ChangeBankAccount(ctx.get(), req, &out);
  } else if (verb == "verify" || verb == "approve") {
    ppb::VerifyBankAccountRequest req;
    req.set_name(name);
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    s = stub->VerifyBankAccount(ctx.get(), req, &out);
  } else if (verb == "reject") {
    ppb::RejectBankAccountChangeRequest req;
    req.set_name(name);
    req.set_reason(cli.args().Get("reason"));
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    s = stub->RejectBankAccountChange(ctx.get(), req, &out);
  } else {
    return cli.Usage(kBankUsage);
  }
  return Show<ppb::BankAccount>(cli, s, out, AccountDetail);
}

int PaymentCommand(Cli& cli) {
  auto stub = ppb::PaymentService::NewStub(cli.channel("payments"));
  const std::string verb = Arg(cli, 1);
  if (verb == "list") {
    ppb::ListPaymentsRequest req;
    ppb::Payment::State st;
    if (!ppb::Payment::State_Parse(
            absl::AsciiStrToUpper(cli.args().Get("state")), &st)) {
      return cli.Usage(kPaymentUsage);
    }
    req.set_state(st);
    return ListPages<ppb::ListPaymentsRequest, ppb::ListPaymentsResponse,
                     ppb::Payment>(
        cli, req,
        [&](auto* c, const auto& r, auto* o) {
          return stub->ListPayments(c, r, o);
        },
        [](const auto& r) -> const auto& { return r.payments(); },
        Table({"PAYMENT", "STATE", "CASE", "INSTALMENT", "AMOUNT",
               "REQUESTED BY", "APPROVED BY", "BATCH"}),
        PaymentRows);
  }
  if (verb == "release") {
    ppb::ReleasePaymentsRequest req;
    req.set_request_id(cli.RequestId());
    ppb::RemittanceBatch out;
    auto ctx = cli.Context();
    return Show<ppb::RemittanceBatch>(
        cli, stub->ReleasePayments(ctx.get(), req, &out), out, BatchDetail);
  }
  const std::string name = NameIn("payments", Arg(cli, 2));
  ppb::Payment out;
  auto ctx = cli.Context();
  grpc::Status s;
  if (verb == "request") {
    ppb::RequestPaymentRequest req;
    req.set_case_(NameIn("cases", Arg(cli, 2)));
    req.set_instalment_id(cli.args().Get("instalment"));
    int64_t pence = 0;
    if (!IntFlag(cli, "amount-pence", &pence)) {
      return cli.Usage("--amount-pence must be a whole number of pence");
    }
    req.set_amount_pence(pence);
    req.set_note(cli.args().Get("note"));
    req.set_request_id(cli.RequestId());
    s = stub->RequestPayment(ctx.get(), req, &out);
  } else if (verb == "approve") {
    ppb::ApprovePaymentRequest req;
    req.set_name(name);
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    s = stub->ApprovePayment(ctx.get(), req, &out);
  } else if (verb == "reject") {
    ppb::RejectPaymentRequest req;
    req.set_name(name);
    req.set_reason(cli.args().Get("reason"));
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    s = stub->RejectPayment(ctx.get(), req, &out);
  } else if (verb == "get") {
    ppb::GetPaymentRequest req;
    req.set_name(name);
    s = stub->GetPayment(ctx.get(), req, &out);
  } else if (verb == "confirm") {
    ppb::ConfirmPaymentRequest req;
    req.set_name(name);
    req.set_request_id(cli.RequestId());
    s = stub->ConfirmPayment(ctx.get(), req, &out);
  } else if (verb == "fail") {
    ppb::FailPaymentRequest req;
    req.set_name(name);
    req.set_reason(cli.args().Get("reason"));
    req.set_request_id(cli.RequestId());
    s = stub->FailPayment(ctx.get(), req, &out);
  } else {
    return cli.Usage(kPaymentUsage);
  }
  return Show<ppb::Payment>(cli, s, out, PaymentDetail);
}

int RemittanceCommand(Cli& cli) {
  auto stub = ppb::PaymentService::NewStub(cli.channel("payments"));
  const std::string verb = Arg(cli, 1);
  if (verb == "list") {
    ppb::ListRemittanceBatchesRequest req;
    req.set_state(ppb::RemittanceBatch::RELEASED);
    return ListPages<ppb::ListRemittanceBatchesRequest,
                     ppb::ListRemittanceBatchesResponse, ppb::RemittanceBatch>(
        cli, req,
        [&](auto* c, const auto& r, auto* o) {
          return stub->ListRemittanceBatches(c, r, o);
        },
        [](const auto& r) -> const auto& { return r.batches(); },
        Table({"BATCH", "PAYMENTS", "TOTAL", "HELD", "RELEASED BY",
               "WHEN (UTC)"}),
        [](Table& t, const ppb::RemittanceBatch& b) {
          t.Add({b.name(), absl::StrCat(b.payment_count()),
                 FormatPounds(b.total_pence()), absl::StrCat(b.held_size()),
                 b.released_by(), When(b.create_time())});
        });
  }
  const std::string name = NameIn("remittanceBatches", Arg(cli, 2));
  auto ctx = cli.Context();
  if (verb == "get") {
    ppb::GetRemittanceBatchRequest req;
    req.set_name(name);
    ppb::RemittanceBatch out;
    return Show<ppb::RemittanceBatch>(
        cli, stub->GetRemittanceBatch(ctx.get(), req, &out), out, BatchDetail);
  }
  if (verb == "export") {
    ppb::ExportRemittanceRequest req;
    req.set_name(name);
    ppb::RemittanceFile file;
    grpc::Status s = stub->ExportRemittance(ctx.get(), req, &file);
    if (!s.ok()) return cli.Fail(s);
    if (cli.json()) return cli.Print(file);
    if (int rc = WriteContent(cli, file.content()); rc != 0) return rc;
    cli.err() << file.batch() << " sha256 " << file.sha256() << "\n";
    return 0;
  }
  return cli.Usage(
      "remittance list [--all] | get BATCH | export BATCH [--out FILE.csv]");
}

}  // namespace grantflow::grantctl
