#include "services/assessment/scoring.h"

#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/matchers.h"

namespace grantflow::assessment {
namespace {

namespace ppb = ::grantflow::programmes::v1;
namespace apb = ::grantflow::applications::v1;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

Criteria TwoCriteria() {
  Criteria c;
  ppb::Criterion* inclusion = c.Add();
  inclusion->set_id("inclusion");
  inclusion->set_title("Inclusion of disadvantaged and excluded groups");
  inclusion->set_weight_percent(60);
  inclusion->set_max_score(5);
  ppb::Criterion* safeguarding = c.Add();
  safeguarding->set_id("safeguarding");
  safeguarding->set_title("Safeguarding");
  safeguarding->set_weight_percent(40);
  safeguarding->set_max_score(10);
  return c;
}

google::protobuf::RepeatedPtrField<pb::CriterionScore> Scores(
    std::vector<std::tuple<std::string, int, bool, std::string>> list) {
  google::protobuf::RepeatedPtrField<pb::CriterionScore> out;
  for (const auto& [id, score, na, comment] : list) {
    pb::CriterionScore* s = out.Add();
    s->set_criterion(id);
    s->set_score(score);
    s->set_not_applicable(na);
    s->set_comment(comment);
  }
  return out;
}

std::vector<std::string> Fields(const errors::Violations& v) {
  std::vector<std::string> out;
  for (const auto& fv : v.list()) out.push_back(fv.field);
  return out;
}

TEST(ScoringTest, WeightedScoreIsSumOfWeightedScoresOverWeightedMaxima) {
  // (60*4 + 40*7) / (60*5 + 40*10) = 520 / 700 = 74.2857% -> 7429 bp.
  EXPECT_EQ(WeightedScoreBp(Scores({{"inclusion", 4, false, ""},
                                    {"safeguarding", 7, false, ""}}),
                            TwoCriteria()),
            7429);
  // Full and zero marks.
  EXPECT_EQ(WeightedScoreBp(Scores({{"inclusion", 5, false, ""},
                                    {"safeguarding", 10, false, ""}}),
                            TwoCriteria()),
            10000);
  EXPECT_EQ(WeightedScoreBp(Scores({{"inclusion", 0, false, ""},
                                    {"safeguarding", 0, false, ""}}),
                            TwoCriteria()),
            0);
  // Not applicable leaves numerator and denominator alike: 60*4 / 60*5.
  EXPECT_EQ(WeightedScoreBp(Scores({{"inclusion", 4, false, ""},
                                    {"safeguarding", 0, true, "no children"}}),
                            TwoCriteria()),
            8000);
  // Nothing scored.
  EXPECT_EQ(WeightedScoreBp(Scores({{"safeguarding", 0, true, "n/a"}}),
                            TwoCriteria()),
            -1);
  // Rounded half up: 1/3 of 10000 = 3333.33 -> 3333; 2/3 -> 6667.
  Criteria thirds;
  ppb::Criterion* c = thirds.Add();
  c->set_id("x");
  c->set_weight_percent(100);
  c->set_max_score(3);
  EXPECT_EQ(WeightedScoreBp(Scores({{"x", 1, false, ""}}), thirds), 3333);
  EXPECT_EQ(WeightedScoreBp(Scores({{"x", 2, false, ""}}), thirds), 6667);
  // 1/8 = 1250 exactly; 1/16 = 625; 1/32 = 312.5 -> 313 (half up).
  c->set_max_score(32);
  EXPECT_EQ(WeightedScoreBp(Scores({{"x", 1, false, ""}}), thirds), 313);
}

TEST(ScoringTest, MeanRoundsHalfUp) {
  EXPECT_EQ(MeanBp({}), -1);
  EXPECT_EQ(MeanBp({7000, 8001}), 7501);  // 7500.5 -> 7501
  EXPECT_EQ(MeanBp({10000, 10000, 10000}), 10000);
}

TEST(ScoringTest, ScoresOutsideTheirRangeOrUnknownOrTwiceAreRefused) {
  errors::Violations v;
  CheckScores(
      Scores({{"inclusion", 6, false, "c"},
              {"inclusion", 1, false, "c"},
              {"safeguarding", -1, false, "c"},
              {"budget", 1, false, "c"},
              {"safeguarding", std::numeric_limits<int>::max(), false, "c"}}),
      TwoCriteria(), false, false, "scores", &v);
  EXPECT_THAT(Fields(v),
              UnorderedElementsAre("scores[0].score", "scores[1].criterion",
                                   "scores[2].score", "scores[3].criterion",
                                   "scores[4].criterion", "scores[4].score"));
}

TEST(ScoringTest, CommentsWhenRequiredAndEveryCriterionWhenComplete) {
  errors::Violations v;
  CheckScores(
      Scores({{"inclusion", 3, false, "  "}, {"safeguarding", 2, true, ""}}),
      TwoCriteria(), /*comments_required=*/true, /*complete=*/false, "scores",
      &v);
  EXPECT_THAT(Fields(v), ElementsAre("scores[0].comment", "scores[1].score",
                                     "scores[1].comment"));

  errors::Violations partial;
  CheckScores(Scores({{"inclusion", 3, false, ""}}), TwoCriteria(), false,
              /*complete=*/true, "scores", &partial);
  EXPECT_THAT(Fields(partial), ElementsAre("scores"));

  errors::Violations ok;
  CheckScores(Scores({{"inclusion", 3, false, "good reach"},
                      {"safeguarding", 0, true, "adults only"}}),
              TwoCriteria(), true, true, "scores", &ok);
  EXPECT_TRUE(ok.empty());

  errors::Violations huge;
  CheckScores(Scores({{"inclusion", 3, false, std::string(4001, 'x')}}),
              TwoCriteria(), false, false, "scores", &huge);
  EXPECT_THAT(Fields(huge), ElementsAre("scores[0].comment"));
}

pb::Bid HackneyCharityBid() {
  pb::Bid b;
  b.set_legal_form(apb::REGISTERED_CHARITY);
  b.add_boroughs_served("Hackney");
  b.set_amount_requested_pence(2'500'000);
  b.set_annual_income_pence(40'000'000);
  return b;
}

ppb::Round Round() {
  ppb::Round r;
  r.set_min_award_pence(1'000'000);
  r.set_max_award_pence(7'500'000);
  return r;
}

std::vector<int> Results(const std::vector<pb::EligibilityCheck>& checks) {
  std::vector<int> out;
  for (const auto& c : checks) out.push_back(c.result());
  return out;
}

TEST(ScoringTest, EligibilityChecksEachRule) {
  using R = pb::EligibilityCheck;
  ppb::Round open = Round();
  auto checks = CheckEligibility(HackneyCharityBid(), open);
  ASSERT_EQ(checks.size(), 4u);
  EXPECT_EQ(checks[0].rule(), "legal_form");
  EXPECT_EQ(checks[3].rule(), "annual_income");
  EXPECT_THAT(Results(checks), ElementsAre(R::PASS, R::PASS, R::PASS, R::PASS));

  ppb::Round strict = Round();
  strict.mutable_eligibility()->add_legal_forms(
      apb::COMMUNITY_INTEREST_COMPANY);
  strict.mutable_eligibility()->add_boroughs("Southwark");
  strict.mutable_eligibility()->set_max_annual_income_pence(25'000'000);
  strict.set_max_award_pence(2'000'000);
  checks = CheckEligibility(HackneyCharityBid(), strict);
  EXPECT_THAT(Results(checks), ElementsAre(R::FAIL, R::FAIL, R::FAIL, R::FAIL));
  EXPECT_EQ(checks[3].detail(),
            "annual income £400,000.00 is above the cap of £250,000.00");

  // What the bid does not say is for the officer to decide.
  pb::Bid vague = HackneyCharityBid();
  vague.clear_boroughs_served();
  vague.add_boroughs_served("London-wide");
  vague.set_annual_income_pence(0);
  checks = CheckEligibility(vague, strict);
  EXPECT_EQ(checks[1].result(), R::UNKNOWN);
  EXPECT_EQ(checks[3].result(), R::UNKNOWN);

  // At the boundaries: the cap itself and the round's limits pass.
  pb::Bid edge = HackneyCharityBid();
  edge.set_annual_income_pence(25'000'000);
  edge.set_amount_requested_pence(2'000'000);
  checks = CheckEligibility(edge, strict);
  EXPECT_EQ(checks[2].result(), R::PASS);
  EXPECT_EQ(checks[3].result(), R::PASS);
}

}  // namespace
}  // namespace grantflow::assessment
