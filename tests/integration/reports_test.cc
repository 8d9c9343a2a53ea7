// ReportService and award publication through gRPC on a real port, with
// every service hosted: the register pages through a fund's awarded grants
// only; open data publishes the grants the funder went ahead with once their
// publication date has come; bad names, another fund's round, stale page
// tokens, a fund with no funder org-id and publication dates out of range
// are refused, and a refused change of date writes nothing.
#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grantflow/awards/v1/awards.pb.h"
#include "grantflow/reports/v1/reports.pb.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/adversarial/over_grpc.h"

namespace grantflow::testing {
namespace {

using ::grpc::StatusCode;
using ::testing::HasSubstr;
namespace rpb = ::grantflow::reports::v1;

class ReportsTest : public OverGrpcTest {
 protected:
  ReportsTest() : OverGrpcTest("reports and publication") {}

  // An award for `pence`, approved (publication deferred to `publish` when
  // given) and through the checks.
  std::string Awarded(int64_t pence, const std::string& suffix,
                      const std::string& publish = "") {
    const std::string c = rig_.NewCase(pence, suffix);
    rig_.ToRecommended(c);
    EXPECT_TRUE(Ok(Call(
        "awards.v1.AwardService/DecideAward",
        absl::StrCat("case: '", c, "' decision: AWARD amount_pence: ", pence,
                     " allocations { budget_line: '", kLineA,
                     "' amount_pence: ", pence, "} publication_date: '",
                     publish, "' request_id: 'award-", suffix, "'"),
        rig_.approver)));
    return c;
  }
  rpb::ListGrantsResponse Page(const std::string& text) {
    rpb::ListGrantsResponse out;
    EXPECT_TRUE(Ok(
        Call("reports.v1.ReportService/ListGrants", text, rig_.officer, &out)));
    return out;
  }
  grpc::Status Publish(const std::string& c, const std::string& date,
                       const std::string& id, const std::string& token,
                       awpb::Award* out = nullptr,
                       const std::string& extra = "") {
    return Call(
        "awards.v1.AwardService/SetPublicationDate",
        absl::StrCat("name: 'awards/", IdOf(c), "' publication_date: '", date,
                     "' reason: 'announced with the evaluation' "
                     "request_id: '",
                     id, "' ", extra),
        token, out);
  }
  static std::string Today() { return IsoDay(0); }
  static std::string IsoDay(int days) {
    return absl::FormatTime("%Y-%m-%d", TestEpoch() + absl::Hours(24 * days),
                            absl::UTCTimeZone());
  }
};

TEST_F(ReportsTest, TheRegisterPagesThroughAwardedGrantsOnly) {
  const std::string a = Awarded(2'000'000, "a");
  const std::string b = Awarded(3'000'000, "b");
  const std::string c = Awarded(1'500'000, "c");
  rig_.NewCase(2'500'000, "not-awarded");  // submitted, never awarded
  rig_.Background();                       // the award's tasks start the checks
  ASSERT_EQ(rig_.Case(a).state(), "PRE_AGREEMENT_CHECKS");
  for (const auto& [who, fact] : {std::pair{"grace", "DUE_DILIGENCE_PASSED"},
                                  std::pair{"sam", "SAFEGUARDING_PASSED"}}) {
    ASSERT_TRUE(Ok(rig_.ServiceFact(who, a, fact)));
  }
  rig_.ToExecuted(a);
  // One grant a page: every awarded grant once, nothing else.
  std::set<std::string> seen;
  int64_t awarded = 0;
  std::string token;
  int pages = 0;
  do {
    rpb::ListGrantsResponse page = Page(absl::StrCat(
        "fund: 'funds/lff' page_size: 1 page_token: '", token, "'"));
    for (const rpb::GrantRecord& g : page.grants()) {
      EXPECT_TRUE(seen.insert(g.grant()).second) << g.grant() << " twice";
      awarded += g.amount_awarded_pence();
      EXPECT_EQ(g.recipient_name(), "Hackney Families");
      EXPECT_EQ(g.award_date(), Today());
      EXPECT_EQ(g.publication_date(), Today());
      EXPECT_EQ(g.outstanding_pence(), g.amount_awarded_pence());
    }
    token = page.next_page_token();
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_EQ(seen,
            (std::set<std::string>{"awards/" + IdOf(a), "awards/" + IdOf(b),
                                   "awards/" + IdOf(c)}));
  EXPECT_EQ(awarded, 6'500'000);
  // The executed one has its agreement's date.
  rpb::ListGrantsResponse all =
      Page(absl::StrCat("fund: 'funds/lff' round: '", kOpenRound, "'"));
  ASSERT_EQ(all.grants_size(), 3);
  for (const auto& g : all.grants()) {
    EXPECT_EQ(g.agreement_date().empty(), g.grant() != "awards/" + IdOf(a))
        << g.grant();
  }

  // The CSV: three rows and a totals row.
  rpb::ExportFile csv;
  ASSERT_TRUE(
      Ok(Call("reports.v1.ReportService/ExportGrantRegister",
              "fund: 'funds/lff'", rig_.EveryRole().at("auditor"), &csv)));
  EXPECT_EQ(csv.records(), 3);
  EXPECT_THAT(csv.content(),
              HasSubstr("\"total: 3 grants\",,,,,,,65000.00,65000.00,0.00,"
                        "65000.00,"));
  EXPECT_EQ(csv.filename(),
            absl::StrCat("lff-grant-register-", Today(), ".csv"));

  // Bad requests, each named.
  const std::string list = "reports.v1.ReportService/ListGrants";
  attacks_.Refused("a fund that is not a name",
                   Call(list, "fund: 'lff'", rig_.officer),
                   StatusCode::INVALID_ARGUMENT);
  attacks_.Refused(
      "a fund named with a megabyte",
      Call(list, absl::StrCat("fund: 'funds/", std::string(1 << 20, 'x'), "'"),
           rig_.officer),
      StatusCode::INVALID_ARGUMENT);
  attacks_.Refused("no such fund",
                   Call(list, "fund: 'funds/nope'", rig_.officer),
                   StatusCode::NOT_FOUND);
  attacks_.Refused("another fund's round",
                   Call(list, "fund: 'funds/lff' round: 'funds/cs/rounds/open'",
                        rig_.officer),
                   StatusCode::INVALID_ARGUMENT);
  attacks_.Refused(
      "a page token from another query",
      Call(list,
           absl::StrCat(
               "fund: 'funds/lff' round: '", kOpenRound,
               "' page_size: 1 page_token: '",
               Page("fund: 'funds/lff' page_size: 1").next_page_token(), "'"),
           rig_.officer),
      StatusCode::INVALID_ARGUMENT);
  attacks_.Refused(
      "a forged page token",
      Call(list, "fund: 'funds/lff' page_token: 'AAAA'", rig_.officer),
      StatusCode::INVALID_ARGUMENT);
  attacks_.Refused("the register as an applicant",
                   Call(list, "fund: 'funds/lff'", rig_.amira),
                   StatusCode::PERMISSION_DENIED);
}

TEST_F(ReportsTest, OpenDataWaitsForPublicationAndLeavesOutWithdrawals) {
  const std::string now = Awarded(2'000'000, "now");
  const std::string later = Awarded(3'000'000, "later", IsoDay(30));
  const std::string gone = Awarded(1'000'000, "gone");
  ASSERT_TRUE(Ok(Call("applications.v1.ApplicationService/WithdrawApplication",
                      absl::StrCat("name: 'applications/", IdOf(gone),
                                   "' reason: 'lost our venue' "
                                   "request_id: 'w-gone'"),
                      rig_.amira)));
  rpb::ExportFile f;
  ASSERT_TRUE(Ok(Call("reports.v1.ReportService/Export360Giving",
                      "fund: 'funds/lff'", rig_.officer, &f)));
  EXPECT_EQ(f.records(), 1);
  EXPECT_EQ(f.deferred(), 1);
  const nlohmann::json package = nlohmann::json::parse(f.content());
  ASSERT_EQ(package["grants"].size(), 1u);
  EXPECT_EQ(package["grants"][0]["id"], "360G-grantflow-" + IdOf(now));
  EXPECT_EQ(package["grants"][0]["amountAwarded"].get<double>(), 20000.0);
  EXPECT_EQ(package["publisher"]["identifier"], "GB-GOR-PC390");

  // Brought forward to today, the deferred grant is published too.
  awpb::Award award;
  ASSERT_TRUE(Ok(Publish(later, Today(), "p-today", rig_.officer, &award)));
  EXPECT_EQ(award.publication_date(), Today());
  ASSERT_TRUE(Ok(Call("reports.v1.ReportService/Export360Giving",
                      "fund: 'funds/lff'", rig_.officer, &f)));
  EXPECT_EQ(f.records(), 2);
  EXPECT_EQ(f.deferred(), 0);
  // Deferred again past the clock, it is held back again.
  ASSERT_TRUE(Ok(Publish(later, IsoDay(365), "p-year", rig_.approver)));
  ASSERT_TRUE(Ok(Call("reports.v1.ReportService/Export360Giving",
                      "fund: 'funds/lff'", rig_.officer, &f)));
  EXPECT_EQ(f.records(), 1);
  EXPECT_EQ(f.deferred(), 1);
}

TEST_F(ReportsTest, PublicationDatesOutOfRangeAreRefusedAndWriteNothing) {
  const std::string c = Awarded(2'000'000, "pub");
  awpb::Award before;
  ASSERT_TRUE(Ok(Call("awards.v1.AwardService/GetAward",
                      absl::StrCat("name: 'awards/", IdOf(c), "'"),
                      rig_.officer, &before)));
  const auto refused = [&](const std::string& what, const grpc::Status& s,
                           StatusCode code, const std::string& reason = "") {
    attacks_.Refused(what, s, code, reason);
    awpb::Award after;
    ASSERT_TRUE(Ok(Call("awards.v1.AwardService/GetAward",
                        absl::StrCat("name: 'awards/", IdOf(c), "'"),
                        rig_.officer, &after)));
    EXPECT_EQ(after.etag(), before.etag()) << what << " wrote";
    EXPECT_EQ(after.publication_date(), before.publication_date());
  };
  refused("a date before the decision",
          Publish(c, IsoDay(-1), "r1", rig_.officer),
          StatusCode::INVALID_ARGUMENT);
  refused("a date past three years",
          Publish(c, IsoDay(1200), "r2", rig_.officer),
          StatusCode::INVALID_ARGUMENT);
  refused("no date at all", Publish(c, "", "r3", rig_.officer),
          StatusCode::INVALID_ARGUMENT);
  refused("the 30th of February", Publish(c, "2027-02-30", "r4", rig_.officer),
          StatusCode::INVALID_ARGUMENT);
  refused("no reason",
          Call("awards.v1.AwardService/SetPublicationDate",
               absl::StrCat("name: 'awards/", IdOf(c), "' publication_date: '",
                            IsoDay(10), "' request_id: 'r5'"),
               rig_.officer),
          StatusCode::INVALID_ARGUMENT);
  refused("a stale etag",
          Publish(c, IsoDay(10), "r6", rig_.officer, nullptr, "etag: '999'"),
          StatusCode::ABORTED, "ETAG_MISMATCH");
  refused("an applicant moving it", Publish(c, IsoDay(10), "r7", rig_.amira),
          StatusCode::PERMISSION_DENIED);
  refused("finance moving it", Publish(c, IsoDay(10), "r8", rig_.finance),
          StatusCode::PERMISSION_DENIED);
  // A declined award has no publication date to move.
  const std::string d = rig_.NewCase(2'000'000, "declined");
  rig_.ToRecommended(d);
  ASSERT_TRUE(Ok(Call("awards.v1.AwardService/DecideAward",
                      absl::StrCat("case: '", d,
                                   "' decision: DECLINE feedback: 'others "
                                   "reached more families' request_id: 'dd'"),
                      rig_.approver)));
  attacks_.Refused("a declined award's publication",
                   Publish(d, IsoDay(10), "r9", rig_.officer),
                   StatusCode::FAILED_PRECONDITION, "NOT_APPROVED");
  // An award can be deferred when decided, but not into the past.
  const std::string e = rig_.NewCase(2'000'000, "early");
  rig_.ToRecommended(e);
  attacks_.Refused(
      "an award published before its decision",
      Call("awards.v1.AwardService/DecideAward",
           absl::StrCat("case: '", e,
                        "' decision: AWARD amount_pence: 2000000 "
                        "allocations { budget_line: '",
                        kLineA, "' amount_pence: 2000000 } publication_date: '",
                        IsoDay(-3), "' request_id: 'early'"),
           rig_.approver),
      StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(rig_.Case(e).state(), "RECOMMENDED") << "the refusal reserved";
  // A retry of an accepted change answers as the first time did.
  awpb::Award first, again;
  ASSERT_TRUE(Ok(Publish(c, IsoDay(20), "ok", rig_.officer, &first)));
  ASSERT_TRUE(Ok(Publish(c, IsoDay(20), "ok", rig_.officer, &again)));
  EXPECT_EQ(first.etag(), again.etag());
  EXPECT_EQ(again.publication_date(), IsoDay(20));
}

TEST_F(ReportsTest, AFundWithNoFunderOrgIdPublishesNothing) {
  ASSERT_TRUE(Ok(Call("programmes.v1.ProgrammeService/CreateFund",
                      "fund_id: 'bare' fund { display_name: 'No funder' } "
                      "request_id: 'bare'",
                      rig_.officer)));
  attacks_.Refused("open data with no funder org-id",
                   Call("reports.v1.ReportService/Export360Giving",
                        "fund: 'funds/bare'", rig_.officer),
                   StatusCode::FAILED_PRECONDITION, "NO_FUNDER_ORG_ID");
  attacks_.Refused("open data with nothing awarded",
                   Call("reports.v1.ReportService/Export360Giving",
                        "fund: 'funds/lff'", rig_.officer),
                   StatusCode::FAILED_PRECONDITION, "NOTHING_TO_PUBLISH");
}

}  // namespace
}  // namespace grantflow::testing
