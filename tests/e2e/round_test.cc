// A whole funding round through the public gRPC APIs (grantctl, as the
// people who would take each step): the London Family Fund's first round as
// the funder reported it (../shared/data/seed_programmes.json) — nine awards
// totalling £389,739.00 drawn from budget lines of two decisions (MD2192 and
// MD2311), with a bid found ineligible, one not shortlisted and one
// withdrawn alongside them; two assessors per bid (one conflicted, replaced),
// interviews, due diligence for all, safeguarding for the projects with
// children, agreements executed, the first instalment paid on execution and
// the second after the interim report, families reached reported and every
// grant closed on its final report. At the end the ledger agrees to the
// penny with what was awarded and paid.
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/daemon.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/process.h"
#include "tests/testing/split_deployment.h"
#include "tests/testing/temp_dir.h"

namespace grantflow {
namespace {

using json = nlohmann::json;

constexpr char kRound[] = "funds/lff/rounds/2018-r1";
constexpr char kEarly[] = "funds/lff/budgetLines/md2192-grants";
constexpr char kLater[] = "funds/lff/budgetLines/md2311-grants";

// One funded project: its amount, how it is drawn from the two lines, the
// families it reached, and whether it works with children.
struct Funded {
  std::string org;
  std::string title;
  std::string borough;
  int64_t pence;
  int64_t early_pence;  // from MD2192's line; the rest from MD2311's
  int families;
  bool children;
};

// Nine awards, £389,739.00 in all: MD2192's £215,000 line used to the
// penny (the fifth award straddles it), the remainder from MD2311's.
const std::vector<Funded>& Nine() {
  static const auto* n = new std::vector<Funded>{
      {"tower-hamlets-parents", "Parents' supper club", "Tower Hamlets",
       4'985'000, 4'985'000, 420, true},
      {"newham-play-together", "Play together Saturdays", "Newham", 4'870'000,
       4'870'000, 380, true},
      {"brent-family-kitchen", "Family kitchen", "Brent", 4'650'000, 4'650'000,
       350, false},
      {"lewisham-grandparents", "Grandparents and grandchildren", "Lewisham",
       4'500'000, 4'500'000, 310, true},
      {"croydon-walks", "Family walks across Croydon", "Croydon", 4'250'000,
       2'495'000, 290, true},
      {"ealing-stories", "Stories from home", "Ealing", 4'125'000, 0, 270,
       false},
      {"haringey-sport", "Family sport mornings", "Haringey", 4'000'000, 0, 240,
       true},
      {"southwark-gardens", "Growing together", "Southwark", 3'893'900, 0, 210,
       false},
      {"barking-music", "Music across generations", "Barking and Dagenham",
       3'700'000, 0, 188, true}};
  return *n;
}

json Organisation(const std::string& id, const std::string& name,
                  const std::string& borough, int n) {
  const std::string charity = absl::StrCat(1190000 + n);
  return {{"organisation_id", id},
          {"organisation",
           {{"display_name", name},
            {"annual_income_pence", "20000000"},
            {"legal_form", "REGISTERED_CHARITY"},
            {"charity_number", charity},
            {"address",
             {{"line1", absl::StrCat(n, " High Street")},
              {"town", "London"},
              {"postcode", "E1 1AA"},
              {"borough", borough}}},
            {"contacts",
             {{{"full_name", absl::StrCat("Lead ", n)},
               {"email", absl::StrCat("lead", n, "@example.org")},
               {"role", "Project lead"}}}},
            {"member_users", {"a-" + id, "s-" + id}},
            {"signatory_users", {"s-" + id}}}}};
}

json Step(const std::string& as, std::vector<std::string> run) {
  return {{"as", as}, {"run", run}};
}

// The bid's first steps: drafted and submitted by the group's applicant.
std::vector<json> Bid(const std::string& org, const std::string& title,
                      const std::string& borough, int64_t pence,
                      bool children) {
  std::vector<std::string> draft = {
      "apps",
      "draft",
      "--round",
      kRound,
      "--org",
      "organisations/" + org,
      "--title",
      title,
      "--summary",
      title + ": families from different backgrounds meet",
      "--amount-pence",
      absl::StrCat(pence),
      "--start",
      "${date+44d}",
      "--end",
      "${date+409d}",
      "--borough",
      borough,
      "--beneficiaries",
      "200",
      "--budget",
      absl::StrCat("Delivery=", pence)};
  if (children) draft.push_back("--children");
  json d = Step("a-" + org, draft);
  d["save"] = {{"app", "name"}};
  return {d, Step("a-" + org, {"apps", "submit", "${app}"})};
}

// Screening and the written assessment, by ola and ben (or dee, when ben
// declares a conflict).
void WrittenAssessment(std::vector<json>* s, bool ben_conflicted) {
  json screen = Step("grace", {"assess", "screen", "${app}", "--eligible",
                               "--reason", "complete and in scope"});
  screen["wait"] = true;
  s->push_back(screen);
  s->push_back(Step("grace", {"assess", "assign", "${app}", "--assessor", "ola",
                              "--assessor", "ben"}));
  std::vector<std::string> second = {"ben"};
  if (ben_conflicted) {
    s->push_back(Step("ben", {"assess", "declare", "${app}", "--conflict",
                              "a trustee of the applicant"}));
    s->push_back(
        Step("grace", {"assess", "assign", "${app}", "--assessor", "dee"}));
    second = {"dee"};
  }
  for (const std::string& who : {std::string("ola"), second[0]}) {
    s->push_back(Step(who, {"assess", "declare", "${app}", "--no-conflict",
                            "--stage", "written"}));
    s->push_back(Step(who, {"assess", "score", "${app}", "--stage", "written",
                            "--score", "bringing-together=4:mixes families",
                            "--score", "inclusion=4:reaches excluded groups",
                            "--score", "safeguarding=4:policy in place",
                            "--score", "deliverability=4:costed"}));
    s->push_back(
        Step(who, {"assess", "submit", "${app}", "--stage", "written"}));
  }
}

std::vector<json> FundedSteps(const Funded& f, int n) {
  const std::string applicant = "a-" + f.org, signatory = "s-" + f.org;
  std::vector<json> s = Bid(f.org, f.title, f.borough, f.pence, f.children);
  WrittenAssessment(&s, /*ben_conflicted=*/n == 2);
  s.push_back(Step("grace", {"assess", "shortlist", "${app}", "--yes"}));
  s.push_back(Step("grace", {"assess", "interview", "${app}", "--at",
                             "${time+15d}", "--panel", "ola", "--panel", "dee",
                             "--location", "City Hall"}));
  for (const char* who : {"ola", "dee"}) {
    s.push_back(Step(who, {"assess", "declare", "${app}", "--no-conflict",
                           "--stage", "interview"}));
    s.push_back(Step(who, {"assess", "score", "${app}", "--stage", "interview",
                           "--score", "bringing-together=5:convincing",
                           "--score", "inclusion=4:named partners", "--score",
                           "safeguarding=4:answered well", "--score",
                           "deliverability=4:realistic"}));
    s.push_back(
        Step(who, {"assess", "submit", "${app}", "--stage", "interview"}));
  }
  s.push_back(Step("grace", {"assess", "recommend", "${app}", "--recommend",
                             "--amount-pence", absl::StrCat(f.pence),
                             "--rationale", "strong at interview"}));
  std::vector<std::string> approve = {"award",
                                      "approve",
                                      "${app}",
                                      "--amount-pence",
                                      absl::StrCat(f.pence),
                                      "--rationale",
                                      "meets the fund's aims"};
  const int64_t later = f.pence - f.early_pence;
  if (f.early_pence > 0 && later > 0) {
    approve.insert(approve.end(),
                   {"--line", absl::StrCat(kEarly, "=", f.early_pence),
                    "--line", absl::StrCat(kLater, "=", later)});
  } else {
    approve.insert(approve.end(), {"--line", later > 0 ? kLater : kEarly});
  }
  s.push_back(Step("ade", approve));
  // Due diligence on every successful bid.
  json legal = Step(
      "grace", {"dd", "record", "${app}", "--item", "legal_status",
                "--satisfactory", "--registration", absl::StrCat(1190000 + n),
                "--evidence", "charity-register"});
  legal["wait"] = true;
  s.push_back(legal);
  s.push_back(Step(
      "grace", {"dd", "record", "${app}", "--item", "governance",
                "--satisfactory", "--board", "5", "--evidence", "trustees"}));
  s.push_back(
      Step("grace", {"dd", "record", "${app}", "--item", "accounts",
                     "--satisfactory", "--year-end", "2026-03-31",
                     "--income-pence", "20000000", "--evidence", "accounts"}));
  s.push_back(Step("fola", {"dd", "record", "${app}", "--item", "bank_account",
                            "--satisfactory", "--evidence", "bank-letter"}));
  s.push_back(Step("grace", {"dd", "record", "${app}", "--item", "fraud_risk",
                             "--satisfactory", "--risk", "green"}));
  s.push_back(Step("grace", {"dd", "conclude", "${app}", "--passed"}));
  // Safeguarding on the projects working with children.
  if (f.children) {
    json dbs = Step(
        "sam", {"safeguarding", "dbs", "add", "${app}", "--id", "lead",
                "--certificate", absl::StrCat(1000000000 + n, "00"), "--issued",
                "2025-10-02", "--level", "enhanced_with_barred_lists", "--role",
                "Session lead", "--decision", "suitable"});
    dbs["wait"] = true;
    s.push_back(dbs);
    s.push_back(Step("sam", {"safeguarding", "record", "${app}", "--item",
                             "policy", "--satisfactory", "--reviewed",
                             "2025-11-01", "--evidence", "policy"}));
    s.push_back(
        Step("sam", {"safeguarding", "record", "${app}", "--item",
                     "designated_lead", "--satisfactory", "--lead-name",
                     absl::StrCat("Lead ", n), "--lead-role", "Coordinator"}));
    s.push_back(Step("sam", {"safeguarding", "record", "${app}", "--item",
                             "dbs_checks", "--satisfactory"}));
    s.push_back(
        Step("sam", {"safeguarding", "record", "${app}", "--item", "training",
                     "--satisfactory", "--trained", "2025-12-12"}));
    s.push_back(Step("sam", {"safeguarding", "record", "${app}", "--item",
                             "incident_reporting", "--satisfactory", "--notes",
                             "to the lead the same day"}));
    s.push_back(
        Step("sam", {"safeguarding", "conclude", "${app}", "--passed"}));
  }
  // The agreement, executed before any commitment.
  if (n == 1) {
    s.push_back(Step(
        "grace",
        {"agreement", "template", "set", "lff", "--data",
         json{{"funder_name", "Greater London Authority"},
              {"programme_title", "London Family Fund"},
              {"clauses",
               {"The grant is spent only on the project as described."}},
              {"recovery_clause", "Any part not spent is repaid on demand."},
              {"indicators", {"families reached"}},
              {"signature_days", 28}}
             .dump()}));
  }
  s.push_back(
      Step("grace", {"agreement", "draft", "${app}", "--instalment",
                     "first=60%", "--instalment", "second=40%@report:interim",
                     "--report", "interim:${date+224d}:Interim report",
                     "--report", "final:${date+439d}:End of grant report"}));
  s.push_back(Step("grace", {"agreement", "issue", "${app}"}));
  json doc = Step(signatory, {"agreement", "document", "${app}"});
  doc["save"] = {{"sha", "document_sha256"}};
  s.push_back(doc);
  s.push_back(Step(signatory, {"agreement", "sign", "${app}", "--sha256",
                               "${sha}", "--position", "Chair of trustees"}));
  s.push_back(Step("ade", {"agreement", "countersign", "${app}", "--sha256",
                           "${sha}", "--position", "Head of Grants"}));
  json bank =
      Step(signatory, {"bank", "change", f.org, "--account-name", f.title,
                       "--sort-code", absl::StrCat("60-83-", 10 + n),
                       "--account-number", absl::StrCat(31926810 + n)});
  bank["save"] = {{"bank", "etag"}};
  s.push_back(bank);
  s.push_back(Step("fin", {"bank", "verify", f.org, "--etag", "${bank}"}));
  // Each instalment: requested, approved by another, released, confirmed.
  auto pay = [&](const std::string& instalment) {
    json request =
        Step("fola", {"payment", "request", "${app}", "--instalment",
                      instalment, "--note", instalment + " instalment"});
    request["save"] = {{"pay", "name"}};
    s.push_back(request);
    s.push_back(Step("fin", {"payment", "approve", "${pay}"}));
    s.push_back(Step("fola", {"payment", "release"}));
    s.push_back(Step("fola", {"payment", "confirm", "${pay}"}));
  };
  pay("first");
  const int half = f.families / 2;
  s.push_back(Step(
      applicant,
      {"report", "submit", "${app}", "interim", "--progress",
       absl::StrCat("families reached=", half), "--narrative", "half way"}));
  s.push_back(Step("grace", {"report", "accept", "${app}", "interim"}));
  pay("second");
  s.push_back(Step(
      applicant, {"report", "submit", "${app}", "final", "--progress",
                  absl::StrCat("families reached=", f.families), "--narrative",
                  "the year's work", "--spent-pence", absl::StrCat(f.pence)}));
  s.push_back(Step("grace", {"report", "accept", "${app}", "final"}));
  return s;
}

// The round: the fund, the two decisions' lines, the round, the groups,
// the people, and every bid played through.
json Scenario() {
  json doc;
  doc["funds"] = {{{"fund_id", "lff"},
                   {"fund",
                    {{"display_name", "London Family Fund"},
                     {"description",
                      "Grants bringing together families from different "
                      "backgrounds (MD2192, continued by MD2311)."},
                     {"funder_name", "Greater London Authority"},
                     {"funder_org_id", "GB-GOR-PC390"}}}}};
  auto line = [](const std::string& id, int64_t pence, const std::string& md,
                 const std::string& year) {
    return json{{"parent", "funds/lff"},
                {"budget_line_id", id},
                {"budget_line",
                 {{"display_name", md + " grants"},
                  {"ceiling_pence", absl::StrCat(pence)},
                  {"decision_ref", md},
                  {"financial_year", year},
                  {"funding_source", md},
                  {"kind", "GRANTS"}}}};
  };
  doc["budget_lines"] = {
      line("md2192-grants", 21'500'000, "MD2192", "2017-18"),
      line("md2311-grants", 32'000'000, "MD2311", "2018-19")};
  json criteria = json::array();
  for (const auto& [id, w] :
       std::vector<std::pair<std::string, int>>{{"bringing-together", 30},
                                                {"inclusion", 25},
                                                {"safeguarding", 20},
                                                {"deliverability", 25}}) {
    criteria.push_back(
        {{"id", id}, {"title", id}, {"weight_percent", w}, {"max_score", 5}});
  }
  doc["rounds"] = {{{"parent", "funds/lff"},
                    {"round_id", "2018-r1"},
                    {"round",
                     {{"display_name", "London Family Fund round 1"},
                      {"open_time", "@now-7d"},
                      {"close_time", "@now+60d"},
                      {"min_award_pence", "1000000"},
                      {"max_award_pence", "7500000"},
                      {"interview_stage", true},
                      {"lifecycle_definition", "standard"},
                      {"budget_lines", {kEarly, kLater}},
                      {"eligibility",
                       {{"legal_forms", {"REGISTERED_CHARITY"}},
                        {"max_annual_income_pence", "100000000"}}},
                      {"assessment",
                       {{"assessors_per_application", 2},
                        {"moderation_threshold_percent", 15},
                        {"comments_required", true},
                        {"assessment_days", 14},
                        {"interview_weight_percent", 40},
                        {"panel_size", 2}}},
                      {"criteria", criteria}}}}};
  json people = {
      {"grace", {{"roles", {"grants_officer"}}}},
      {"ola", {{"roles", {"assessor"}}}},
      {"ben", {{"roles", {"assessor"}}}},
      {"dee", {{"roles", {"assessor"}}}},
      {"ade", {{"roles", {"approver"}}, {"limits", {{"approve", 5000000}}}}},
      {"sam", {{"roles", {"safeguarding_officer"}}}},
      {"fola", {{"roles", {"finance_officer"}}}},
      {"fin",
       {{"roles", {"finance_approver"}}, {"limits", {{"pay", 5000000}}}}}};
  doc["organisations"] = json::array();
  doc["grants"] = json::array();
  auto group = [&](const std::string& org, const std::string& name,
                   const std::string& borough, int n) {
    doc["organisations"].push_back(Organisation(org, name, borough, n));
    people["a-" + org] = {{"roles", {"applicant"}}, {"org", org}};
    people["s-" + org] = {{"roles", {"signatory"}}, {"org", org}};
  };
  int n = 0;
  for (const Funded& f : Nine()) {
    group(f.org, f.title + " group", f.borough, ++n);
    doc["grants"].push_back({{"about", f.title},
                             {"anchor", {{"as", "grace"}, {"round", kRound}}},
                             {"steps", FundedSteps(f, n)}});
  }
  // Alongside them: one ineligible, one not shortlisted, one withdrawn.
  group("greenwich-ineligible", "Greenwich group", "Greenwich", ++n);
  std::vector<json> s = Bid("greenwich-ineligible", "Outside the fund's aims",
                            "Greenwich", 2'000'000, false);
  json screen = Step("grace", {"assess", "screen", "${app}", "--ineligible",
                               "--reason", "a single-community project"});
  screen["wait"] = true;
  s.push_back(screen);
  doc["grants"].push_back({{"about", "ineligible"},
                           {"anchor", {{"as", "grace"}, {"round", kRound}}},
                           {"steps", s}});
  group("camden-weaker", "Camden group", "Camden", ++n);
  s = Bid("camden-weaker", "Weaker bid", "Camden", 3'000'000, false);
  WrittenAssessment(&s, false);
  s.push_back(Step("grace", {"assess", "shortlist", "${app}", "--no",
                             "--feedback", "less reach than others"}));
  doc["grants"].push_back({{"about", "not shortlisted"},
                           {"anchor", {{"as", "grace"}, {"round", kRound}}},
                           {"steps", s}});
  group("hounslow-withdrawn", "Hounslow group", "Hounslow", ++n);
  s = Bid("hounslow-withdrawn", "Withdrawn bid", "Hounslow", 2'500'000, false);
  s.push_back(Step("a-hounslow-withdrawn", {"apps", "withdraw", "${app}",
                                            "--reason", "our venue closed"}));
  doc["grants"].push_back({{"about", "withdrawn"},
                           {"anchor", {{"as", "grace"}, {"round", kRound}}},
                           {"steps", s}});
  doc["people"] = people;
  return doc;
}

// The same round against grantflowd all-in-one and against nine
// grantflowd processes, one service each, over gRPC on loopback ports.
class RoundTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    testing::SetClock(dir_, testing::TestEpoch());
    if (split()) {
      split_ = std::make_unique<SplitDeployment>(dir_);
      ASSERT_TRUE(split_->Up());
      keys_ = split_->data[kSplitServices[0]];  // split_->minter's
      admin_ = split_->minter->Token("round-admin", {"admin"});
      return;
    }
    keys_ = dir_.Sub("data");
    daemon_ = std::make_unique<testing::Daemon>(GRANTFLOWD_PATH, dir_, keys_,
                                                "grantflowd");
    admin_ = testing::TokenMinter(keys_).Token("round-admin", {"admin"});
  }
  bool split() const { return GetParam(); }
  // grantctl as the round's administrator.
  int Ctl(std::vector<std::string> args, std::string* out) {
    if (split()) return split_->Grantctl(admin_, args, out);
    std::vector<std::string> argv = {GRANTCTL_PATH, "--addr", daemon_->addr(),
                                     "--token", admin_};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunCommand(argv, out);
  }

