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
#include <cmath>
#include <fstream>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "platform/resources.h"
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

// How a group is constituted: a registered charity (numbered 119000n), a
// community interest company (company number 1200000n), or an
// unincorporated group with neither.
enum class Form { kCharity, kCic, kUnincorporated };

json Organisation(const std::string& id, const std::string& name,
                  const std::string& borough, int n,
                  Form form = Form::kCharity) {
  json org = {{"display_name", name}, {"annual_income_pence", "20000000"}};
  switch (form) {
    case Form::kCharity:
      org["legal_form"] = "REGISTERED_CHARITY";
      org["charity_number"] = absl::StrCat(1190000 + n);
      break;
    case Form::kCic:
      org["legal_form"] = "COMMUNITY_INTEREST_COMPANY";
      org["company_number"] = absl::StrCat(12000000 + n);
      break;
    case Form::kUnincorporated:
      org["legal_form"] = "UNINCORPORATED_COMMUNITY_GROUP";
      break;
  }
  org.update(json{{"address",
                   {{"line1", absl::StrCat(n, " High Street")},
                    {"town", "London"},
                    {"postcode", "E1 1AA"},
                    {"borough", borough}}},
                  {"contacts",
                   {{{"full_name", absl::StrCat("Lead ", n)},
                     {"email", absl::StrCat("lead", n, "@example.org")},
                     {"role", "Project lead"}}}},
                  {"member_users", {"a-" + id, "s-" + id}},
                  {"signatory_users", {"s-" + id}}});
  return {{"organisation_id", id}, {"organisation", org}};
}

json Step(const std::string& as, std::vector<std::string> run) {
  return {{"as", as}, {"run", run}};
}

