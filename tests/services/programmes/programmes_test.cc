#include "services/programmes/programmes.h"

#include <limits>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grantflow/workflow/v1/workflow.pb.h"
#include "gtest/gtest.h"
#include "platform/errors.h"
#include "platform/idempotency.h"
#include "platform/resources.h"
#include "tests/testing/engine_harness.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/in_process.h"
#include "tests/testing/matchers.h"
#include "tests/testing/temp_dir.h"

namespace grantflow::programmes {
namespace {

using ::grantflow::testing::HasReason;
using ::grantflow::testing::IsOk;
using ::grantflow::testing::StatusIs;

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const auto& v : errors::FieldViolationsOf(s)) out.push_back(v.field);
  return out;
}

class ProgrammesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenStore(dir_.path());
    engine_ = std::make_unique<testing::EngineHarness>(engine_dir_.path());
    ledger_ = std::make_unique<testing::EngineLedgerClient>(
        &engine_->engine(), [] { return testing::TestEpoch(); });
    domain_ = std::make_unique<Programmes>(store_.get(), ledger_.get());
    call_ =
        testing::MakeCall("grace", {"grants_officer"}, testing::TestEpoch());
  }

  pb::Fund MakeFund(const std::string& id) {
    pb::CreateFundRequest req;
    req.set_fund_id(id);
    *req.mutable_fund() = testing::ValidFund();
    req.set_request_id("fund-" + id);
    auto f = domain_->CreateFund(call_, req);
    EXPECT_TRUE(f.ok()) << f.status();
    return *f;
  }

  absl::StatusOr<pb::BudgetLine> MakeLine(const std::string& fund,
                                          const std::string& id) {
    pb::CreateBudgetLineRequest req;
    req.set_parent("funds/" + fund);
    req.set_budget_line_id(id);
    *req.mutable_budget_line() = testing::ValidBudgetLine(21'500'000);
    req.set_request_id(absl::StrCat("line-", fund, "-", id));
    return domain_->CreateBudgetLine(call_, req);
  }

  pb::CreateRoundRequest RoundRequest(const std::string& id) {
    pb::CreateRoundRequest req;
    req.set_parent("funds/lff");
    req.set_round_id(id);
    *req.mutable_round() = testing::ValidRound(
        testing::TestEpoch(), testing::TestEpoch() + absl::Hours(24 * 30),
        {"funds/lff/budgetLines/grants"});
    req.set_request_id("round-" + id);
    return req;
  }

  testing::TempDir dir_;
  testing::TempDir engine_dir_;
  std::unique_ptr<testing::EngineHarness> engine_;
  std::unique_ptr<testing::EngineLedgerClient> ledger_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Programmes> domain_;
  Call call_;
};

TEST_F(ProgrammesTest, CreateGetAndEtag) {
  pb::Fund f = MakeFund("lff");
  EXPECT_EQ(f.name(), "funds/lff");
  EXPECT_EQ(f.etag(), "1");
  EXPECT_EQ(f.create_time().seconds(),
            absl::ToUnixSeconds(testing::TestEpoch()));
  pb::GetFundRequest get;
  get.set_name("funds/lff");
  auto got = domain_->GetFund(call_, get);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->display_name(), "London Family Fund");
  EXPECT_EQ(got->etag(), "1");
  get.set_name("funds/missing");
  EXPECT_THAT(domain_->GetFund(call_, get).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ProgrammesTest, InvalidFundNamesEveryBadFieldAndWritesNothing) {
  pb::CreateFundRequest req;
  req.set_fund_id("Bad Id");
  req.mutable_fund()->set_funder_org_id("GLA");
  auto r = domain_->CreateFund(call_, req);
  EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Fields(r.status()),
              UnorderedElementsAre("fund_id", "fund.display_name",
                                   "fund.funder_org_id", "request_id"));
  EXPECT_EQ(testing::AuditCount(*store_), 0u);
  EXPECT_TRUE(store_->Scan("funds", "", "", 10)->rows.empty());
}

