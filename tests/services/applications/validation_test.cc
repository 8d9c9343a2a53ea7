#include "services/applications/validation.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/resources.h"
#include "tests/testing/fixtures.h"

namespace grantflow::applications {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Fields(const errors::Violations& v) {
  std::vector<std::string> out;
  for (const auto& f : v.list()) out.push_back(f.field);
  return out;
}

TEST(ValidationTest, Formats) {
  EXPECT_TRUE(IsCharityNumber("1180001"));
  EXPECT_TRUE(IsCharityNumber("212345"));
  EXPECT_FALSE(IsCharityNumber("12345"));
  EXPECT_FALSE(IsCharityNumber("11800011"));
  EXPECT_FALSE(IsCharityNumber("118000A"));
  EXPECT_TRUE(IsCompanyNumber("01234567"));
  EXPECT_TRUE(IsCompanyNumber("SC123456"));
  EXPECT_FALSE(IsCompanyNumber("1234567"));
  EXPECT_FALSE(IsCompanyNumber("sc123456"));
  EXPECT_TRUE(IsUkPostcode("E8 1DY"));
  EXPECT_TRUE(IsUkPostcode("SE15 5BS"));
  EXPECT_TRUE(IsUkPostcode("EC1A 1BB"));
  EXPECT_FALSE(IsUkPostcode("90210"));
  EXPECT_TRUE(IsEmail("a@example.org"));
  EXPECT_FALSE(IsEmail("a@b"));
  EXPECT_EQ(LondonBoroughs().size(), 33u);
  EXPECT_TRUE(IsLondonBorough("Barking and Dagenham"));
  EXPECT_FALSE(IsLondonBorough("Slough"));
}

TEST(ValidationTest, LegalFormDecidesWhichNumbersAreRequired) {
  pb::Organisation org = testing::ValidOrganisation({"amira"});
  errors::Violations ok;
  ValidateOrganisation(org, "organisation", &ok);
  EXPECT_THAT(Fields(ok), IsEmpty());

  org.clear_charity_number();
  errors::Violations cio;
  ValidateOrganisation(org, "organisation", &cio);
  EXPECT_THAT(Fields(cio), ElementsAre("organisation.charity_number"));

  org.set_legal_form(pb::COMMUNITY_INTEREST_COMPANY);
  errors::Violations cic;
  ValidateOrganisation(org, "organisation", &cic);
  EXPECT_THAT(Fields(cic), ElementsAre("organisation.company_number"));

  org.set_legal_form(pb::UNINCORPORATED_COMMUNITY_GROUP);
  org.set_company_number("01234567");
  errors::Violations group;
  ValidateOrganisation(org, "organisation", &group);
  EXPECT_THAT(Fields(group), ElementsAre("organisation.company_number"));
}

TEST(ValidationTest, OrganisationNamesEachBadField) {
  pb::Organisation org;
  org.mutable_address()->set_postcode("nowhere");
  org.mutable_address()->set_borough("Slough");
  org.add_member_users("two words");
  errors::Violations v;
  ValidateOrganisation(org, "organisation", &v);
  EXPECT_THAT(
      Fields(v),
      UnorderedElementsAre(
          "organisation.display_name", "organisation.legal_form",
          "organisation.address.line1", "organisation.address.town",
          "organisation.address.postcode", "organisation.address.borough",
          "organisation.contacts", "organisation.member_users[0]"));
}

TEST(ValidationTest, DraftChecksPresentFieldsOnly) {
  pb::Application empty;
  errors::Violations v;
  ValidateDraft(empty, nullptr, "application", &v);
  EXPECT_THAT(Fields(v), IsEmpty()) << "a draft may be mostly empty";

  pb::Application bad;
  bad.set_title(std::string(141, 'x'));
  bad.set_planned_start_date("2027-03-01");
  bad.set_planned_end_date("2027-02-01");
  bad.add_boroughs_served("Hackney");
  bad.add_boroughs_served("Hackney");
  bad.add_budget()->set_amount_pence(0);
  errors::Violations v2;
  ValidateDraft(bad, nullptr, "application", &v2);
  EXPECT_THAT(
      Fields(v2),
      UnorderedElementsAre("application.title", "application.planned_end_date",
                           "application.boroughs_served[1]",
                           "application.budget[0].description",
                           "application.budget[0].amount_pence"));
}

TEST(ValidationTest, TitleLimitCountsCharactersNotBytes) {
  pb::Application a;
  std::string title;
  for (int i = 0; i < 140; ++i) title += "é";
  a.set_title(title);
  errors::Violations v;
  ValidateDraft(a, nullptr, "application", &v);
  EXPECT_THAT(Fields(v), IsEmpty());
}

TEST(ValidationTest, CompletenessAndRoundLimits) {
  programmes::v1::Round round = testing::ValidRound(
      testing::TestEpoch(), testing::TestEpoch() + absl::Hours(240), {});
  pb::Application a = testing::CompleteApplication(
      "funds/lff/rounds/r", "organisations/o", 2'000'000);
  errors::Violations ok;
  CheckComplete(a, round, testing::TestEpoch(), "application", &ok);
  EXPECT_THAT(Fields(ok), IsEmpty());

  a.mutable_budget(0)->set_amount_pence(1);  // no longer adds up
  a.set_amount_requested_pence(9'000'000);   // above the round's £75,000
  a.set_planned_start_date("2026-04-01");    // before "today"
  a.clear_boroughs_served();
  errors::Violations v;
  CheckComplete(a, round, testing::TestEpoch(), "application", &v);
  EXPECT_THAT(Fields(v),
              UnorderedElementsAre("application.amount_requested_pence",
                                   "application.planned_start_date",
                                   "application.boroughs_served",
                                   "application.budget"));

  pb::Application empty;
  errors::Violations missing;
  CheckComplete(empty, round, testing::TestEpoch(), "application", &missing);
  EXPECT_EQ(missing.list().size(), 8u);
}

TEST(ValidationTest, EqualityMonitoringVocabulary) {
  pb::EqualityMonitoring em;
  em.add_led_by("Women");
  em.add_mainly_serves("Martians");
  em.set_prefer_not_to_say(true);
  errors::Violations v;
  ValidateEqualityMonitoring(em, "equality_monitoring", &v);
  EXPECT_THAT(Fields(v),
              UnorderedElementsAre("equality_monitoring.mainly_serves[0]",
                                   "equality_monitoring.prefer_not_to_say"));
}

}  // namespace
}  // namespace grantflow::applications
