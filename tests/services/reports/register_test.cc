// The grant register's and the open data's rules, one function at a time;
// the 360Giving package is validated against the standard's schemas with
// python3-jsonschema.
#include "services/reports/register.h"

#include <fstream>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/london.h"
#include "platform/resources.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace grantflow::reports {
namespace {

namespace apb = ::grantflow::applications::v1;
namespace awpb = ::grantflow::awards::v1;
namespace wpb = ::grantflow::workflow::v1;

using ::testing::HasSubstr;

const absl::Time kDecided = absl::FromUnixSeconds(1'530'000'000);  // 2018-06-26

apb::Organisation Org(const std::string& id, const std::string& charity,
                      const std::string& company) {
  apb::Organisation o;
  o.set_name("organisations/" + id);
  o.set_display_name("Hackney Families Together");
  o.set_charity_number(charity);
  o.set_company_number(company);
  o.mutable_address()->set_borough("Hackney");
  return o;
}

struct Grant {
  wpb::Case kase;
  awpb::Award award;
  apb::Application app;
  apb::Organisation org = Org("hft", "1123456", "");
};

Grant ActiveGrant() {
  Grant g;
  wpb::Case& c = g.kase;
  c.set_name("cases/a1");
  c.set_application("applications/a1");
  c.set_round("funds/lff/rounds/2018-r1");
  c.set_organisation("organisations/hft");
  c.set_state("ACTIVE");
  c.set_amount_requested_pence(5'000'000);
  c.set_awarded_pence(4'500'000);
  c.set_paid_pence(2'250'005);
  auto* al = c.add_allocations();
  al->set_budget_line("funds/lff/budgetLines/md2192");
  al->set_amount_pence(4'500'000);
  c.mutable_agreement()->set_executed(true);
  *c.mutable_agreement()->mutable_funder()->mutable_time() =
      ToProto(kDecided + absl::Hours(24 * 30));
  *c.mutable_update_time() = ToProto(kDecided + absl::Hours(24 * 60));
  *g.award.mutable_decide_time() = ToProto(kDecided);
  g.award.set_publication_date("2018-07-01");
  g.app.set_title("Family cook and eat");
  g.app.set_summary("Parents from different backgrounds cook together.");
  g.app.add_boroughs_served("Hackney");
  g.app.add_boroughs_served(kLondonWide);
  g.app.set_planned_start_date("2018-09-01");
  g.app.set_planned_end_date("2019-09-01");
  return g;
}

pb::GrantRecord Record(const Grant& g) {
  return MakeGrantRecord({.kase = &g.kase,
                          .award = &g.award,
                          .application = &g.app,
                          .organisation = &g.org,
                          .round_title = "Round 1"},
                         "360G-grantflow");
}

TEST(LondonGssCodeTest, BoroughsTheCityAndLondon) {
  EXPECT_EQ(LondonGssCode("City of London"), "E09000001");
  EXPECT_EQ(LondonGssCode("Barking and Dagenham"), "E09000002");
  EXPECT_EQ(LondonGssCode("Camden"), "E09000007");
  EXPECT_EQ(LondonGssCode("Croydon"), "E09000008");
  EXPECT_EQ(LondonGssCode("Hackney"), "E09000012");
  EXPECT_EQ(LondonGssCode("Tower Hamlets"), "E09000030");
  EXPECT_EQ(LondonGssCode("Westminster"), "E09000033");
  EXPECT_EQ(LondonGssCode(kLondonWide), "E12000007");
  EXPECT_EQ(LondonGssCode("Narnia"), "");
  // Every borough has its own code.
  std::set<std::string> codes;
  for (const std::string& b : LondonBoroughs()) codes.insert(LondonGssCode(b));
  EXPECT_EQ(codes.size(), 33u);
  EXPECT_FALSE(codes.contains(""));
}

TEST(OrgIdTest, CharityThenCompanyThenThePublishersOwn) {
  EXPECT_EQ(OrgId(Org("a", "1123456", "08765432"), "360G-x"), "GB-CHC-1123456");
  EXPECT_EQ(OrgId(Org("a", "", "sc123456"), "360G-x"), "GB-COH-SC123456");
  EXPECT_EQ(OrgId(Org("peckham-arts", "", ""), "360G-x"),
            "360G-x-peckham-arts");
}

TEST(GrantRecordTest, JoinsTheParts) {
  const pb::GrantRecord r = Record(ActiveGrant());
  EXPECT_EQ(r.grant(), "awards/a1");
  EXPECT_EQ(r.recipient_org_id(), "GB-CHC-1123456");
  EXPECT_EQ(r.recipient_borough(), "Hackney");
  EXPECT_EQ(r.amount_awarded_pence(), 4'500'000);
  EXPECT_EQ(r.paid_pence(), 2'250'005);
  EXPECT_EQ(r.outstanding_pence(), 2'249'995);
  EXPECT_EQ(r.award_date(), "2018-06-26");
  EXPECT_EQ(r.agreement_date(), "2018-07-26");
  EXPECT_EQ(r.publication_date(), "2018-07-01");
  EXPECT_EQ(r.status(), "ACTIVE");
  EXPECT_EQ(r.last_modified(), "2018-08-25T08:00:00Z");
}

TEST(GrantRecordTest, NothingOutstandingOnceEnded) {
  for (const char* state : {"CLOSED", "TERMINATED", "WITHDRAWN", "LAPSED"}) {
    Grant g = ActiveGrant();
    g.kase.set_state(state);
    EXPECT_EQ(Record(g).outstanding_pence(), 0) << state;
  }
  Grant g = ActiveGrant();
  g.kase.set_state("AGREEMENT_ISSUED");
  g.kase.clear_agreement();
  const pb::GrantRecord r = Record(g);
  EXPECT_EQ(r.agreement_date(), "");
  EXPECT_EQ(r.outstanding_pence(), 4'500'000 - 2'250'005);
}

TEST(GrantRecordTest, MissingPartsLeaveTheirFieldsEmpty) {
  Grant g = ActiveGrant();
  const pb::GrantRecord r = MakeGrantRecord({.kase = &g.kase}, "360G-x");
  EXPECT_EQ(r.award_date(), "");
  EXPECT_EQ(r.publication_date(), "");
  EXPECT_EQ(r.recipient_name(), "");
  EXPECT_EQ(r.amount_awarded_pence(), 4'500'000);
  EXPECT_FALSE(PublicationDue(r, kDecided + absl::Hours(24 * 3650)));
}

TEST(PublicationTest, FromItsDayOn) {
  pb::GrantRecord r = Record(ActiveGrant());  // from 2018-07-01
  absl::Time day;
  ASSERT_TRUE(ParseIsoDate("2018-07-01", &day));
  EXPECT_FALSE(PublicationDue(r, day - absl::Seconds(1)));
  EXPECT_TRUE(PublicationDue(r, day));
  EXPECT_TRUE(PublicationDue(r, day + absl::Hours(24 * 400)));
}

TEST(RegisterCsvTest, RowsTotalsAndNoFormulas) {
  Grant a = ActiveGrant();
  Grant b = ActiveGrant();
  b.kase.set_name("cases/b2");
  b.kase.set_awarded_pence(1'000'001);
  b.kase.set_paid_pence(0);
  b.org.set_display_name("=HYPERLINK(\"http://evil\")");
  const std::string csv = GrantRegisterCsv({Record(a), Record(b)});
  std::vector<std::string> rows = absl::StrSplit(csv, "\r\n");
  ASSERT_EQ(rows.size(), 5u);  // header, two grants, totals, ""
  EXPECT_EQ(rows[4], "");
  EXPECT_THAT(rows[0], HasSubstr("amount_awarded_gbp,paid_gbp"));
  EXPECT_THAT(rows[1], HasSubstr("\"awards/a1\",\"Round 1\""));
  EXPECT_THAT(rows[1], HasSubstr(",45000.00,22500.05,22499.95,"));
  EXPECT_THAT(rows[1], HasSubstr("\"Hackney; London-wide\""));
  EXPECT_THAT(rows[1], HasSubstr("\"md2192 45000.00\""));
  // A name a spreadsheet would run is neutralised; its quotes doubled.
  EXPECT_THAT(rows[2], HasSubstr("\"'=HYPERLINK(\"\"http://evil\"\")\""));
  EXPECT_THAT(rows[3], HasSubstr("\"total: 2 grants\""));
  EXPECT_THAT(rows[3], HasSubstr(",100000.00,55000.01,22500.05,32499.96,"));
}

TEST(Grant360Test, TheStandardsFields) {
  programmes::v1::Fund fund;
  fund.set_name("funds/lff");
  fund.set_display_name("London Family Fund");
  fund.set_funder_name("Greater London Authority");
  fund.set_funder_org_id("GB-GOR-PC390");
  const nlohmann::json j = Grant360(Record(ActiveGrant()), fund, "360G-gf");
  EXPECT_EQ(j["id"], "360G-gf-a1");
  EXPECT_EQ(j["currency"], "GBP");
  EXPECT_EQ(j["amountAwarded"].get<double>(), 45000.0);
  EXPECT_EQ(j["amountDisbursed"].dump(), "22500.05");
  EXPECT_EQ(j["awardDate"], "2018-06-26");
  EXPECT_EQ(j["recipientOrganization"][0]["id"], "GB-CHC-1123456");
  EXPECT_EQ(j["recipientOrganization"][0]["charityNumber"], "1123456");
  EXPECT_FALSE(j["recipientOrganization"][0].contains("streetAddress"));
  EXPECT_FALSE(j["recipientOrganization"][0].contains("postalCode"));
  EXPECT_EQ(j["fundingOrganization"][0]["id"], "GB-GOR-PC390");
  ASSERT_EQ(j["beneficiaryLocation"].size(), 2u);
  EXPECT_EQ(j["beneficiaryLocation"][0]["geoCode"], "E09000012");
  EXPECT_EQ(j["beneficiaryLocation"][0]["geoCodeType"], "LAD");
  EXPECT_EQ(j["beneficiaryLocation"][1]["name"], "London");
  EXPECT_EQ(j["beneficiaryLocation"][1]["geoCodeType"], "RGN");
  EXPECT_EQ(j["plannedDates"][0]["endDate"], "2019-09-01");
}

// Runs the validator on `package`; its exit code.
int Validate(const nlohmann::json& package, std::string* out) {
  testing::TempDir dir;
  const std::string path = dir.Sub("package.json");
  std::ofstream(path) << package.dump(2);
  return testing::RunCommand(
      {"/usr/bin/python3", VALIDATE_360GIVING, path, SCHEMAS_360GIVING}, out);
}

TEST(Package360Test, ValidatesAgainstTheStandardsSchemas) {
  programmes::v1::Fund fund;
  fund.set_name("funds/lff");
  fund.set_display_name("London Family Fund");
  fund.set_funder_name("Greater London Authority");
  fund.set_funder_org_id("GB-GOR-PC390");
  Grant a = ActiveGrant();
  Grant b = ActiveGrant();
  b.kase.set_name("cases/b2");
  b.org = Org("peckham-arts", "", "");
  b.app.clear_planned_start_date();
  nlohmann::json grants = {Grant360(Record(a), fund, "360G-gf"),
                           Grant360(Record(b), fund, "360G-gf")};
  const nlohmann::json package = Package360(fund, grants, kDecided);
  std::string out;
  EXPECT_EQ(Validate(package, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("valid: 2 grants"));

  // The validator is not a formality: each of these breaks the standard.
  nlohmann::json no_recipient = package;
  no_recipient["grants"][0].erase("recipientOrganization");
  EXPECT_EQ(Validate(no_recipient, &out), 1) << out;
  nlohmann::json bad_date = package;
  bad_date["grants"][1]["awardDate"] = "26/06/2018";
  EXPECT_EQ(Validate(bad_date, &out), 1) << out;
  EXPECT_THAT(out, HasSubstr("grants/1/awardDate"));
  nlohmann::json no_grants = package;
  no_grants["grants"] = nlohmann::json::array();
  EXPECT_EQ(Validate(no_grants, &out), 1) << out;
  nlohmann::json bad_modified = package;
  bad_modified["grants"][0]["dateModified"] = "2018-06-26";
  EXPECT_EQ(Validate(bad_modified, &out), 1) << out;
  EXPECT_THAT(out, HasSubstr("grants/0/dateModified"));
  nlohmann::json text_amount = package;
  text_amount["grants"][0]["amountAwarded"] = "45000.00";
  EXPECT_EQ(Validate(text_amount, &out), 1) << out;
}

}  // namespace
}  // namespace grantflow::reports