TEST_F(ProgrammesTest, DuplicateIdIsAlreadyExistsButRetryReturnsTheOriginal) {
  MakeFund("lff");
  pb::CreateFundRequest req;
  req.set_fund_id("lff");
  *req.mutable_fund() = testing::ValidFund();
  req.set_request_id("another-request");
  EXPECT_THAT(domain_->CreateFund(call_, req).status(),
              StatusIs(absl::StatusCode::kAlreadyExists));
  req.set_request_id("fund-lff");  // the first request, retried
  auto retried = domain_->CreateFund(call_, req);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->name(), "funds/lff");
  EXPECT_EQ(testing::AuditCount(*store_), 1u);
}

TEST_F(ProgrammesTest, BudgetLineRules) {
  MakeFund("lff");
  pb::CreateBudgetLineRequest req;
  req.set_parent("funds/lff");
  req.set_budget_line_id("grants");
  pb::BudgetLine& l = *req.mutable_budget_line();
  l = testing::ValidBudgetLine(0);
  l.set_decision_ref("XY12");
  l.set_financial_year("2017-19");
  l.set_kind(pb::BUDGET_LINE_KIND_UNSPECIFIED);
  req.set_request_id("r");
  auto r = domain_->CreateBudgetLine(call_, req);
  EXPECT_THAT(Fields(r.status()),
              UnorderedElementsAre(
                  "budget_line.ceiling_pence", "budget_line.decision_ref",
                  "budget_line.financial_year", "budget_line.kind"));
  for (const char* ref : {"MD2192", "DD1234", "ADD2120"}) {
    l = testing::ValidBudgetLine(100);
    l.set_decision_ref(ref);
    req.set_budget_line_id(absl::AsciiStrToLower(ref));
    req.set_request_id(ref);
    EXPECT_TRUE(domain_->CreateBudgetLine(call_, req).ok()) << ref;
  }
  EXPECT_THAT(MakeLine("nofund", "x").status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ProgrammesTest, RoundValidation) {
  MakeFund("lff");
  ASSERT_TRUE(MakeLine("lff", "grants").ok());
  MakeFund("other");
  ASSERT_TRUE(MakeLine("other", "theirs").ok());

  pb::CreateRoundRequest req = RoundRequest("r1");
  pb::Round& r = *req.mutable_round();
  r.mutable_criteria(0)->set_weight_percent(50);  // 50 + 40 != 100
  r.set_interview_stage(false);                   // standard needs interviews
  std::swap(*r.mutable_open_time(), *r.mutable_close_time());
  r.set_max_award_pence(10);  // below the minimum
  auto res = domain_->CreateRound(call_, req);
  EXPECT_THAT(
      Fields(res.status()),
      UnorderedElementsAre("round.criteria", "round.interview_stage",
                           "round.close_time", "round.max_award_pence"));

  req = RoundRequest("r1");
  req.mutable_round()->add_budget_lines("funds/other/budgetLines/theirs");
  req.mutable_round()->add_budget_lines("funds/lff/budgetLines/missing");
  res = domain_->CreateRound(call_, req);
  EXPECT_THAT(Fields(res.status()),
              ElementsAre("round.budget_lines[1]", "round.budget_lines[2]"));
  EXPECT_EQ(testing::AuditCount(*store_), 4u) << "only the funds and lines";

  req = RoundRequest("r1");
  req.mutable_round()->set_lifecycle_definition("micro-grant");
  req.mutable_round()->set_interview_stage(false);
  EXPECT_TRUE(domain_->CreateRound(call_, req).ok());
}

TEST_F(ProgrammesTest, EligibilityAndAssessmentRulesAreChecked) {
  MakeFund("lff");
  ASSERT_TRUE(MakeLine("lff", "grants").ok());
  const size_t audited = testing::AuditCount(*store_);
  pb::CreateRoundRequest req = RoundRequest("r1");
  pb::Round& r = *req.mutable_round();
  pb::EligibilityRules& e = *r.mutable_eligibility();
  e.add_legal_forms(applications::v1::REGISTERED_CHARITY);
  e.add_legal_forms(applications::v1::REGISTERED_CHARITY);  // twice
  e.add_legal_forms(applications::v1::LEGAL_FORM_UNSPECIFIED);
  e.add_legal_forms(static_cast<applications::v1::LegalForm>(99));
  e.add_boroughs("Hackney");
  e.add_boroughs("Slough");
  e.set_max_annual_income_pence(-1);
  pb::AssessmentRules& a = *r.mutable_assessment();
  a.set_assessors_per_application(11);
  a.set_moderation_threshold_percent(101);
  a.set_assessment_days(-3);
  a.set_panel_size(1);
  a.set_interview_weight_percent(100);  // fine
  pb::Criterion* c = a.add_interview_criteria();
  c->set_id("delivery");
  c->set_title("Can they deliver?");
  c->set_weight_percent(std::numeric_limits<int32_t>::max());  // no overflow
  c->set_max_score(10);
  a.add_interview_criteria()->CopyFrom(*c);
  EXPECT_THAT(
      Fields(domain_->CreateRound(call_, req).status()),
      UnorderedElementsAre(
          "round.eligibility.legal_forms[1]",
          "round.eligibility.legal_forms[2]",
          "round.eligibility.legal_forms[3]", "round.eligibility.boroughs[1]",
          "round.eligibility.max_annual_income_pence",
          "round.assessment.assessors_per_application",
          "round.assessment.moderation_threshold_percent",
          "round.assessment.assessment_days", "round.assessment.panel_size",
          "round.assessment.interview_criteria[0].weight_percent",
          "round.assessment.interview_criteria[1].id",
          "round.assessment.interview_criteria[1].weight_percent",
          "round.assessment.interview_criteria"));
  EXPECT_EQ(testing::AuditCount(*store_), audited) << "nothing written";

  // Interview settings on a round without interviews.
  req = RoundRequest("r1");
  req.mutable_round()->set_lifecycle_definition("micro-grant");
  req.mutable_round()->set_interview_stage(false);
  req.mutable_round()->mutable_assessment()->set_panel_size(3);
  EXPECT_THAT(Fields(domain_->CreateRound(call_, req).status()),
              ElementsAre("round.assessment"));

  // Valid rules are kept as given.
  req = RoundRequest("r1");
  req.mutable_round()->mutable_eligibility()->add_legal_forms(
      applications::v1::COMMUNITY_INTEREST_COMPANY);
  req.mutable_round()->mutable_eligibility()->set_max_annual_income_pence(
      50'000'000);
  req.mutable_round()->mutable_assessment()->set_assessors_per_application(3);
  auto made = domain_->CreateRound(call_, req);
  ASSERT_THAT(made.status(), IsOk());
  EXPECT_EQ(made->eligibility().max_annual_income_pence(), 50'000'000);
  EXPECT_EQ(made->assessment().assessors_per_application(), 3);
}

TEST_F(ProgrammesTest, UpdateRoundChecksEtagMaskAndMergedResult) {
  MakeFund("lff");
  ASSERT_TRUE(MakeLine("lff", "grants").ok());
  auto created = domain_->CreateRound(call_, RoundRequest("r1"));
  ASSERT_TRUE(created.ok()) << created.status();

  pb::UpdateRoundRequest up;
  up.mutable_round()->set_name("funds/lff/rounds/r1");
  up.mutable_round()->set_etag("1");
  *up.mutable_round()->mutable_close_time() =
      ToProto(testing::TestEpoch() + absl::Hours(24 * 60));
  up.mutable_update_mask()->add_paths("close_time");
  up.set_request_id("extend");
  auto updated = domain_->UpdateRound(call_, up);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->etag(), "2");
  EXPECT_EQ(updated->display_name(), "Round 1") << "unmasked fields stay";

  up.set_request_id("stale");
  auto stale = domain_->UpdateRound(call_, up);  // etag 1 is now stale
  EXPECT_THAT(stale.status(), StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(stale.status(), HasReason("ETAG_MISMATCH"));

  up.mutable_round()->set_etag("2");
  *up.mutable_round()->mutable_close_time() = ToProto(testing::TestEpoch());
  up.set_request_id("shrink");
  auto bad = domain_->UpdateRound(call_, up);
  EXPECT_THAT(Fields(bad.status()), ElementsAre("round.close_time"));

  up.mutable_update_mask()->add_paths("lifecycle_definition");
  up.set_request_id("mask");
  EXPECT_THAT(Fields(domain_->UpdateRound(call_, up).status()),
              ElementsAre("update_mask"));

  pb::GetRoundRequest get;
  get.set_name("funds/lff/rounds/r1");
  EXPECT_EQ(domain_->GetRound(call_, get)->etag(), "2");
}

TEST_F(ProgrammesTest, ListRoundsPagesThroughEveryRoundOnce) {
  MakeFund("lff");
  ASSERT_TRUE(MakeLine("lff", "grants").ok());
  MakeFund("other");
  for (int i = 0; i < 120; ++i) {
    ASSERT_TRUE(
        domain_->CreateRound(call_, RoundRequest(absl::StrCat("r", 1000 + i)))
            .ok());
  }
  std::vector<std::string> seen;
  pb::ListRoundsRequest req;
  req.set_parent("funds/lff");
  req.set_page_size(50);
  int pages = 0;
  do {
    auto page = domain_->ListRounds(call_, req);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& r : page->rounds()) seen.push_back(r.name());
    req.set_page_token(page->next_page_token());
    ++pages;
  } while (!req.page_token().empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 120u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 120u);

  pb::ListRoundsRequest other;
  other.set_parent("funds/other");
  EXPECT_EQ(domain_->ListRounds(call_, other)->rounds_size(), 0);
  other.set_parent("funds/none");
  EXPECT_THAT(domain_->ListRounds(call_, other).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace grantflow::programmes

namespace grantflow::programmes {
namespace {

// ProgrammeService and the ledger never disagree about a ceiling.
class CeilingTest : public ProgrammesTest {
 protected:
  void SetUp() override {
    ProgrammesTest::SetUp();
    MakeFund("lff");
    ASSERT_TRUE(MakeLine("lff", "grants-a").ok());
  }
  absl::StatusOr<pb::BudgetLine> SetCeiling(int64_t pence,
                                            const std::string& rid) {
    pb::UpdateBudgetLineRequest up;
    up.mutable_budget_line()->set_name(kLine);
    up.mutable_budget_line()->set_ceiling_pence(pence);
    up.mutable_update_mask()->add_paths("ceiling_pence");
    up.set_request_id(rid);
    return domain_->UpdateBudgetLine(call_, up);
  }
  pb::BudgetLine Local() {
    pb::GetBudgetLineRequest get;
    get.set_name(kLine);
    return *domain_->GetBudgetLine(call_, get);
  }
  workflow::v1::LedgerLine Ledger() { return *ledger_->Get(kLine); }
  static constexpr char kLine[] = "funds/lff/budgetLines/grants-a";
};

TEST_F(CeilingTest, EveryCeilingIsRegisteredWithTheLedgerFirst) {
  EXPECT_EQ(Ledger().ceiling_pence(), 21'500'000);
  EXPECT_EQ(Ledger().source_generation(), Local().ledger_generation());
  auto raised = SetCeiling(30'000'000, "raise");
  ASSERT_TRUE(raised.ok()) << raised.status();
  EXPECT_EQ(raised->ledger_generation(), 2);
  EXPECT_EQ(Ledger().ceiling_pence(), 30'000'000);
  EXPECT_EQ(Ledger().source_generation(), 2);
  // A change of another field leaves the ledger alone.
  pb::UpdateBudgetLineRequest rename;
  rename.mutable_budget_line()->set_name(kLine);
  rename.mutable_budget_line()->set_display_name("Renamed");
  rename.mutable_update_mask()->add_paths("display_name");
  rename.set_request_id("rename");
  ASSERT_TRUE(domain_->UpdateBudgetLine(call_, rename).ok());
  EXPECT_EQ(Ledger().source_generation(), 2);
}

TEST_F(CeilingTest, BelowUseOrWithTheLedgerDownNothingIsWritten) {
  engine_->AddToRound(kLine);
  ASSERT_TRUE(engine_->Start("a1").ok());
  ASSERT_TRUE(engine_->ToChecksPassed("a1", 5'000'000, kLine).ok());
  const pb::BudgetLine before = Local();
  const uint64_t audits = testing::AuditCount(*store_);
  EXPECT_THAT(SetCeiling(4'999'999, "low").status(),
              HasReason("CEILING_BELOW_USE"));
  ledger_->down = true;
  EXPECT_THAT(SetCeiling(9'000'000, "down").status(),
              StatusIs(absl::StatusCode::kUnavailable));
  ledger_->down = false;
  EXPECT_EQ(Local().etag(), before.etag());
  EXPECT_EQ(Local().ceiling_pence(), 21'500'000);
  EXPECT_EQ(Ledger().ceiling_pence(), 21'500'000);
  EXPECT_EQ(testing::AuditCount(*store_), audits);
  ASSERT_TRUE(SetCeiling(5'000'000, "exact").ok());
  EXPECT_EQ(Ledger().ceiling_pence(), 5'000'000);
}

// ProgrammeService stopped after the ledger accepted a ceiling and before it
// recorded it: reconciling adopts the ledger's.
TEST_F(CeilingTest, ReconcileAdoptsACeilingTheLedgerAcceptedBeforeACrash) {
  workflow::v1::RegisterBudgetLineRequest reg;
  reg.set_budget_line(kLine);
  reg.set_ceiling_pence(25'000'000);
  reg.set_generation(2);
  reg.set_request_id("before-the-crash");
  ASSERT_TRUE(ledger_->Register(reg).ok());
  EXPECT_EQ(Local().ceiling_pence(), 21'500'000);
  auto report = domain_->ReconcileLedger(testing::TestEpoch());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->checked, 1);
  EXPECT_EQ(report->adopted, 1);
  EXPECT_EQ(Local().ceiling_pence(), 25'000'000);
  EXPECT_EQ(Local().ledger_generation(), 2);
  // Once they agree, reconciling changes nothing.
  auto again = domain_->ReconcileLedger(testing::TestEpoch());
  EXPECT_EQ(again->adopted + again->pushed, 0);
}

// The ledger lost a line (restored from an older backup, say): reconciling
// registers this service's ceiling again.
TEST_F(CeilingTest, ReconcilePushesWhenTheLedgerIsBehind) {
  testing::TempDir other_dir;
  testing::EngineHarness other(other_dir.path());
  testing::EngineLedgerClient other_ledger(&other.engine(),
                                           [] { return testing::TestEpoch(); });
  Programmes domain(store_.get(), &other_ledger);
  auto report = domain.ReconcileLedger(testing::TestEpoch());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->pushed, 1);
  auto line = other_ledger.Get(kLine);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->ceiling_pence(), 21'500'000);
  EXPECT_EQ(line->source_generation(), 1) << "the line's own generation";
  EXPECT_EQ(Local().ledger_generation(), 1);
  // With the ledger unreachable, the line waits for the next pass.
  other_ledger.down = true;
  auto down = domain.ReconcileLedger(testing::TestEpoch());
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->problems.size(), 1u);
}

}  // namespace
}  // namespace grantflow::programmes
