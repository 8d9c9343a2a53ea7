// The grants and finance teams' pages: the funds, each fund's dashboard
// (every budget line's ceiling, reserved, committed, paid and available as
// a chart and a table; each round's pipeline) and a round's ranking.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "platform/money.h"
#include "web/forms.h"
#include "web/portal.h"
#include "web/widgets.h"

namespace grantflow::web {
namespace {

namespace prog = programmes::v1;
namespace wf = workflow::v1;
namespace assess = assessment::v1;

void Funds(Page& page) {
  prog::ListFundsRequest req;
  req.set_page_size(100);
  prog::ListFundsResponse resp;
  if (!page.Fetch(page.backend().programmes(),
                  &prog::ProgrammeService::Stub::ListFunds, req, &resp))
    return;
  Json rows = Json::array();
  for (const prog::Fund& f : resp.funds()) {
    rows.push_back(
        {Cell(f.display_name(), "/staff/" + f.name()), Cell(f.funder_name())});
  }
  page.Render(
      "Funds", "page",
      {{"heading", "Funds"},
       {"blocks", {Table("Funds you work on", {"Fund", "Funder"}, {}, rows)}}});
}

// The x-extent (0-1000) of `part` of `whole`, rounded down; integer only.
int64_t Extent(int64_t part, int64_t whole) {
  if (whole <= 0 || part <= 0) return 0;
  // Amounts are capped at kMaxAmountPence (1e10), so part * 1000 fits.
  return std::min<int64_t>(1000, part * 1000 / whole);
}

void Dashboard(Page& page) {
  const std::string fund = "funds/" + page.Match(1);
  wf::GetFundDashboardRequest req;
  req.set_fund(fund);
  wf::FundDashboard d;
  if (!page.Fetch(page.backend().workflow(),
                  &wf::WorkflowService::Stub::GetFundDashboard, req, &d))
    return;
  prog::GetFundRequest freq;
  freq.set_name(fund);
  prog::Fund f;
  std::string title = fund;
  if (page.Call(page.backend().programmes(),
                &prog::ProgrammeService::Stub::GetFund, freq, &f)
          .ok()) {
    title = f.display_name();
  }
  Json blocks = Json::array();
  Json bars = Json::array();
  Json rows = Json::array();
  int y = 0;
  for (const wf::LedgerLine& l : d.lines()) {
    // Paid is part of committed: the bar shows paid, then committed not yet
    // paid, then reserved, against the ceiling.
    const int64_t paid = Extent(l.paid_pence(), l.ceiling_pence());
    const int64_t committed =
        Extent(l.committed_pence(), l.ceiling_pence()) - paid;
    const int64_t reserved = Extent(l.reserved_pence(), l.ceiling_pence());
    bars.push_back(
        {{"label",
          absl::StrCat(IdOf(l.name()), ": ", FormatPounds(l.available_pence()),
                       " available of ", FormatPounds(l.ceiling_pence()))},
         {"label_y", std::to_string(y + 22)},
         {"y", std::to_string(y + 30)},
         {"paid", std::to_string(paid)},
         {"committed", std::to_string(std::max<int64_t>(0, committed))},
         {"reserved_x", std::to_string(paid + std::max<int64_t>(0, committed))},
         {"reserved", std::to_string(reserved)}});
    y += 74;
    rows.push_back({{{"text", IdOf(l.name())}, {"header", true}},
                    NumberCell(FormatPounds(l.ceiling_pence())),
                    NumberCell(FormatPounds(l.reserved_pence())),
                    NumberCell(FormatPounds(l.committed_pence())),
                    NumberCell(FormatPounds(l.paid_pence())),
                    NumberCell(FormatPounds(l.available_pence()))});
  }
  rows.push_back({{{"text", "Total"}, {"header", true}},
                  NumberCell(FormatPounds(d.ceiling_pence())),
                  NumberCell(FormatPounds(d.reserved_pence())),
                  NumberCell(FormatPounds(d.committed_pence())),
                  NumberCell(FormatPounds(d.paid_pence())),
                  NumberCell(FormatPounds(d.available_pence()))});
  Json summary = Json::array();
  for (const auto& [k, v] : std::vector<std::pair<std::string, int64_t>>{
           {"Approved ceilings", d.ceiling_pence()},
           {"Paid", d.paid_pence()},
           {"Available to award", d.available_pence()}}) {
    summary.push_back(SummaryRow(k, FormatPounds(v)));
  }
  blocks.push_back({{"summary", {{"rows", summary}}}});
  if (!bars.empty()) {
    blocks.push_back(
        {{"chart",
          {{"id", "budget-chart"},
           {"caption", "Budget lines"},
           {"title", absl::StrCat("Each budget line's paid, committed and "
                                  "reserved amounts against its ceiling; "
                                  "the table below gives the figures.")},
           {"height", std::to_string(std::max(y, 74))},
           {"bars", bars}}}});
  }
  blocks.push_back(Table(
      "Budget lines",
      {"Budget line", "Ceiling", "Reserved", "Committed", "Paid", "Available"},
      {false, true, true, true, true, true}, rows));
  Json rrows = Json::array();
  for (const wf::RoundPipeline& r : d.rounds()) {
    std::vector<std::pair<std::string, int>> states(r.cases_by_state().begin(),
                                                    r.cases_by_state().end());
    std::sort(states.begin(), states.end());
    std::vector<std::string> parts;
    for (const auto& [st, n] : states)
      parts.push_back(absl::StrCat(st, " ", n));
    const std::string rid = IdOf(r.round());
    rrows.push_back(
        {{{"text", rid},
          {"header", true},
          {"href", absl::StrCat("/staff/", r.round(), "/assessments")}},
         NumberCell(absl::StrCat(r.applications())),
         Cell(absl::StrJoin(parts, ", ")),
         NumberCell(FormatPounds(r.requested_pence())),
         NumberCell(FormatPounds(r.recommended_pence())),
         NumberCell(FormatPounds(r.awarded_pence())),
         NumberCell(FormatPounds(r.paid_pence()))});
  }
  blocks.push_back({{"link", "Download the grant register (CSV)"},
                    {"href", absl::StrCat("/staff/", fund, "/register.csv")}});
  blocks.push_back(
      {{"link", "Download the 360Giving open data (JSON)"},
       {"href", absl::StrCat("/staff/", fund, "/360giving.json")}});
  blocks.push_back(Table("Rounds",
                         {"Round", "Bids", "By stage", "Requested",
                          "Recommended", "Awarded", "Paid"},
                         {false, true, false, true, true, true, true}, rrows));
  page.Render(title, "page",
              {{"caption", "Fund dashboard"},
               {"heading", title},
               {"back", "/staff"},
               {"wide", true},
               {"blocks", blocks}});
}

void Ranking(Page& page) {
  const std::string round =
      absl::StrCat("funds/", page.Match(1), "/rounds/", page.Match(2));
  assess::GetRankingRequest req;
  req.set_round(round);
  assess::Ranking r;
  if (!page.Fetch(page.backend().assessment(),
                  &assess::AssessmentService::Stub::GetRanking, req, &r))
    return;
  Json rows = Json::array();
  for (const assess::RankingEntry& e : r.entries()) {
    rows.push_back({NumberCell(absl::StrCat(e.rank())), Cell(e.title()),
                    Cell(e.organisation_name()),
                    Cell(assess::Assessment::State_Name(e.state())),
                    NumberCell(ScoreText(e.written_score_bp())),
                    NumberCell(ScoreText(e.interview_score_bp())),
                    NumberCell(ScoreText(e.combined_score_bp())),
                    NumberCell(FormatPounds(e.amount_requested_pence())),
                    NumberCell(FormatPounds(e.running_total_pence())),
                    TagCell(e.within_budget() ? "Within budget" : "Over budget",
                            e.within_budget() ? "green" : "red")});
  }
  Json blocks = Json::array();
  blocks.push_back({{"para", absl::StrCat("The round's budget lines have ",
                                          FormatPounds(r.available_pence()),
                                          " available.")}});
  blocks.push_back(Table(
      "Bids by score",
      {"Rank", "Project", "Organisation", "Stage", "Written", "Interview",
       "Combined", "Requested", "Running total", "Budget"},
      {true, false, false, false, true, true, true, true, true, false}, rows));
  page.Render("Ranking", "page",
              {{"caption", round},
               {"heading", "Ranking"},
               {"back", absl::StrCat("/staff/funds/", page.Match(1))},
               {"wide", true},
               {"blocks", blocks}});
}

}  // namespace

void InstallStaffPages(Portal& portal, httplib::Server& s) {
  portal.Get(s, "/staff", StaffRoles(), Funds);
  portal.Get(s, "/staff/funds", StaffRoles(), Funds);
  portal.Get(s, R"(/staff/funds/([a-z0-9-]+))", StaffRoles(), Dashboard);
  portal.Get(s, R"(/staff/funds/([a-z0-9-]+)/rounds/([a-z0-9-]+)/ranking)",
             {"grants_officer", "approver", "moderator", "auditor", "admin"},
             Ranking);
}

}  // namespace grantflow::web
