// The tiers: which award gets which, and what each asks for.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/duediligence/checks.h"

namespace grantflow::duediligence {
namespace {

std::vector<std::string> Kinds(pb::Tier tier, bool evidence_only = false) {
  std::vector<std::string> out;
  for (const pb::Item& it : ItemsOf(tier)) {
    if (!evidence_only || it.evidence_required()) {
      out.push_back(pb::ItemKind_Name(it.kind()));
    }
  }
  return out;
}

TEST(TierTest, ThresholdsAreInclusiveAndConfigurable) {
  const pb::Policy p = DefaultPolicy();
  EXPECT_EQ(p.standard_from_pence(), 1'000'000);
  EXPECT_EQ(p.enhanced_from_pence(), 10'000'000);
  EXPECT_EQ(p.validity_days(), 365);
  EXPECT_EQ(TierFor(p, 1), pb::LIGHT);
  EXPECT_EQ(TierFor(p, 999'999), pb::LIGHT);
  EXPECT_EQ(TierFor(p, 1'000'000), pb::STANDARD);
  EXPECT_EQ(TierFor(p, 9'999'999), pb::STANDARD);
  EXPECT_EQ(TierFor(p, 10'000'000), pb::ENHANCED);
  pb::Policy q = p;
  q.set_standard_from_pence(500'000);
  q.set_enhanced_from_pence(500'000);
  EXPECT_EQ(TierFor(q, 499'999), pb::LIGHT);
  EXPECT_EQ(TierFor(q, 500'000), pb::ENHANCED);
}

TEST(TierTest, EachTierListsItsItemsAndTheEvidenceTheyNeed) {
  using ::testing::ElementsAre;
  EXPECT_THAT(Kinds(pb::LIGHT), ElementsAre("LEGAL_STATUS", "BANK_ACCOUNT",
                                            "FRAUD_RISK", "DUPLICATE_FUNDING"));
  EXPECT_THAT(Kinds(pb::STANDARD),
              ElementsAre("LEGAL_STATUS", "GOVERNANCE", "ACCOUNTS",
                          "BANK_ACCOUNT", "FRAUD_RISK", "DUPLICATE_FUNDING"));
  EXPECT_THAT(
      Kinds(pb::ENHANCED),
      ElementsAre("LEGAL_STATUS", "GOVERNANCE", "ACCOUNTS", "FINANCIAL_HEALTH",
                  "BANK_ACCOUNT", "FRAUD_RISK", "DUPLICATE_FUNDING"));
  EXPECT_THAT(Kinds(pb::LIGHT, true),
              ElementsAre("LEGAL_STATUS", "BANK_ACCOUNT"));
  // Enhanced: evidence on everything an officer records.
  EXPECT_THAT(Kinds(pb::ENHANCED, true),
              ElementsAre("LEGAL_STATUS", "GOVERNANCE", "ACCOUNTS",
                          "FINANCIAL_HEALTH", "BANK_ACCOUNT", "FRAUD_RISK"));
  for (const pb::Item& it : ItemsOf(pb::ENHANCED)) {
    EXPECT_EQ(it.result(), pb::RESULT_UNSPECIFIED);
  }
}

}  // namespace
}  // namespace grantflow::duediligence
