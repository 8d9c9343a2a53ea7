// The portal's pure pieces: money and dates as people type them, refusals
// said in words and placed on their inputs, and the session store.
#include "web/forms.h"

#include <fstream>
#include <regex>
#include <sstream>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/errors.h"
#include "platform/money.h"
#include "platform/reasons.h"
#include "web/refusals.h"
#include "web/session.h"

namespace grantflow::web {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

TEST(FormsTest, PoundsAsPeopleWriteThemBecomeExactPence) {
  EXPECT_THAT(ParsePounds("25000"), Optional(2500000));
  EXPECT_THAT(ParsePounds("25,000"), Optional(2500000));
  EXPECT_THAT(ParsePounds(" \xC2\xA3"
                          "1,234,567.89 "),
              Optional(123456789));
  EXPECT_THAT(ParsePounds("0.5"), Optional(50));
  EXPECT_THAT(ParsePounds("0.05"), Optional(5));
  EXPECT_THAT(ParsePounds("100000000"), Optional(kMaxAmountPence));
  // Never rounded, never negative, never past the cap, never a float.
  for (const char* bad :
       {"", "-5", "1.005", "1e5", "25,00", ",250", "2,5000", "12,34,567",
        "0x10", "1.2.3", "100000000.01", "99999999999999999999", "£", "NaN",
        "1 000", "25000.", ".5"}) {
    EXPECT_EQ(ParsePounds(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(PoundsForInput(2500000), "25000");
  EXPECT_EQ(PoundsForInput(2500005), "25000.05");
  EXPECT_THAT(ParsePounds(PoundsForInput(123456789)), Optional(123456789));
}

TEST(FormsTest, DatesMustBeRealCalendarDates) {
  EXPECT_THAT(IsoDate("1", "3", "2027"), Optional(std::string("2027-03-01")));
  EXPECT_THAT(IsoDate("29", "2", "2028"), Optional(std::string("2028-02-29")));
  EXPECT_EQ(IsoDate("29", "2", "2027"), std::nullopt);
  EXPECT_EQ(IsoDate("31", "4", "2027"), std::nullopt);
  EXPECT_EQ(IsoDate("0", "1", "2027"), std::nullopt);
  EXPECT_EQ(IsoDate("1", "13", "2027"), std::nullopt);
  EXPECT_EQ(IsoDate("1", "1", "27"), std::nullopt);
  EXPECT_EQ(IsoDate("1", "1", "20270"), std::nullopt);
  EXPECT_EQ(IsoDate("a", "1", "2027"), std::nullopt);
  EXPECT_EQ(SplitIsoDate("2027-03-01").day, "1");
  EXPECT_EQ(SplitIsoDate("nonsense").day, "");
  EXPECT_EQ(LongDate("2027-03-01"), "1 March 2027");
}

TEST(FormsTest, TimesAreSaidInLondonTimeSummerAndWinter) {
  // 17:00 UTC is 18:00 in London in summer (BST), 17:00 in winter (GMT).
  EXPECT_EQ(LondonTimeOf("2018-04-30T17:00:00Z"), "18:00 on 30 April 2018");
  EXPECT_EQ(LondonTimeOf("2025-03-14T12:00:00Z"), "12:00 on 14 March 2025");
  EXPECT_EQ(LondonTimeOf("garbage"), "garbage");
}

TEST(RefusalsTest, ReasonsAreSentencesWithTheirTimes) {
  absl::Status closed = errors::FailedPrecondition(
      reasons::kRoundClosed, "funds/lff/rounds/r closed at ...",
      {{"close_time", "2025-03-14T12:00:00+00:00"}});
  Refusal r = Explain(closed);
  EXPECT_EQ(r.summary, "This round closed at 12:00 on 14 March 2025.");
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(
      Explain(errors::FailedPrecondition(reasons::kSeparationOfDuties, "x"))
          .summary.find("Another person must"),
      0u);
  // No sentence for a reason: the service's own message, never a code.
  Refusal other = Explain(absl::FailedPreconditionError("the case is parked"));
  EXPECT_EQ(other.summary, "The case is parked");
  EXPECT_EQ(Explain(absl::UnavailableError("down")).http_status, 503);
  EXPECT_EQ(Explain(absl::PermissionDeniedError("no")).http_status, 403);
}

TEST(RefusalsTest, EveryReasonTheServicesGiveHasASentence) {
  // Every value platform/reasons.h publishes, read from the header itself so
  // a reason added there without a sentence here fails this test.
  std::ifstream in(REASONS_H);
  std::stringstream text;
  text << in.rdbuf();
  const std::regex value(R"re(constexpr char k\w+\[\] = "([A-Z_]+)")re");
  int reasons_seen = 0;
  const std::string src = text.str();
  for (std::sregex_iterator it(src.begin(), src.end(), value), end; it != end;
       ++it) {
    const std::string reason = (*it)[1];
    ++reasons_seen;
    const std::string sentence = ReasonSentence(
        errors::FailedPrecondition(reason, "the service's own words"));
    EXPECT_FALSE(sentence.empty()) << reason << " has no sentence";
    EXPECT_EQ(sentence.find(reason), std::string::npos) << sentence;
    EXPECT_EQ(sentence.find('_'), std::string::npos) << sentence;
  }
  EXPECT_GE(reasons_seen, 70);
  // A reason grantflow does not publish: the service's words, never a code.
  EXPECT_EQ(Explain(errors::FailedPrecondition("SOMETHING_NEW",
                                               "the grant is parked"))
                .summary,
            "The grant is parked");
}

TEST(RefusalsTest, FieldViolationsLandOnTheirInputsMostSpecificFirst) {
  absl::Status bad = errors::InvalidArgument(
      {{"application.title", "is required to submit"},
       {"application.budget[1].amount_pence", "must be between 1 and ..."},
       {"application.budget", "must add up to amount_requested_pence"},
       {"application.mystery_field", "is odd"}});
  std::vector<FieldPlace> places = {
      {"application.title", "title", "Project title", "/p"},
      {"application.budget", "budget-1-description", "Budget", "/m"},
      {"application.budget[1].amount_pence", "budget-2-amount",
       "Cost of item 2", "/m"},
  };
  Refusal r = Explain(bad, places);
  ASSERT_EQ(r.fields.size(), 4u);
  EXPECT_EQ(r.fields[0].text, "Project title is required to submit");
  EXPECT_EQ(r.fields[0].href, "/p#title");
  EXPECT_EQ(r.fields[1].input_id, "budget-2-amount");
  EXPECT_EQ(r.fields[2].input_id, "budget-1-description");
  EXPECT_EQ(r.fields[2].text, "Budget must add up to the amount requested");
  // Nowhere to put it: still said, unlinked.
  EXPECT_EQ(r.fields[3].text, "Mystery field is odd");
  EXPECT_EQ(r.fields[3].href, "");
  // "application.titles" is not under "application.title".
  Refusal near =
      Explain(errors::InvalidArgument({{"application.titles", "x"}}), places);
  EXPECT_EQ(near.fields[0].input_id, "");
}

TEST(SessionTest, SessionsExpireAndFlashesShowOnce) {
  SessionStore store;
  const absl::Time t0 = absl::FromCivil(absl::CivilSecond(2026, 5, 1, 9, 0, 0),
                                        absl::UTCTimeZone());
  auth::Principal amira;
  amira.user = "amira";
  Session s = store.SignIn("token", amira, t0 + absl::Hours(1), t0);
  EXPECT_EQ(s.id.size(), 64u);
  EXPECT_EQ(s.csrf.size(), 64u);
  EXPECT_NE(s.id, s.csrf);
  ASSERT_TRUE(store.Get(s.id, t0 + absl::Minutes(59)).has_value());
  EXPECT_EQ(store.Get(s.id, t0 + absl::Minutes(59))->who.user, "amira");
  store.SetFlash(s.id, "saved");
  EXPECT_EQ(store.TakeFlash(s.id), "saved");
  EXPECT_EQ(store.TakeFlash(s.id), "");
  EXPECT_FALSE(store.Get(s.id, t0 + absl::Hours(1)).has_value());
  EXPECT_FALSE(store.Get("short", t0).has_value());
  EXPECT_FALSE(store.Get(std::string(64, 'a'), t0).has_value());
}

TEST(SessionTest, AFullStoreDropsTheSessionThatEndsSoonest) {
  SessionStore store(/*max_sessions=*/3);
  const absl::Time t0 = absl::UnixEpoch() + absl::Hours(1000);
  auth::Principal p;
  Session a = store.SignIn("a", p, t0 + absl::Hours(1), t0);
  Session b = store.SignIn("b", p, t0 + absl::Hours(3), t0);
  Session c = store.SignIn("c", p, t0 + absl::Hours(2), t0);
  Session d = store.SignIn("d", p, t0 + absl::Hours(4), t0);
  EXPECT_EQ(store.size(), 3u);
  EXPECT_FALSE(store.Get(a.id, t0).has_value());
  EXPECT_TRUE(store.Get(b.id, t0).has_value());
  EXPECT_TRUE(store.Get(c.id, t0).has_value());
  EXPECT_TRUE(store.Get(d.id, t0).has_value());
}

TEST(SessionTest, SecretsCompareWhole) {
  EXPECT_TRUE(SameSecret("abc", "abc"));
  EXPECT_FALSE(SameSecret("abc", "abd"));
  EXPECT_FALSE(SameSecret("abc", "ab"));
  EXPECT_FALSE(SameSecret("", ""));
  EXPECT_NE(RandomHex(16), RandomHex(16));
}

}  // namespace
}  // namespace grantflow::web
