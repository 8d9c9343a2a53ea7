// grantctl commands for funds, budget lines, rounds, organisations,
// applications and equality monitoring, through the generated stubs.
#include <functional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "grantflow/applications/v1/applications.grpc.pb.h"
#include "grantflow/programmes/v1/programmes.grpc.pb.h"
#include "platform/money.h"
#include "tools/grantctl/commands.h"
#include "tools/grantctl/helpers.h"

namespace grantflow::grantctl {
namespace {

namespace ppb = ::grantflow::programmes::v1;
namespace apb = ::grantflow::applications::v1;

// ---- tables ----

void FundRows(Table& t, const ppb::Fund& f) {
  t.Add({f.name(), f.display_name(), f.funder_name(), f.funder_org_id()});
}
Table FundTable() { return Table({"NAME", "FUND", "FUNDER", "FUNDER ORG-ID"}); }

void LineRows(Table& t, const ppb::BudgetLine& l) {
  t.Add({l.name(), l.decision_ref(), l.financial_year(),
         ppb::BudgetLineKind_Name(l.kind()), FormatPounds(l.ceiling_pence()),
         l.display_name()});
}
Table LineTable() {
  return Table({"NAME", "DECISION", "YEAR", "KIND", "CEILING", "PURPOSE"});
}

void RoundRows(Table& t, const ppb::Round& r) {
  t.Add({r.name(), When(r.open_time()), When(r.close_time()),
         absl::StrCat(FormatPounds(r.min_award_pence()), "–",
                      FormatPounds(r.max_award_pence())),
         r.interview_stage() ? "yes" : "no", r.lifecycle_definition(),
         r.display_name()});
}
Table RoundTable() {
  return Table({"NAME", "OPENS (UTC)", "CLOSES (UTC)", "AWARDS", "INTERVIEW",
                "LIFECYCLE", "ROUND"});
}

void OrgRows(Table& t, const apb::Organisation& o) {
  t.Add({o.name(), o.display_name(), apb::LegalForm_Name(o.legal_form()),
         o.charity_number().empty() ? "-" : o.charity_number(),
         o.company_number().empty() ? "-" : o.company_number(),
         o.address().borough()});
}
Table OrgTable() {
  return Table(
      {"NAME", "ORGANISATION", "LEGAL FORM", "CHARITY", "COMPANY", "BOROUGH"});
}

void AppRows(Table& t, const apb::Application& a) {
  t.Add({a.name(), apb::Application::State_Name(a.state()), a.round(),
         a.organisation(), FormatPounds(a.amount_requested_pence()),
         a.title()});
}
Table AppTable() {
  return Table(
      {"NAME", "STATE", "ROUND", "ORGANISATION", "REQUESTED", "TITLE"});
}

void AppDetail(const apb::Application& a, std::ostream& out) {
  out << a.name() << "  " << apb::Application::State_Name(a.state())
      << "  (etag " << a.etag() << ")\n"
      << "  title:         " << a.title() << "\n"
      << "  round:         " << a.round() << "\n"
      << "  organisation:  " << a.organisation() << "\n"
      << "  requested:     " << FormatPounds(a.amount_requested_pence()) << "\n"
      << "  planned:       " << a.planned_start_date() << " to "
      << a.planned_end_date() << "\n"
      << "  boroughs:      " << absl::StrJoin(a.boroughs_served(), ", ") << "\n"
      << "  beneficiaries: " << a.expected_beneficiaries() << "\n"
      << "  children:      " << (a.works_with_children() ? "yes" : "no")
      << "   adults at risk: " << (a.works_with_adults_at_risk() ? "yes" : "no")
      << "\n";
  for (const auto& b : a.budget()) {
    out << "  budget:        " << FormatPounds(b.amount_pence()) << "  "
        << b.description() << "\n";
  }
  if (a.has_submit_time())
    out << "  submitted:     " << When(a.submit_time()) << "\n";
  if (a.has_withdraw_time()) {
    out << "  withdrawn:     " << When(a.withdraw_time()) << " ("
        << a.withdraw_reason() << ")\n";
  }
}

}  // namespace

int FundsCommand(Cli& cli) {
  auto stub = ppb::ProgrammeService::NewStub(cli.channel("programmes"));
  const std::string verb = Arg(cli, 1);
  if (verb == "list") {
    return ListPages<ppb::ListFundsRequest, ppb::ListFundsResponse, ppb::Fund>(
        cli, {},
        [&](auto* c, const auto& r, auto* o) {
          return stub->ListFunds(c, r, o);
        },
        [](const auto& r) -> const auto& { return r.funds(); }, FundTable(),
        FundRows);
  }
  if (verb == "get") {
    ppb::GetFundRequest req;
    req.set_name(Arg(cli, 2));
    ppb::Fund resp;
    auto ctx = cli.Context();
    return Show<ppb::Fund>(cli, stub->GetFund(ctx.get(), req, &resp), resp,
                           OneRow(FundTable, FundRows));
  }
  if (verb == "create") {
    ppb::CreateFundRequest req;
    int rc = 0;
    if (!BodyFromArgs(cli, req.mutable_fund(), false, &rc)) return rc;
    req.set_fund_id(cli.args().Get("id"));
    if (cli.args().Has("display-name")) {
      req.mutable_fund()->set_display_name(cli.args().Get("display-name"));
    }
    if (cli.args().Has("funder-name")) {
      req.mutable_fund()->set_funder_name(cli.args().Get("funder-name"));
    }
    req.set_request_id(cli.RequestId());
    ppb::Fund resp;
    auto ctx = cli.Context();
    return Show<ppb::Fund>(cli, stub->CreateFund(ctx.get(), req, &resp), resp,
                           OneRow(FundTable, FundRows));
  }
  if (verb == "update") {
    ppb::UpdateFundRequest req;
    int rc = 0;
    if (!BodyFromArgs(cli, req.mutable_fund(), true, &rc)) return rc;
    req.mutable_fund()->set_name(Arg(cli, 2));
    SetMask(cli, req.mutable_update_mask());
    req.set_request_id(cli.RequestId());
    ppb::Fund resp;
    auto ctx = cli.Context();
    return Show<ppb::Fund>(cli, stub->UpdateFund(ctx.get(), req, &resp), resp,
                           OneRow(FundTable, FundRows));
  }
  return cli.Usage(
      "funds list | get NAME | create --id ID [--file F] | "
      "update NAME --file F --mask PATHS");
}

int BudgetLinesCommand(Cli& cli) {
  auto stub = ppb::ProgrammeService::NewStub(cli.channel("programmes"));
  const std::string verb = Arg(cli, 1);
  if (verb == "list") {
    ppb::ListBudgetLinesRequest req;
    req.set_parent(cli.args().Get("fund"));
    return ListPages<ppb::ListBudgetLinesRequest, ppb::ListBudgetLinesResponse,
                     ppb::BudgetLine>(
        cli, req,
        [&](auto* c, const auto& r, auto* o) {
          return stub->ListBudgetLines(c, r, o);
        },
        [](const auto& r) -> const auto& { return r.budget_lines(); },
        LineTable(), LineRows);
  }
  if (verb == "get") {
    ppb::GetBudgetLineRequest req;
    req.set_name(Arg(cli, 2));
    ppb::BudgetLine resp;
    auto ctx = cli.Context();
    return Show<ppb::BudgetLine>(cli,
                                 stub->GetBudgetLine(ctx.get(), req, &resp),
                                 resp, OneRow(LineTable, LineRows));
  }
  if (verb == "create") {
    ppb::CreateBudgetLineRequest req;
    int rc = 0;
    if (!BodyFromArgs(cli, req.mutable_budget_line(), true, &rc)) return rc;
    req.set_parent(cli.args().Get("fund"));
    req.set_budget_line_id(cli.args().Get("id"));
    req.set_request_id(cli.RequestId());
    ppb::BudgetLine resp;
    auto ctx = cli.Context();
    return Show<ppb::BudgetLine>(cli,
                                 stub->CreateBudgetLine(ctx.get(), req, &resp),
                                 resp, OneRow(LineTable, LineRows));
  }
  return cli.Usage(
      "budget-lines list --fund funds/F | get NAME | "
      "create --fund funds/F --id ID --file F");
}

int RoundsCommand(Cli& cli) {
  auto stub = ppb::ProgrammeService::NewStub(cli.channel("programmes"));
  const std::string verb = Arg(cli, 1);
  if (verb == "list") {
    ppb::ListRoundsRequest req;
    req.set_parent(cli.args().Get("fund"));
    return ListPages<ppb::ListRoundsRequest, ppb::ListRoundsResponse,
                     ppb::Round>(
        cli, req,
        [&](auto* c, const auto& r, auto* o) {
          return stub->ListRounds(c, r, o);
        },
        [](const auto& r) -> const auto& { return r.rounds(); }, RoundTable(),
        RoundRows);
  }
  if (verb == "get") {
    ppb::GetRoundRequest req;
    req.set_name(Arg(cli, 2));
    ppb::Round resp;
    auto ctx = cli.Context();
    grpc::Status s = stub->GetRound(ctx.get(), req, &resp);
    return Show<ppb::Round>(cli, s, resp, [](const ppb::Round& r, auto& out) {
      Table t = RoundTable();
      RoundRows(t, r);
      t.Print(out);
      out << "\nCriteria:\n";
      Table c({"ID", "WEIGHT", "MAX SCORE", "CRITERION"});
      for (const auto& k : r.criteria()) {
        c.Add({k.id(), absl::StrCat(k.weight_percent(), "%"),
               absl::StrCat(k.max_score()), k.title()});
      }
      c.Print(out);
      out << "\nBudget lines: " << absl::StrJoin(r.budget_lines(), ", ")
          << "\n";
    });
  }
  if (verb == "create" || verb == "update") {
    int rc = 0;
    ppb::Round resp;
    auto ctx = cli.Context();
    grpc::Status s;
    if (verb == "create") {
      ppb::CreateRoundRequest req;
      if (!BodyFromArgs(cli, req.mutable_round(), true, &rc)) return rc;
      req.set_parent(cli.args().Get("fund"));
      req.set_round_id(cli.args().Get("id"));
      req.set_request_id(cli.RequestId());
      s = stub->CreateRound(ctx.get(), req, &resp);
    } else {
      ppb::UpdateRoundRequest req;
      if (!BodyFromArgs(cli, req.mutable_round(), true, &rc)) return rc;
      req.mutable_round()->set_name(Arg(cli, 2));
      SetMask(cli, req.mutable_update_mask());
      req.set_request_id(cli.RequestId());
      s = stub->UpdateRound(ctx.get(), req, &resp);
    }
    return Show<ppb::Round>(cli, s, resp, OneRow(RoundTable, RoundRows));
  }
  return cli.Usage(
      "rounds list --fund funds/F | get NAME | "
      "create --fund funds/F --id ID --file F | "
      "update NAME --file F --mask PATHS");
}

int OrganisationsCommand(Cli& cli) {
  auto stub = apb::ApplicationService::NewStub(cli.channel("applications"));
  const std::string verb = Arg(cli, 1);
  if (verb == "list") {
    return ListPages<apb::ListOrganisationsRequest,
                     apb::ListOrganisationsResponse, apb::Organisation>(
        cli, {},
        [&](auto* c, const auto& r, auto* o) {
          return stub->ListOrganisations(c, r, o);
        },
        [](const auto& r) -> const auto& { return r.organisations(); },
        OrgTable(), OrgRows);
  }
  if (verb == "get") {
    apb::GetOrganisationRequest req;
    req.set_name(Arg(cli, 2));
    apb::Organisation resp;
    auto ctx = cli.Context();
    return Show<apb::Organisation>(cli,
                                   stub->GetOrganisation(ctx.get(), req, &resp),
                                   resp, OneRow(OrgTable, OrgRows));
  }
  if (verb == "create") {
    apb::CreateOrganisationRequest req;
    int rc = 0;
    if (!BodyFromArgs(cli, req.mutable_organisation(), true, &rc)) return rc;
    req.set_organisation_id(cli.args().Get("id"));
    req.set_request_id(cli.RequestId());
    apb::Organisation resp;
    auto ctx = cli.Context();
    return Show<apb::Organisation>(
        cli, stub->CreateOrganisation(ctx.get(), req, &resp), resp,
        OneRow(OrgTable, OrgRows));
  }
  return cli.Usage("orgs list | get NAME | create [--id ID] --file F");
}

namespace {

// Applies the application field flags to `app`, recording each in `mask`.
// Returns a usage problem, or "".
std::string ApplyAppFlags(const Args& a, apb::Application* app,
                          google::protobuf::FieldMask* mask) {
  auto note = [mask](const char* path) {
    if (mask != nullptr) mask->add_paths(path);
  };
  if (a.Has("title")) {
    app->set_title(a.Get("title"));
    note("title");
  }
  if (a.Has("summary")) {
    app->set_summary(a.Get("summary"));
    note("summary");
  }
  if (a.Has("amount-pence")) {
    int64_t p;
    if (!absl::SimpleAtoi(a.Get("amount-pence"), &p)) {
      return "--amount-pence must be a whole number of pence";
    }
    app->set_amount_requested_pence(p);
    note("amount_requested_pence");
  }
  if (a.Has("start")) {
    app->set_planned_start_date(a.Get("start"));
    note("planned_start_date");
  }
  if (a.Has("end")) {
    app->set_planned_end_date(a.Get("end"));
    note("planned_end_date");
  }
  if (a.Has("borough")) {
    for (const auto& b : a.GetAll("borough")) app->add_boroughs_served(b);
    note("boroughs_served");
  }
  if (a.Has("beneficiaries")) {
    int32_t n;
    if (!absl::SimpleAtoi(a.Get("beneficiaries"), &n)) {
      return "--beneficiaries must be a number";
    }
    app->set_expected_beneficiaries(n);
    note("expected_beneficiaries");
  }
  if (a.Has("children")) {
    app->set_works_with_children(true);
    note("works_with_children");
  }
  if (a.Has("adults-at-risk")) {
    app->set_works_with_adults_at_risk(true);
    note("works_with_adults_at_risk");
  }
  if (a.Has("budget")) {
    for (const auto& item : a.GetAll("budget")) {
      size_t eq = item.rfind('=');
      int64_t p;
      if (eq == std::string::npos ||
          !absl::SimpleAtoi(item.substr(eq + 1), &p)) {
        return "--budget must be DESCRIPTION=PENCE";
      }
      auto* b = app->add_budget();
      b->set_description(item.substr(0, eq));
      b->set_amount_pence(p);
    }
    note("budget");
  }
  return "";
}

}  // namespace

int ApplicationsCommand(Cli& cli) {
  auto stub = apb::ApplicationService::NewStub(cli.channel("applications"));
  const std::string verb = Arg(cli, 1);
  auto detail = [&cli](const grpc::Status& s, const apb::Application& a) {
    return Show<apb::Application>(cli, s, a, AppDetail);
  };
  if (verb == "list") {
    apb::ListApplicationsRequest req;
    req.set_round(cli.args().Get("round"));
    req.set_organisation(cli.args().Get("org"));
    if (cli.args().Has("state")) {
      apb::Application::State st;
      if (!apb::Application::State_Parse(cli.args().Get("state"), &st)) {
        return cli.Usage("--state must be DRAFT, SUBMITTED or WITHDRAWN");
      }
      req.set_state(st);
    }
    return ListPages<apb::ListApplicationsRequest,
                     apb::ListApplicationsResponse, apb::Application>(
        cli, req,
        [&](auto* c, const auto& r, auto* o) {
          return stub->ListApplications(c, r, o);
        },
        [](const auto& r) -> const auto& { return r.applications(); },
        AppTable(), AppRows);
  }
  if (verb == "get") {
    apb::GetApplicationRequest req;
    req.set_name(Arg(cli, 2));
    apb::Application resp;
    auto ctx = cli.Context();
    return detail(stub->GetApplication(ctx.get(), req, &resp), resp);
  }
  if (verb == "draft") {
    apb::CreateApplicationRequest req;
    int rc = 0;
    if (!BodyFromArgs(cli, req.mutable_application(), false, &rc)) return rc;
    if (cli.args().Has("round")) {
      req.mutable_application()->set_round(cli.args().Get("round"));
    }
    if (cli.args().Has("org")) {
      req.mutable_application()->set_organisation(cli.args().Get("org"));
    }
    std::string problem =
        ApplyAppFlags(cli.args(), req.mutable_application(), nullptr);
    if (!problem.empty()) return cli.Usage(problem);
    req.set_request_id(cli.RequestId());
    apb::Application resp;
    auto ctx = cli.Context();
    return detail(stub->CreateApplication(ctx.get(), req, &resp), resp);
  }
  if (verb == "update") {
    apb::UpdateApplicationRequest req;
    req.mutable_application()->set_name(Arg(cli, 2));
    req.mutable_application()->set_etag(cli.args().Get("etag"));
    std::string problem = ApplyAppFlags(cli.args(), req.mutable_application(),
                                        req.mutable_update_mask());
    if (!problem.empty()) return cli.Usage(problem);
    req.set_request_id(cli.RequestId());
    apb::Application resp;
    auto ctx = cli.Context();
    return detail(stub->UpdateApplication(ctx.get(), req, &resp), resp);
  }
  if (verb == "submit") {
    apb::SubmitApplicationRequest req;
    req.set_name(Arg(cli, 2));
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    apb::Application resp;
    auto ctx = cli.Context();
    return detail(stub->SubmitApplication(ctx.get(), req, &resp), resp);
  }
  if (verb == "withdraw") {
    apb::WithdrawApplicationRequest req;
    req.set_name(Arg(cli, 2));
    req.set_reason(cli.args().Get("reason"));
    req.set_request_id(cli.RequestId());
    apb::Application resp;
    auto ctx = cli.Context();
    return detail(stub->WithdrawApplication(ctx.get(), req, &resp), resp);
  }
  return cli.Usage(
      "apps list [--round R] [--state S] [--org O] [--all] | get NAME | "
      "draft --round R --org O [--title T --summary S --amount-pence N "
      "--start YYYY-MM-DD --end YYYY-MM-DD --borough B... --beneficiaries N "
      "--children --adults-at-risk --budget DESC=PENCE...] | "
      "update NAME [same fields] [--etag E] | submit NAME [--etag E] | "
      "withdraw NAME --reason TEXT");
}

int EqualityCommand(Cli& cli) {
  auto stub = apb::ApplicationService::NewStub(cli.channel("applications"));
  const std::string verb = Arg(cli, 1);
  const std::string name = absl::StrCat(Arg(cli, 2), "/equalityMonitoring");
  auto show = [&cli](const grpc::Status& s, const apb::EqualityMonitoring& e) {
    return Show<apb::EqualityMonitoring>(
        cli, s, e, [](const apb::EqualityMonitoring& m, std::ostream& out) {
          out << m.name()
              << "\n  led by:        " << absl::StrJoin(m.led_by(), "; ")
              << "\n  mainly serves: " << absl::StrJoin(m.mainly_serves(), "; ")
              << "\n  prefer not to say: "
              << (m.prefer_not_to_say() ? "yes" : "no") << "\n";
        });
  };
  if (verb == "get") {
    apb::GetEqualityMonitoringRequest req;
    req.set_name(name);
    apb::EqualityMonitoring resp;
    auto ctx = cli.Context();
    return show(stub->GetEqualityMonitoring(ctx.get(), req, &resp), resp);
  }
  if (verb == "set") {
    apb::UpdateEqualityMonitoringRequest req;
    auto* em = req.mutable_equality_monitoring();
    em->set_name(name);
    for (const auto& v : cli.args().GetAll("led-by")) em->add_led_by(v);
    for (const auto& v : cli.args().GetAll("serves")) em->add_mainly_serves(v);
    em->set_prefer_not_to_say(cli.args().Has("prefer-not-to-say"));
    req.set_request_id(cli.RequestId());
    apb::EqualityMonitoring resp;
    auto ctx = cli.Context();
    return show(stub->UpdateEqualityMonitoring(ctx.get(), req, &resp), resp);
  }
  if (verb == "report") {
    apb::GetEqualityReportRequest req;
    req.set_round(cli.args().Get("round"));
    apb::EqualityReport resp;
    auto ctx = cli.Context();
    return Show<apb::EqualityReport>(
        cli, stub->GetEqualityReport(ctx.get(), req, &resp), resp,
        [](const apb::EqualityReport& r, std::ostream& out) {
          const std::string fewer =
              absl::StrCat("fewer than ", r.suppress_below());
          auto n = [&](const apb::EqualityCount& c) {
            return c.suppressed() ? fewer : absl::StrCat(c.count());
          };
          out << r.round() << " (counts from 1 to " << r.suppress_below() - 1
              << " show as \"" << fewer << "\")\n";
          for (const auto& [label, g] :
               {std::pair{"applicants", &r.applicants()},
                std::pair{"funded projects", &r.funded()}}) {
            out << label << ": " << g->total() << ", " << n(g->answered())
                << " answered, " << n(g->prefer_not_to_say())
                << " preferred not to say\n";
            for (int i = 0; i < g->led_by_size(); ++i) {
              out << "  " << g->led_by(i).answer() << ": led by "
                  << n(g->led_by(i)) << ", mainly serves "
                  << n(g->mainly_serves(i)) << "\n";
            }
          }
        });
  }
  return cli.Usage(
      "equality get applications/ID | set applications/ID "
      "[--led-by CATEGORY...] [--serves CATEGORY...] "
      "[--prefer-not-to-say=true] | report --round R");
}

}  // namespace grantflow::grantctl