// The bid's first steps: drafted and submitted by the group's applicant.
std::vector<json> Bid(const std::string& round, const std::string& org,
                      const std::string& title, const std::string& borough,
                      int64_t pence, bool children) {
  std::vector<std::string> draft = {
      "apps",
      "draft",
      "--round",
      round,
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
void WrittenAssessment(std::vector<json>* s, bool ben_conflicted,
                       const std::vector<std::string>& scores) {
  json screen = Step("grace", {"assess", "screen", "${app}", "--eligible",
                               "--reason", "complete and in scope"});
  screen["wait"] = true;
  s->push_back(screen);
  s->push_back(Step("grace", {"assess", "assign", "${app}", "--assessor", "ola",
                              "--assessor", "ben"}));
  std::string second = "ben";
  if (ben_conflicted) {
    s->push_back(Step("ben", {"assess", "declare", "${app}", "--conflict",
                              "a trustee of the applicant"}));
    s->push_back(
        Step("grace", {"assess", "assign", "${app}", "--assessor", "dee"}));
    second = "dee";
  }
  std::vector<std::string> score = {"assess", "score", "${app}", "--stage",
                                    "written"};
  for (const std::string& sc : scores) {
    score.insert(score.end(), {"--score", sc});
  }
  for (const std::string& who : {std::string("ola"), second}) {
    s->push_back(Step(who, {"assess", "declare", "${app}", "--no-conflict",
                            "--stage", "written"}));
    s->push_back(Step(who, score));
    s->push_back(
        Step(who, {"assess", "submit", "${app}", "--stage", "written"}));
  }
}

const std::vector<std::string> kLffScores = {
    "bringing-together=4:mixes families", "inclusion=4:reaches excluded groups",
    "safeguarding=4:policy in place", "deliverability=4:costed"};

// Due diligence: the light tier's items, and the standard tier's too.
void DueDiligence(std::vector<json>* s, int n, bool standard,
                  Form form = Form::kCharity) {
  std::vector<std::string> run = {"dd",     "record",       "${app}",
                                  "--item", "legal_status", "--satisfactory"};
  switch (form) {
    case Form::kCharity:
      run.insert(run.end(), {"--registration", absl::StrCat(1190000 + n),
                             "--evidence", "charity-register"});
      break;
    case Form::kCic:
      run.insert(run.end(), {"--registration", absl::StrCat(12000000 + n),
                             "--evidence", "companies-house"});
      break;
    case Form::kUnincorporated:
      run.insert(run.end(), {"--evidence", "constitution"});
      break;
  }
  json legal = Step("grace", run);
  legal["wait"] = true;
  s->push_back(legal);
  if (standard) {
    s->push_back(Step(
        "grace", {"dd", "record", "${app}", "--item", "governance",
                  "--satisfactory", "--board", "5", "--evidence", "trustees"}));
    s->push_back(Step(
        "grace", {"dd", "record", "${app}", "--item", "accounts",
                  "--satisfactory", "--year-end", "2026-03-31",
                  "--income-pence", "20000000", "--evidence", "accounts"}));
  }
  s->push_back(Step("fola", {"dd", "record", "${app}", "--item", "bank_account",
                             "--satisfactory", "--evidence", "bank-letter"}));
  s->push_back(Step("grace", {"dd", "record", "${app}", "--item", "fraud_risk",
                              "--satisfactory", "--risk", "green"}));
  s->push_back(Step("grace", {"dd", "conclude", "${app}", "--passed"}));
}

// The fund's agreement template, set by the grants officer before the
// first agreement.
json TemplateStep(const std::string& fund, const std::string& programme) {
  return Step(
      "grace",
      {"agreement", "template", "set", fund, "--data",
       json{{"funder_name", "Greater London Authority"},
            {"programme_title", programme},
            {"clauses",
             {"The grant is spent only on the project as described."}},
            {"recovery_clause", "Any part not spent is repaid on demand."},
            {"indicators", {"families reached"}},
            {"signature_days", 28}}
           .dump()});
}

// The agreement drafted with `terms`, issued, signed for the group,
// countersigned; the group's bank details recorded and verified.
void Execute(std::vector<json>* s, const std::string& org, int n,
             std::vector<std::string> terms) {
  const std::string signatory = "s-" + org;
  std::vector<std::string> draft = {"agreement", "draft", "${app}"};
  draft.insert(draft.end(), terms.begin(), terms.end());
  s->push_back(Step("grace", draft));
  s->push_back(Step("grace", {"agreement", "issue", "${app}"}));
  json doc = Step(signatory, {"agreement", "document", "${app}"});
  doc["save"] = {{"sha", "document_sha256"}};
  s->push_back(doc);
  s->push_back(Step(signatory, {"agreement", "sign", "${app}", "--sha256",
                                "${sha}", "--position", "Chair of trustees"}));
  s->push_back(Step("ade", {"agreement", "countersign", "${app}", "--sha256",
                            "${sha}", "--position", "Head of Grants"}));
  json bank = Step(signatory, {"bank", "change", org, "--account-name", org,
                               "--sort-code", absl::StrCat("60-83-", 10 + n),
                               "--account-number", absl::StrCat(31926810 + n)});
  bank["save"] = {{"bank", "etag"}};
  s->push_back(bank);
  s->push_back(Step("fin", {"bank", "verify", org, "--etag", "${bank}"}));
}

// An instalment: requested, approved by another, released, confirmed.
void Pay(std::vector<json>* s, const std::string& instalment) {
  json request =
      Step("fola", {"payment", "request", "${app}", "--instalment", instalment,
                    "--note", instalment + " instalment"});
  request["save"] = {{"pay", "name"}};
  s->push_back(request);
  s->push_back(Step("fin", {"payment", "approve", "${pay}"}));
  s->push_back(Step("fola", {"payment", "release"}));
  s->push_back(Step("fola", {"payment", "confirm", "${pay}"}));
}

// A report submitted by the group and accepted by the grants officer.
void Report(std::vector<json>* s, const std::string& org, const std::string& id,
            int families, int64_t spent) {
  std::vector<std::string> submit = {
      "report",      "submit",
      "${app}",      id,
      "--progress",  absl::StrCat("families reached=", families),
      "--narrative", id + " report"};
  if (spent > 0) {
    submit.insert(submit.end(), {"--spent-pence", absl::StrCat(spent)});
  }
  s->push_back(Step("a-" + org, submit));
  s->push_back(Step("grace", {"report", "accept", "${app}", id}));
}

std::vector<json> FundedSteps(const Funded& f, int n) {
  std::vector<json> s =
      Bid(kRound, f.org, f.title, f.borough, f.pence, f.children);
  WrittenAssessment(&s, /*ben_conflicted=*/n == 2, kLffScores);
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
  // The ninth award's publication waits for the fund's evaluation.
  if (n == 9) {
    s.push_back(
        Step("grace", {"award", "publish", "${app}", "--date", "${date+400d}",
                       "--reason", "announced with the evaluation"}));
  }
  DueDiligence(&s, n, /*standard=*/true);
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
  if (n == 1) s.push_back(TemplateStep("lff", "London Family Fund"));
  Execute(
      &s, f.org, n,
      {"--instalment", "first=60%", "--instalment", "second=40%@report:interim",
       "--report", "interim:${date+224d}:Interim report", "--report",
       "final:${date+439d}:End of grant report"});
  Pay(&s, "first");
  Report(&s, f.org, "interim", f.families / 2, 0);
  Pay(&s, "second");
  Report(&s, f.org, "final", f.families, f.pence);
  return s;
}

// A document for `grantctl seed`: one fund, its budget lines and round, the
// funder's staff, the groups, and each bid played through.
class Scenario {
 public:
  Scenario(const std::string& fund, const std::string& name,
           const std::string& description)
      : fund_("funds/" + fund) {
    doc_["funds"] = {{{"fund_id", fund},
                      {"fund",
                       {{"display_name", name},
                        {"description", description},
                        {"funder_name", "Greater London Authority"},
                        {"funder_org_id", "GB-GOR-PC390"}}}}};
    doc_["budget_lines"] = doc_["rounds"] = doc_["organisations"] =
        doc_["grants"] = json::array();
    people_ = {
        {"grace", {{"roles", {"grants_officer"}}}},
        {"ola", {{"roles", {"assessor"}}}},
        {"ben", {{"roles", {"assessor"}}}},
        {"dee", {{"roles", {"assessor"}}}},
        {"ade", {{"roles", {"approver"}}, {"limits", {{"approve", 5000000}}}}},
        {"sam", {{"roles", {"safeguarding_officer"}}}},
        {"fola", {{"roles", {"finance_officer"}}}},
        {"fin",
         {{"roles", {"finance_approver"}}, {"limits", {{"pay", 5000000}}}}}};
  }
  void Line(const std::string& id, int64_t pence, const std::string& decision,
            const std::string& year) {
    doc_["budget_lines"].push_back({{"parent", fund_},
                                    {"budget_line_id", id},
                                    {"budget_line",
                                     {{"display_name", decision + " grants"},
                                      {"ceiling_pence", absl::StrCat(pence)},
                                      {"decision_ref", decision},
                                      {"financial_year", year},
                                      {"funding_source", decision},
                                      {"kind", "GRANTS"}}}});
  }
  // A round open from a week ago; `criteria` are (id, weight) pairs.
  void Round(const std::string& id, json round,
             const std::vector<std::pair<std::string, int>>& criteria) {
    round["open_time"] = "@now-7d";
    round["close_time"] = "@now+60d";
    if (!round.contains("lifecycle_definition")) {
      round["lifecycle_definition"] = "standard";
    }
    round["criteria"] = json::array();
    for (const auto& [c, w] : criteria) {
      round["criteria"].push_back(
          {{"id", c}, {"title", c}, {"weight_percent", w}, {"max_score", 5}});
    }
    doc_["rounds"].push_back(
        {{"parent", fund_}, {"round_id", id}, {"round", round}});
  }
  // The group numbered `n`, its applicant a-{org} and signatory s-{org}.
  void Group(const std::string& org, const std::string& borough, int n,
             Form form = Form::kCharity) {
    doc_["organisations"].push_back(
        Organisation(org, org + " group", borough, n, form));
    people_["a-" + org] = {{"roles", {"applicant"}}, {"org", org}};
    people_["s-" + org] = {{"roles", {"signatory"}}, {"org", org}};
  }
  void Play(const std::string& about, const std::string& round,
            std::vector<json> steps) {
    doc_["grants"].push_back({{"about", about},
                              {"anchor", {{"as", "grace"}, {"round", round}}},
                              {"steps", std::move(steps)}});
  }
  json doc() const {
    json d = doc_;
    d["people"] = people_;
    return d;
  }

 private:
  std::string fund_;
  json doc_;
  json people_;
};

// The London Family Fund's first round.
json LffRoundOne() {
  Scenario sc("lff", "London Family Fund",
              "Grants bringing together families from different backgrounds "
              "(MD2192, continued by MD2311).");
  sc.Line("md2192-grants", 21'500'000, "MD2192", "2017-18");
  sc.Line("md2311-grants", 32'000'000, "MD2311", "2018-19");
  sc.Round("2018-r1",
           {{"display_name", "London Family Fund round 1"},
            {"min_award_pence", "1000000"},
            {"max_award_pence", "7500000"},
            {"interview_stage", true},
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
              {"panel_size", 2}}}},
           {{"bringing-together", 30},
            {"inclusion", 25},
            {"safeguarding", 20},
            {"deliverability", 25}});
  int n = 0;
  for (const Funded& f : Nine()) {
    sc.Group(f.org, f.borough, ++n);
    sc.Play(f.title, kRound, FundedSteps(f, n));
  }
  // Alongside them: one ineligible, one not shortlisted, one withdrawn.
  sc.Group("greenwich-ineligible", "Greenwich", ++n);
  std::vector<json> s =
      Bid(kRound, "greenwich-ineligible", "Outside the fund's aims",
          "Greenwich", 2'000'000, false);
  json screen = Step("grace", {"assess", "screen", "${app}", "--ineligible",
                               "--reason", "a single-community project"});
  screen["wait"] = true;
  s.push_back(screen);
  sc.Play("ineligible", kRound, s);
  sc.Group("camden-weaker", "Camden", ++n);
  s = Bid(kRound, "camden-weaker", "Weaker bid", "Camden", 3'000'000, false);
  WrittenAssessment(&s, false, kLffScores);
  s.push_back(Step("grace", {"assess", "shortlist", "${app}", "--no",
                             "--feedback", "less reach than others"}));
  sc.Play("not shortlisted", kRound, s);
  sc.Group("hounslow-withdrawn", "Hounslow", ++n);
  s = Bid(kRound, "hounslow-withdrawn", "Withdrawn bid", "Hounslow", 2'500'000,
          false);
  s.push_back(Step("a-hounslow-withdrawn", {"apps", "withdraw", "${app}",
                                            "--reason", "our venue closed"}));
  sc.Play("withdrawn", kRound, s);
  return sc.doc();
}