  testing::TempDir dir_;
  std::string keys_;  // the data directory whose key signs people's tokens
  std::string admin_;
  std::unique_ptr<testing::Daemon> daemon_;
  std::unique_ptr<SplitDeployment> split_;
};

INSTANTIATE_TEST_SUITE_P(Deployments, RoundTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Split" : "AllInOne";
                         });

TEST_P(RoundTest, LondonFamilyFundFirstRoundAgreesToThePenny) {
  const std::string file = dir_.Sub("lff-round-1.json");
  std::ofstream(file) << Scenario().dump(1);
  std::string out;
  ASSERT_EQ(
      Ctl({"seed", file, "--data_dir=" + keys_,
           "--now=" + absl::FormatTime(absl::RFC3339_sec, testing::TestEpoch(),
                                       absl::UTCTimeZone())},
          &out),
      0)
      << out;

  int64_t awarded = 0;
  for (const Funded& f : Nine()) awarded += f.pence;
  ASSERT_EQ(awarded, 38'973'900) << "the funder's reported total";
  ASSERT_EQ(Ctl({"ledger", "show", "--fund", "funds/lff", "--json"}, &out), 0)
      << out;
  const json ledger = json::parse(out);
  int64_t committed = 0, paid = 0, reserved = 0;
  std::map<std::string, int64_t> paid_by_line;
  for (const json& l : ledger.value("lines", json::array())) {
    const auto pence = [&](const char* k) {
      return l.contains(k) ? std::stoll(l[k].get<std::string>()) : 0;
    };
    committed += pence("committed_pence");
    paid += pence("paid_pence");
    reserved += pence("reserved_pence");
    paid_by_line[l["name"]] = pence("paid_pence");
  }
  EXPECT_EQ(committed, awarded);
  EXPECT_EQ(paid, awarded);
  EXPECT_EQ(reserved, 0);
  EXPECT_EQ(paid_by_line[kEarly], 21'500'000) << "MD2192's line, to the penny";
  EXPECT_EQ(paid_by_line[kLater], 17'473'900);
  // Every bid ended where the funder's process took it.
  ASSERT_EQ(Ctl({"cases", "list", "--round", kRound, "--all", "--json"}, &out),
            0)
      << out;
  std::map<std::string, int> states;
  for (const json& c : json::parse(out).value("cases", json::array())) {
    ++states[c["state"].get<std::string>()];
  }
  EXPECT_EQ(states, (std::map<std::string, int>{{"CLOSED", 9},
                                                {"INELIGIBLE", 1},
                                                {"DECLINED", 1},
                                                {"WITHDRAWN", 1}}));
  // Ben declared a conflict on one bid, and dee assessed it instead.
  ASSERT_EQ(Ctl({"assess", "list", "--round", kRound, "--all", "--json"}, &out),
            0)
      << out;
  int conflicts = 0;
  for (const json& as : json::parse(out).value("assessments", json::array())) {
    for (const json& who : as.value("assignments", json::array())) {
      if (who.value("declaration", "") != "CONFLICT") continue;
      ++conflicts;
      EXPECT_EQ(who["assessor"], "ben");
      EXPECT_EQ(as["bid"]["title"], Nine()[1].title);
    }
  }
  EXPECT_EQ(conflicts, 1);
  // The families reached, as the accepted final reports say.
  ASSERT_EQ(
      Ctl({"agreement", "list", "--state", "closed", "--all", "--json"}, &out),
      0)
      << out;
  int families = 0, closed = 0;
  int64_t agreed = 0;
  for (const json& a : json::parse(out).value("agreements", json::array())) {
    ++closed;
    agreed += std::stoll(a["award_pence"].get<std::string>());
    for (const json& r : a["reports"]) {
      if (!r.value("final", false)) continue;
      EXPECT_EQ(r["state"], "ACCEPTED");
      for (const json& p : r["progress"]) {
        if (p["indicator"] == "families reached") {
          families += std::stoi(p["value"].get<std::string>());
        }
      }
    }
  }
  EXPECT_EQ(closed, 9);
  EXPECT_EQ(agreed, awarded);
  EXPECT_EQ(families, 2658) << "as the funder's 2020 report gives";
  std::cout << "LFF round 1 (" << (split() ? "split" : "all-in-one")
            << "): " << Nine().size() << " awards, committed " << committed
            << "p, paid " << paid << "p (MD2192 " << paid_by_line[kEarly]
            << "p, MD2311 " << paid_by_line[kLater] << "p); " << families
            << " families reached\n";
}

}  // namespace
}  // namespace grantflow
