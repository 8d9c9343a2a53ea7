#include "services/common/resources.h"

#include "gtest/gtest.h"
#include "services/common/paging.h"

namespace grantflow {
namespace {

TEST(ResourcesTest, Ids) {
  EXPECT_TRUE(IsValidId("lff"));
  EXPECT_TRUE(IsValidId("2018-r1"));
  EXPECT_TRUE(IsValidId("md2192-grants"));
  EXPECT_FALSE(IsValidId(""));
  EXPECT_FALSE(IsValidId("-a"));
  EXPECT_FALSE(IsValidId("a-"));
  EXPECT_FALSE(IsValidId("Upper"));
  EXPECT_FALSE(IsValidId("a/b"));
  EXPECT_FALSE(IsValidId(std::string(64, 'a')));
}

TEST(ResourcesTest, ParseName) {
  auto ids = ParseName("funds/lff/rounds/2018-r1", {"funds", "rounds"});
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ((*ids)[0], "lff");
  EXPECT_EQ((*ids)[1], "2018-r1");
  EXPECT_FALSE(ParseName("funds/lff/rounds", {"funds", "rounds"}));
  EXPECT_FALSE(ParseName("funds/lff/budgetLines/x", {"funds", "rounds"}));
  EXPECT_FALSE(ParseName("funds/LFF", {"funds"}));
}

TEST(ResourcesTest, NewIdsAreValidUniqueAndSortByTime) {
  absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  std::string a = NewId(t);
  std::string b = NewId(t + absl::Milliseconds(1));
  EXPECT_TRUE(IsValidId(a)) << a;
  EXPECT_LT(a, b);
  EXPECT_NE(NewId(t), NewId(t));
}

TEST(ResourcesTest, IsoDatesAndLengths) {
  absl::Time t;
  EXPECT_TRUE(ParseIsoDate("2028-02-29", &t));
  EXPECT_FALSE(ParseIsoDate("2027-02-29", &t));
  EXPECT_FALSE(ParseIsoDate("2027-13-01", &t));
  EXPECT_FALSE(ParseIsoDate("1/2/2027", &t));
  EXPECT_EQ(Utf8Length("£10"), 3u);
  EXPECT_EQ(ToProto(FromProto(ToProto(t))).seconds(), ToProto(t).seconds());
}

TEST(ResourcesTest, UpdateMaskMustNameOnlyAllowedFields) {
  errors::Violations v;
  google::protobuf::FieldMask m;
  CheckUpdateMask(m, {"title"}, &v);
  EXPECT_EQ(v.list().size(), 1u) << "an empty mask is refused";
  errors::Violations v2;
  m.add_paths("title");
  m.add_paths("state");
  CheckUpdateMask(m, {"title"}, &v2);
  ASSERT_EQ(v2.list().size(), 1u);
  EXPECT_NE(v2.list()[0].description.find("state"), std::string::npos);
}

TEST(PagingTest, TokensRoundTripAndBelongToTheirQuery) {
  std::string token = MakePageToken("apps:round-1", "last-key");
  errors::Violations v;
  Page p = ParsePage(20, token, "apps:round-1", &v);
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(p.size, 20);
  EXPECT_EQ(p.start_after, "last-key");

  errors::Violations other;
  ParsePage(20, token, "apps:round-2", &other);
  ASSERT_EQ(other.list().size(), 1u);
  EXPECT_EQ(other.list()[0].field, "page_token");

  errors::Violations bad;
  ParsePage(-1, "!!!", "q", &bad);
  EXPECT_EQ(bad.list().size(), 2u);

  errors::Violations big;
  EXPECT_EQ(ParsePage(100000, "", "q", &big).size, kMaxPageSize);
  EXPECT_EQ(ParsePage(0, "", "q", &big).size, kDefaultPageSize);
  EXPECT_TRUE(big.empty());
}

}  // namespace
}  // namespace grantflow