// A Culture Seeds micro-grant round: no interview, the light tier of due
// diligence, one payment on execution, an end-of-project report. Five
// micro-grants and one bid not recommended.
constexpr char kSeedsRound[] = "funds/culture-seeds/rounds/2020-r1";
constexpr char kSeedsLine[] = "funds/culture-seeds/budgetLines/year-1";
const std::vector<int64_t> kSeeds = {500'000, 475'000, 450'000, 425'000,
                                     378'028};

json CultureSeedsRound() {
  Scenario sc("culture-seeds", "Culture Seeds",
              "Micro-grants for community arts across London.");
  sc.Line("year-1", 50'000'000, "ADD0001", "2020-21");
  sc.Round("2020-r1",
           {{"display_name", "Culture Seeds 2020"},
            {"min_award_pence", "100000"},
            {"max_award_pence", "500000"},
            {"interview_stage", false},
            {"lifecycle_definition", "micro-grant"},
            {"budget_lines", {kSeedsLine}},
            {"eligibility", {{"max_annual_income_pence", "25000000"}}},
            {"assessment",
             {{"assessors_per_application", 2},
              {"moderation_threshold_percent", 20},
              {"assessment_days", 10}}}},
           {{"idea", 40}, {"benefit", 40}, {"deliverability", 20}});
  const std::vector<std::string> scores = {"idea=4", "benefit=4",
                                           "deliverability=4"};
  int n = 0;
  for (int64_t pence : kSeeds) {
    const std::string org = absl::StrCat("arts-group-", ++n);
    // Micro-grants reach groups of every kind.
    const Form form = n == 2   ? Form::kCic
                      : n == 3 ? Form::kUnincorporated
                               : Form::kCharity;
    sc.Group(org, "Lambeth", n, form);
    std::vector<json> s = Bid(kSeedsRound, org, absl::StrCat("Street art ", n),
                              "Lambeth", pence, false);
    WrittenAssessment(&s, false, scores);
    s.push_back(Step("grace", {"assess", "recommend", "${app}", "--recommend",
                               "--amount-pence", absl::StrCat(pence),
                               "--rationale", "a lively idea"}));
    s.push_back(Step("ade", {"award", "approve", "${app}", "--amount-pence",
                             absl::StrCat(pence), "--line", kSeedsLine,
                             "--rationale", "within the programme's aims"}));
    DueDiligence(&s, n, /*standard=*/false, form);
    if (n == 1) s.push_back(TemplateStep("culture-seeds", "Culture Seeds"));
    Execute(&s, org, n,
            {"--instalment", "all=100%", "--report",
             "final:${date+200d}:End of project report"});
    Pay(&s, "all");
    Report(&s, org, "final", 40 + n, pence);
    sc.Play(org, kSeedsRound, s);
  }
  const std::string org = "arts-group-declined";
  sc.Group(org, "Lambeth", ++n);
  std::vector<json> s = Bid(kSeedsRound, org, "An idea already funded",
                            "Lambeth", 400'000, false);
  WrittenAssessment(&s, false, scores);
  s.push_back(
      Step("grace", {"assess", "recommend", "${app}", "--not-recommended",
                     "--feedback", "already funded elsewhere"}));
  sc.Play(org, kSeedsRound, s);
  return sc.doc();
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
  // `grantctl --json` output, parsed; fails the test on a failed command.
  json CtlJson(std::vector<std::string> args) {
    args.push_back("--json");
    std::string out;
    EXPECT_EQ(Ctl(args, &out), 0) << out;
    return json::parse(out, nullptr, /*allow_exceptions=*/false);
  }
  // Plays `doc` through `grantctl seed`, each step as its person.
  void Play(const json& doc, const std::string& name) {
    const std::string file = dir_.Sub(name + ".json");
    std::ofstream(file) << doc.dump(1);
    std::string out;
    ASSERT_EQ(Ctl({"seed", file, "--data_dir=" + keys_,
                   "--now=" + absl::FormatTime(absl::RFC3339_sec,
                                               testing::TestEpoch(),
                                               absl::UTCTimeZone())},
                  &out),
              0)
        << out;
  }

  struct Ledger {
    int64_t committed = 0, paid = 0, reserved = 0;
    std::map<std::string, int64_t> paid_by_line;
  };
  // The engine's ledger for `fund`, summed over its lines.
  Ledger LedgerOf(const std::string& fund) {
    Ledger l;
    for (const json& line : CtlJson({"ledger", "show", "--fund", fund})
                                .value("lines", json::array())) {
      l.committed += Pence(line, "committed_pence");
      l.paid += Pence(line, "paid_pence");
      l.reserved += Pence(line, "reserved_pence");
      l.paid_by_line[line["name"]] = Pence(line, "paid_pence");
    }
    return l;
  }
  // How many of the round's cases are in each state.
  std::map<std::string, int> CaseStates(const std::string& round) {
    std::map<std::string, int> states;
    for (const json& c : CtlJson({"cases", "list", "--round", round, "--all"})
                             .value("cases", json::array())) {
      ++states[c["state"].get<std::string>()];
    }
    return states;
  }
  struct Closed {
    int agreements = 0;
    int64_t pence = 0;
    int families = 0;  // as the accepted final reports say
  };
  Closed ClosedAgreements() {
    Closed c;
    for (const json& a :
         CtlJson({"agreement", "list", "--state", "closed", "--all"})
             .value("agreements", json::array())) {
      ++c.agreements;
      c.pence += Pence(a, "award_pence");
      for (const json& r : a["reports"]) {
        if (!r.value("final", false)) continue;
        EXPECT_EQ(r["state"], "ACCEPTED");
        for (const json& p : r["progress"]) {
          if (p["indicator"] == "families reached") {
            c.families += std::stoi(p["value"].get<std::string>());
          }
        }
      }
    }
    return c;
  }
  // The register as ReportService gives it: checks every grant's sums and
  // returns them; prints the table.
  struct Register {
    int grants = 0;
    int64_t awarded = 0, paid = 0, outstanding = 0;
    std::vector<std::string> org_ids;
  };
  Register GrantRegister(const std::string& fund) {
    Register r;
    for (const json& g :
         CtlJson({"grants", fund}).value("grants", json::array())) {
      ++r.grants;
      r.awarded += Pence(g, "amount_awarded_pence");
      r.paid += Pence(g, "paid_pence");
      r.outstanding += Pence(g, "outstanding_pence");
      r.org_ids.push_back(g["recipient_org_id"]);
      EXPECT_EQ(g["status"], "CLOSED");
      EXPECT_EQ(g["award_date"], IsoDate(testing::TestEpoch()));
      EXPECT_FALSE(g.value("agreement_date", "").empty()) << g.dump();
    }
    std::string table;
    EXPECT_EQ(Ctl({"grants", fund}, &table), 0) << table;
    std::cout << table;
    return r;
  }
  // The fund's 360Giving package, validated against the standard's schemas
  // by python3-jsonschema; returns it parsed.
  json OpenData(const std::string& fund, const std::string& summary) {
    const std::string file = dir_.Sub(fund.substr(6) + "-360giving.json");
    std::string out;
    EXPECT_EQ(Ctl({"open-data", fund, "--out", file}, &out), 0) << out;
    EXPECT_THAT(out, ::testing::HasSubstr(summary));
    std::cout << out;
    EXPECT_EQ(testing::RunCommand({"/usr/bin/python3", VALIDATE_360GIVING, file,
                                   SCHEMAS_360GIVING},
                                  &out),
              0)
        << out;
    std::cout << "360Giving validator: " << out;
    std::ifstream in(file);
    return json::parse(in, nullptr, /*allow_exceptions=*/false);
  }
  // The sum of the package's amountAwarded, back in pence.
  static int64_t AwardedIn(const json& package) {
    int64_t pence = 0;
    for (const json& g : package["grants"]) {
      pence += std::llround(g["amountAwarded"].get<double>() * 100);
    }
    return pence;
  }
  static int64_t Pence(const json& j, const char* field) {
    return j.contains(field) ? std::stoll(j[field].get<std::string>()) : 0;
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
  ASSERT_NO_FATAL_FAILURE(Play(LffRoundOne(), "lff-round-1"));
  int64_t awarded = 0;
  for (const Funded& f : Nine()) awarded += f.pence;
  ASSERT_EQ(awarded, 38'973'900) << "the funder's reported total";

  const Ledger ledger = LedgerOf("funds/lff");
  EXPECT_EQ(ledger.committed, awarded);
  EXPECT_EQ(ledger.paid, awarded);
  EXPECT_EQ(ledger.reserved, 0);
  EXPECT_EQ(ledger.paid_by_line.at(kEarly), 21'500'000)
      << "MD2192's line, to the penny";
  EXPECT_EQ(ledger.paid_by_line.at(kLater), 17'473'900);
  // Every bid ended where the funder's process took it.
  EXPECT_EQ(CaseStates(kRound), (std::map<std::string, int>{{"CLOSED", 9},
                                                            {"DECLINED", 1},
                                                            {"INELIGIBLE", 1},
                                                            {"WITHDRAWN", 1}}));
  // Ben declared a conflict on one bid, and dee assessed it instead.
  int conflicts = 0;
  for (const json& as : CtlJson({"assess", "list", "--round", kRound, "--all"})
                            .value("assessments", json::array())) {
    for (const json& who : as.value("assignments", json::array())) {
      if (who.value("declaration", "") != "CONFLICT") continue;
      ++conflicts;
      EXPECT_EQ(who["assessor"], "ben");
      EXPECT_EQ(as["bid"]["title"], Nine()[1].title);
    }
  }
  EXPECT_EQ(conflicts, 1);
  // The fund dashboard says the same.
  const json d = CtlJson({"dashboard", "funds/lff"});
  EXPECT_EQ(Pence(d, "ceiling_pence"), 53'500'000);
  EXPECT_EQ(Pence(d, "committed_pence"), awarded);
  EXPECT_EQ(Pence(d, "paid_pence"), awarded);
  EXPECT_EQ(Pence(d, "reserved_pence"), 0);
  EXPECT_EQ(Pence(d, "available_pence"), 53'500'000 - awarded);
  ASSERT_EQ(d["rounds"].size(), 1u);
  const json& r = d["rounds"][0];
  EXPECT_EQ(r["round"], kRound);
  EXPECT_EQ(r["applications"], 12);
  EXPECT_EQ(r["cases_by_state"], (json{{"CLOSED", 9},
                                       {"DECLINED", 1},
                                       {"INELIGIBLE", 1},
                                       {"WITHDRAWN", 1}}));
  EXPECT_EQ(Pence(r, "requested_pence"), awarded + 7'500'000);
  EXPECT_EQ(Pence(r, "recommended_pence"), awarded);
  EXPECT_EQ(Pence(r, "awarded_pence"), awarded);
  EXPECT_EQ(Pence(r, "paid_pence"), awarded);
  std::string table;
  ASSERT_EQ(Ctl({"dashboard", "funds/lff"}, &table), 0) << table;
  std::cout << table;
  // Outcomes: each grant's latest accepted report counted once.
  const json outcomes = CtlJson({"outcomes", "funds/lff"});
  EXPECT_EQ(outcomes["grants_reporting"], 9);
  ASSERT_EQ(outcomes["indicators"].size(), 1u);
  EXPECT_EQ(outcomes["indicators"][0]["indicator"], "families reached");
  EXPECT_EQ(Pence(outcomes["indicators"][0], "total"), 2658);
  EXPECT_EQ(outcomes["indicators"][0]["grants"], 9);
  ASSERT_EQ(Ctl({"outcomes", "funds/lff"}, &table), 0) << table;
  std::cout << table;
  const Closed closed = ClosedAgreements();
  EXPECT_EQ(closed.agreements, 9);
  EXPECT_EQ(closed.pence, awarded);
  EXPECT_EQ(closed.families, 2658) << "as the funder's 2020 report gives";
  // The grant register: every award, paid to date.
  const Register reg = GrantRegister("funds/lff");
  EXPECT_EQ(reg.grants, 9);
  EXPECT_EQ(reg.awarded, awarded);
  EXPECT_EQ(reg.paid, awarded);
  EXPECT_EQ(reg.outstanding, 0);
  for (const std::string& id : reg.org_ids) {
    EXPECT_THAT(id, ::testing::StartsWith("GB-CHC-119000"));
  }
  // ... and as CSV, with its totals row.
  const std::string csv_file = dir_.Sub("lff-register.csv");
  ASSERT_EQ(Ctl({"register", "funds/lff", "--out", csv_file}, &table), 0)
      << table;
  std::stringstream csv;
  csv << std::ifstream(csv_file).rdbuf();
  EXPECT_THAT(csv.str(),
              ::testing::HasSubstr("\"total: 9 grants\",,,,,,,389739.00,"
                                   "389739.00,389739.00,0.00,"));
  // Open data: the ninth award waits for its publication date.
  const json package = OpenData("funds/lff", "8 grants, 1 awaiting");
  ASSERT_EQ(package["grants"].size(), 8u);
  EXPECT_EQ(AwardedIn(package), awarded - Nine()[8].pence);
  for (const json& g : package["grants"]) {
    EXPECT_NE(g["title"], Nine()[8].title) << "the deferred grant published";
    EXPECT_EQ(g["fundingOrganization"][0]["id"], "GB-GOR-PC390");
    EXPECT_EQ(g["amountDisbursed"], g["amountAwarded"]);
    ASSERT_FALSE(g["beneficiaryLocation"].empty()) << g.dump();
    for (const json& l : g["beneficiaryLocation"]) {
      EXPECT_THAT(l["geoCode"].get<std::string>(),
                  ::testing::StartsWith("E09"));
    }
  }
  std::cout << "LFF register: " << reg.grants << " grants, awarded "
            << reg.awarded << "p, paid " << reg.paid
            << "p; open data: " << package["grants"].size() << " grants, "
            << AwardedIn(package) << "p\n";
  std::cout << "LFF round 1 (" << (split() ? "split" : "all-in-one")
            << "): 9 awards, committed " << ledger.committed << "p, paid "
            << ledger.paid << "p (MD2192 " << ledger.paid_by_line.at(kEarly)
            << "p, MD2311 " << ledger.paid_by_line.at(kLater) << "p); "
            << closed.families << " families reached\n";

  // The round closes with a backup: grantctl asks each grantflowd once
  // (one all-in-one, or each of the ten processes), all under one name,
  // and every service's store is checkpointed exactly once.
  std::string backups;
  ASSERT_EQ(
      Ctl({"backup", "create", "--id", "end-of-round-1", "--json"}, &backups),
      0)
      << backups;
  const json made = json::parse(backups);
  ASSERT_EQ(made["backups"].size(), split() ? 10u : 1u) << backups;
  std::set<std::string> stores;
  for (const json& b : made["backups"]) {
    EXPECT_EQ(b["name"], "backups/end-of-round-1");
    for (const json& st : b["stores"]) {
      EXPECT_TRUE(stores.insert(st["service"].get<std::string>()).second)
          << st["service"] << " checkpointed twice";
      EXPECT_EQ(st["sha256"].get<std::string>().size(), 64u);
    }
  }
  EXPECT_EQ(stores.size(), 10u);
}

TEST_P(RoundTest, CultureSeedsMicroGrantsAgreeToThePenny) {
  ASSERT_NO_FATAL_FAILURE(Play(CultureSeedsRound(), "culture-seeds"));
  const int64_t awarded = std::accumulate(kSeeds.begin(), kSeeds.end(), 0LL);
  const Ledger ledger = LedgerOf("funds/culture-seeds");
  EXPECT_EQ(ledger.committed, awarded);
  EXPECT_EQ(ledger.paid, awarded);
  EXPECT_EQ(ledger.reserved, 0);
  EXPECT_EQ(CaseStates(kSeedsRound),
            (std::map<std::string, int>{{"CLOSED", 5}, {"DECLINED", 1}}));
  // One payment each.
  std::map<std::string, int> payments;
  for (const json& p : CtlJson({"payment", "list", "--state", "paid", "--all"})
                           .value("payments", json::array())) {
    ++payments[p["organisation"].get<std::string>()];
  }
  EXPECT_EQ(payments.size(), kSeeds.size());
  for (const auto& [org, count] : payments) EXPECT_EQ(count, 1) << org;
  const Closed closed = ClosedAgreements();
  EXPECT_EQ(closed.agreements, 5);
  EXPECT_EQ(closed.pence, awarded);
  // The register and open data: a charity, a CIC and an unincorporated
  // group each in their org-id form.
  const Register reg = GrantRegister("funds/culture-seeds");
  EXPECT_EQ(reg.grants, 5);
  EXPECT_EQ(reg.awarded, awarded);
  EXPECT_EQ(reg.paid, awarded);
  EXPECT_THAT(reg.org_ids, ::testing::UnorderedElementsAre(
                               "GB-CHC-1190001", "GB-COH-12000002",
                               "360G-grantflow-arts-group-3", "GB-CHC-1190004",
                               "GB-CHC-1190005"));
  const json package = OpenData("funds/culture-seeds", "5 grants, sha256");
  EXPECT_EQ(package["grants"].size(), 5u);
  EXPECT_EQ(AwardedIn(package), awarded);
  std::cout << "Culture Seeds (" << (split() ? "split" : "all-in-one")
            << "): 5 micro-grants, committed " << ledger.committed << "p, paid "
            << ledger.paid << "p in 5 payments\n";
}

}  // namespace
}  // namespace grantflow
