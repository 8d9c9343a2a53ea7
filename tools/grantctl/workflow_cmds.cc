// grantctl commands for the workflow engine: cases, facts, the ledger and
// the outbox.
#include "absl/strings/str_join.h"
#include "grantflow/applications/v1/applications.grpc.pb.h"
#include "grantflow/workflow/v1/workflow.grpc.pb.h"
#include "platform/money.h"
#include "tools/grantctl/commands.h"
#include "tools/grantctl/helpers.h"

namespace grantflow::grantctl {
namespace {

namespace wpb = ::grantflow::workflow::v1;
namespace opb = ::grantflow::outbox::v1;
namespace apb = ::grantflow::applications::v1;

void CaseRows(Table& t, const wpb::Case& c) {
  t.Add({c.name(), c.state(), c.round(),
         c.awarded_pence() ? FormatPounds(c.awarded_pence()) : "-",
         FormatPounds(c.paid_pence()), When(c.update_time())});
}
Table CaseTable() {
  return Table({"CASE", "STATE", "ROUND", "AWARDED", "PAID", "UPDATED (UTC)"});
}

void CaseDetail(const wpb::Case& c, std::ostream& out) {
  out << c.name() << "  " << c.state() << "  (etag " << c.etag() << ", "
      << c.definition() << " v" << c.definition_version() << ")\n"
      << "  application:   " << c.application() << " by " << c.organisation()
      << ", asking " << FormatPounds(c.amount_requested_pence()) << "\n"
      << "  round:         " << c.round() << "\n";
  if (c.awarded_pence() > 0) {
    out << "  award:         " << FormatPounds(c.awarded_pence())
        << (c.budget_committed() ? " committed" : " reserved")
        << "  (recommended by " << c.recommended_by() << ", approved by "
        << c.approved_by() << ")\n";
    for (const auto& a : c.allocations()) {
      out << "    " << a.budget_line() << ": " << FormatPounds(a.amount_pence())
          << " (paid " << FormatPounds(a.paid_pence()) << ")\n";
    }
  }
  out << "  checks:        due diligence "
      << (c.due_diligence_passed() ? "passed" : "not yet") << "; safeguarding "
      << (!c.safeguarding_required() ? "not required"
          : c.safeguarding_passed()  ? "passed"
                                     : "required, not yet")
      << "\n";
  for (const auto& k : c.conditions()) {
    out << "  condition:     " << k.id() << " (" << k.source() << ", "
        << (k.open() ? "OPEN" : "cleared") << "): " << k.description() << "\n";
  }
  if (c.agreement().version() > 0) {
    const auto& ag = c.agreement();
    out << "  agreement:     v" << ag.version() << " sha256 "
        << ag.document_sha256().substr(0, 12) << "…  recipient: "
        << (ag.recipient().signer().empty() ? "unsigned"
                                            : ag.recipient().signer())
        << "  funder: "
        << (ag.funder().signer().empty() ? "unsigned" : ag.funder().signer())
        << (ag.executed() ? "  EXECUTED" : "") << "\n";
  }
  for (const auto& p : c.payments()) {
    out << "  payment:       " << p.payment_id() << " "
        << FormatPounds(p.amount_pence()) << " "
        << wpb::Payment::State_Name(p.state()) << "\n";
  }
  out << "  paid:          " << FormatPounds(c.paid_pence()) << "  pending "
      << FormatPounds(c.pending_pence()) << "\n";
  if (c.next_facts().empty()) {
    out << "  next:          nothing (" << c.state() << " is final)\n";
  }
  for (int i = 0; i < c.next_facts_size(); ++i) {
    const wpb::NextFact& n = c.next_facts(i);
    out << (i == 0 ? "  next:          " : "                 ") << n.fact()
        << "  ("
        << (n.roles().empty()  ? "the engine's timer"
            : !n.via().empty() ? "through " + n.via()
                               : absl::StrJoin(n.roles(), ", "))
        << ")\n";
  }
}

void LedgerRows(Table& t, const wpb::LedgerLine& l) {
  t.Add({l.name(), FormatPounds(l.ceiling_pence()),
         FormatPounds(l.reserved_pence()), FormatPounds(l.committed_pence()),
         FormatPounds(l.paid_pence()), FormatPounds(l.available_pence())});
}
Table LedgerTable() {
  return Table(
      {"BUDGET LINE", "CEILING", "RESERVED", "COMMITTED", "PAID", "AVAILABLE"});
}

void TaskRows(Table& t, const opb::Task& k) {
  t.Add({k.service(), k.id(), k.kind(), k.case_name(),
         absl::StrCat(k.attempts()), When(k.next_attempt_time()),
         k.last_error()});
}
Table TaskTable() {
  return Table({"SERVICE", "TASK", "KIND", "FOR", "ATTEMPTS", "NEXT (UTC)",
                "LAST ERROR"});
}

}  // namespace

int CasesCommand(Cli& cli) {
  auto stub = wpb::WorkflowService::NewStub(cli.channel("workflow"));
  const std::string verb = Arg(cli, 1);
  if (verb == "list") {
    wpb::ListCasesRequest req;
    req.set_state(cli.args().Get("state"));
    req.set_fund(cli.args().Get("fund"));
    req.set_round(cli.args().Get("round"));
    return ListPages<wpb::ListCasesRequest, wpb::ListCasesResponse, wpb::Case>(
        cli, req,
        [&](auto* c, const auto& r, auto* o) {
          return stub->ListCases(c, r, o);
        },
        [](const auto& r) -> const auto& { return r.cases(); }, CaseTable(),
        CaseRows);
  }
  if (verb == "get") {
    wpb::GetCaseRequest req;
    req.set_name(NameIn("cases", Arg(cli, 2)));
    wpb::Case resp;
    auto ctx = cli.Context();
    return Show<wpb::Case>(cli, stub->GetCase(ctx.get(), req, &resp), resp,
                           CaseDetail);
  }
  if (verb == "history") {
    wpb::GetHistoryRequest req;
    req.set_name(NameIn("cases", Arg(cli, 2)));
    Table table({"#", "WHEN (UTC)", "WHAT", "FROM", "TO", "BY", "REASON"});
    return ListPages<wpb::GetHistoryRequest, wpb::GetHistoryResponse,
                     wpb::CaseEvent>(
        cli, req,
        [&](auto* c, const auto& r, auto* o) {
          return stub->GetHistory(c, r, o);
        },
        [](const auto& r) -> const auto& { return r.events(); }, table,
        [](Table& t, const wpb::CaseEvent& e) {
          std::string what = e.kind();
          if (!e.payment_id().empty()) {
            absl::StrAppend(&what, " ", e.payment_id(), " ",
                            FormatPounds(e.amount_pence()));
          }
          t.Add({absl::StrCat(e.seq()), When(e.time()), what, e.from_state(),
                 e.to_state(), e.actor(), e.reason()});
        });
  }
  if (verb == "fact") {
    wpb::RecordFactRequest req;
    req.set_name(NameIn("cases", Arg(cli, 2)));
    req.set_fact(Arg(cli, 3));
    int rc = 0;
    if (!BodyFromArgs(cli, req.mutable_payload(), false, &rc)) return rc;
    req.set_reason(cli.args().Get("reason"));
    req.set_etag(cli.args().Get("etag"));
    req.set_request_id(cli.RequestId());
    wpb::Case resp;
    auto ctx = cli.Context();
    return Show<wpb::Case>(cli, stub->RecordFact(ctx.get(), req, &resp), resp,
                           CaseDetail);
  }
  return cli.Usage(
      "cases list [--state S] [--fund F] [--round R] [--all] | get CASE | "
      "history CASE | fact CASE FACT [--data PAYLOAD_JSON] [--reason TEXT] "
      "[--etag E]");
}

int LedgerCommand(Cli& cli) {
  auto stub = wpb::WorkflowService::NewStub(cli.channel("workflow"));
  const std::string verb = Arg(cli, 1);
  if (verb == "show" || verb == "list") {
    wpb::ListLedgerRequest req;
    req.set_fund(cli.args().Get("fund"));
    return ListPages<wpb::ListLedgerRequest, wpb::ListLedgerResponse,
                     wpb::LedgerLine>(
        cli, req,
        [&](auto* c, const auto& r, auto* o) {
          return stub->ListLedger(c, r, o);
        },
        [](const auto& r) -> const auto& { return r.lines(); }, LedgerTable(),
        LedgerRows);
  }
  if (verb == "get") {
    wpb::GetLedgerLineRequest req;
    req.set_name(Arg(cli, 2));
    wpb::LedgerLine resp;
    auto ctx = cli.Context();
    return Show<wpb::LedgerLine>(cli,
                                 stub->GetLedgerLine(ctx.get(), req, &resp),
                                 resp, OneRow(LedgerTable, LedgerRows));
  }
  return cli.Usage("ledger show [--fund funds/F] | get funds/F/budgetLines/L");
}

int DashboardCommand(Cli& cli) {
  auto stub = wpb::WorkflowService::NewStub(cli.channel("workflow"));
  wpb::GetFundDashboardRequest req;
  const std::string fund = Arg(cli, 1);
  req.set_fund(fund.rfind("funds/", 0) == 0 ? fund : "funds/" + fund);
  if (Arg(cli, 1).empty()) return cli.Usage("dashboard funds/F");
  wpb::FundDashboard d;
  auto ctx = cli.Context();
  grpc::Status s = stub->GetFundDashboard(ctx.get(), req, &d);
  if (!s.ok()) return cli.Fail(s);
  if (cli.json()) return cli.Print(d);
  Table lines = LedgerTable();
  for (const wpb::LedgerLine& l : d.lines()) LedgerRows(lines, l);
  lines.Add({"total", FormatPounds(d.ceiling_pence()),
             FormatPounds(d.reserved_pence()),
             FormatPounds(d.committed_pence()), FormatPounds(d.paid_pence()),
             FormatPounds(d.available_pence())});
  lines.Print(cli.out());
  cli.out() << "\n";
  Table rounds({"ROUND", "BIDS", "BY STATE", "REQUESTED", "RECOMMENDED",
                "AWARDED", "PAID"});
  for (const wpb::RoundPipeline& r : d.rounds()) {
    std::map<std::string, int32_t> by(r.cases_by_state().begin(),
                                      r.cases_by_state().end());
    std::vector<std::string> states;
    for (const auto& [state, n] : by) {
      states.push_back(absl::StrCat(state, " ", n));
    }
    rounds.Add({r.round(), absl::StrCat(r.applications()),
                absl::StrJoin(states, ", "), FormatPounds(r.requested_pence()),
                FormatPounds(r.recommended_pence()),
                FormatPounds(r.awarded_pence()), FormatPounds(r.paid_pence())});
  }
  rounds.Print(cli.out());
  return 0;
}

int OutboxCommand(Cli& cli) {
  // Every service with an outbox, and how to call its ListTasks/RetryTask.
  using ListFn = std::function<grpc::Status(grpc::ClientContext*,
                                            const opb::ListTasksRequest&,
                                            opb::ListTasksResponse*)>;
  using RetryFn = std::function<grpc::Status(
      grpc::ClientContext*, const opb::RetryTaskRequest&, opb::Task*)>;
  struct Box {
    std::string service;
    ListFn list;
    RetryFn retry;
  };
  auto wf = wpb::WorkflowService::NewStub(cli.channel("workflow"));
  auto apps = apb::ApplicationService::NewStub(cli.channel("applications"));
  const std::vector<Box> boxes = {
      {"applications",
       [&](auto* c, const auto& r, auto* o) {
         return apps->ListTasks(c, r, o);
       },
       [&](auto* c, const auto& r, auto* o) {
         return apps->RetryTask(c, r, o);
       }},
      {"workflow",
       [&](auto* c, const auto& r, auto* o) { return wf->ListTasks(c, r, o); },
       [&](auto* c, const auto& r, auto* o) { return wf->RetryTask(c, r, o); }},
  };
  const std::string verb = Arg(cli, 1);
  if (verb == "parked" || verb == "waiting") {
    // One view across the services: every page of each.
    // A service that cannot answer is reported, and the others still shown.
    opb::ListTasksResponse all;
    Table table = TaskTable();
    int rc = 0;
    for (const Box& box : boxes) {
      opb::ListTasksRequest req;
      req.set_parked(verb == "parked");
      req.set_page_size(500);
      do {
        opb::ListTasksResponse resp;
        auto ctx = cli.Context();
        grpc::Status s = box.list(ctx.get(), req, &resp);
        if (!s.ok()) {
          cli.err() << box.service << " (" << cli.Address(box.service) << "): ";
          rc = cli.Fail(s);
          break;
        }
        for (const opb::Task& t : resp.tasks()) TaskRows(table, t);
        all.MergeFrom(resp);
        req.set_page_token(resp.next_page_token());
      } while (!req.page_token().empty());
    }
    all.clear_next_page_token();
    if (cli.json()) {
      cli.Print(all);
    } else {
      table.Print(cli.out());
    }
    return rc;
  }
  if (verb == "retry") {
    // A task id names its service's outbox only implicitly: try each.
    opb::RetryTaskRequest req;
    req.set_id(Arg(cli, 2));
    req.set_request_id(cli.RequestId());
    grpc::Status last;
    for (const Box& box : boxes) {
      if (cli.args().Has("service") &&
          cli.args().Get("service") != box.service) {
        continue;
      }
      opb::Task resp;
      auto ctx = cli.Context();
      last = box.retry(ctx.get(), req, &resp);
      if (last.error_code() == grpc::StatusCode::NOT_FOUND) continue;
      return Show<opb::Task>(cli, last, resp, OneRow(TaskTable, TaskRows));
    }
    return cli.Fail(last);
  }
  return cli.Usage(
      "outbox parked | waiting | retry TASK_ID [--service "
      "applications|workflow]");
}

}  // namespace grantflow::grantctl
