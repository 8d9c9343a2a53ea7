// grantctl commands for ReportService: the grant register (as a table or
// CSV) and the 360Giving open-data file.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grantflow/reports/v1/reports.grpc.pb.h"
#include "platform/money.h"
#include "tools/grantctl/commands.h"
#include "tools/grantctl/helpers.h"

namespace grantflow::grantctl {
namespace {

namespace rpb = ::grantflow::reports::v1;

std::string FundArg(Cli& cli) {
  const std::string fund = Arg(cli, 1);
  return fund.empty() || fund.rfind("funds/", 0) == 0 ? fund : "funds/" + fund;
}

int WriteFile(Cli& cli, const grpc::Status& s, const rpb::ExportFile& f) {
  if (!s.ok()) return cli.Fail(s);
  if (cli.json()) return cli.Print(f);
  if (int rc = WriteContent(cli, f.content()); rc != 0) return rc;
  cli.err() << f.filename() << ": " << f.records() << " grants";
  if (f.deferred() > 0) {
    cli.err() << ", " << f.deferred() << " awaiting their publication date";
  }
  cli.err() << ", sha256 " << f.sha256() << "\n";
  return 0;
}

}  // namespace

int GrantsCommand(Cli& cli) {
  rpb::ListGrantsRequest req;
  req.set_fund(FundArg(cli));
  if (req.fund().empty()) return cli.Usage("grants funds/F [--round R]");
  req.set_round(cli.args().Get("round"));
  auto stub = rpb::ReportService::NewStub(cli.channel("reports"));
  // A page may hold no grants while more follow: read to the end.
  rpb::ListGrantsResponse all;
  do {
    rpb::ListGrantsResponse page;
    auto ctx = cli.Context();
    grpc::Status s = stub->ListGrants(ctx.get(), req, &page);
    if (!s.ok()) return cli.Fail(s);
    all.mutable_grants()->MergeFrom(page.grants());
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty());
  if (cli.json()) return cli.Print(all);
  Table t({"GRANT", "RECIPIENT", "ORG ID", "AWARDED", "PAID", "OUTSTANDING",
           "AWARDED ON", "AGREEMENT", "STATUS"});
  int64_t awarded = 0, paid = 0, outstanding = 0;
  for (const rpb::GrantRecord& g : all.grants()) {
    t.Add({g.grant(), g.recipient_name(), g.recipient_org_id(),
           FormatPounds(g.amount_awarded_pence()), FormatPounds(g.paid_pence()),
           FormatPounds(g.outstanding_pence()), g.award_date(),
           g.agreement_date(), g.status()});
    awarded += g.amount_awarded_pence();
    paid += g.paid_pence();
    outstanding += g.outstanding_pence();
  }
  t.Add({absl::StrCat("total (", all.grants_size(), ")"), "", "",
         FormatPounds(awarded), FormatPounds(paid), FormatPounds(outstanding),
         "", "", ""});
  t.Print(cli.out());
  return 0;
}

int RegisterCommand(Cli& cli) {
  rpb::ExportGrantRegisterRequest req;
  req.set_fund(FundArg(cli));
  if (req.fund().empty()) {
    return cli.Usage("register funds/F [--round R] [--out FILE.csv]");
  }
  req.set_round(cli.args().Get("round"));
  auto stub = rpb::ReportService::NewStub(cli.channel("reports"));
  rpb::ExportFile f;
  auto ctx = cli.Context();
  return WriteFile(cli, stub->ExportGrantRegister(ctx.get(), req, &f), f);
}

int OpenDataCommand(Cli& cli) {
  rpb::Export360GivingRequest req;
  req.set_fund(FundArg(cli));
  if (req.fund().empty()) return cli.Usage("open-data funds/F [--out FILE]");
  auto stub = rpb::ReportService::NewStub(cli.channel("reports"));
  rpb::ExportFile f;
  auto ctx = cli.Context();
  return WriteFile(cli, stub->Export360Giving(ctx.get(), req, &f), f);
}

}  // namespace grantflow::grantctl
