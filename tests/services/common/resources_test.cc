#include "platform/resources.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "grantflow/programmes/v1/programmes.pb.h"
#include "gtest/gtest.h"
#include "platform/money.h"
#include "platform/paging.h"
#include "platform/proto_table.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/temp_dir.h"

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

namespace grantflow {
namespace {

TEST(MoneyTest, AmountsAreCappedAndSumsNeverWrap) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  for (int64_t ok : {int64_t{1}, kMaxAmountPence}) {
    errors::Violations v;
    ValidateAmount(ok, "amount", &v);
    EXPECT_TRUE(v.empty()) << ok;
  }
  for (int64_t bad : {int64_t{0}, int64_t{-1}, kMaxAmountPence + 1, max,
                      std::numeric_limits<int64_t>::min()}) {
    errors::Violations v;
    ValidateAmount(bad, "amount", &v);
    ASSERT_EQ(v.list().size(), 1u) << bad;
    EXPECT_EQ(v.list()[0].field, "amount");
  }
  EXPECT_EQ(AddPence(2, 3), 5);
  EXPECT_EQ(AddPence(max, 1), std::nullopt);
  EXPECT_EQ(AddPence(std::numeric_limits<int64_t>::min(), -1), std::nullopt);
  EXPECT_EQ(SumPence({max - 2, 1, 1}), max);
  EXPECT_EQ(SumPence({max - 2, 1, 1, 1}), std::nullopt);
  EXPECT_EQ(FormatPounds(kMaxAmountPence), "£100,000,000.00");
}

// A page of large rows stops before it would pass kMaxPageBytes, and its
// token continues exactly where it stopped.
TEST(PagingTest, PagesStopAtTheirByteBudget) {
  testing::TempDir dir;
  auto store = testing::OpenStore(dir.path());
  ProtoTable<programmes::v1::Fund> funds(store.get(), "funds", "fund");
  storage::WriteSet w;
  const int kRows = 12;
  for (int i = 0; i < kRows; ++i) {
    programmes::v1::Fund f;
    f.set_name(absl::StrCat("funds/f", i));
    f.set_description(std::string(500 * 1024, 'd'));  // 0.5 MiB each
    funds.Insert(w, absl::StrCat("k", i < 10 ? "0" : "", i), f);
  }
  ASSERT_TRUE(store->Commit(w).ok());
  std::vector<std::string> seen;
  Page page;
  page.size = kMaxPageSize;
  int pages = 0;
  do {
    auto listed = funds.List("", page, "funds");
    ASSERT_TRUE(listed.ok());
    size_t bytes = 0;
    for (const auto& f : listed->items) {
      bytes += f.ByteSizeLong();
      seen.push_back(f.name());
    }
    EXPECT_LE(bytes, kMaxPageBytes);
    EXPECT_GE(listed->items.size(), 1u);
    ++pages;
    if (listed->next_page_token.empty()) break;
    errors::Violations v;
    page = ParsePage(kMaxPageSize, listed->next_page_token, "funds", &v);
    ASSERT_TRUE(v.empty());
  } while (pages < 100);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kRows)) << "none lost or repeated";
  EXPECT_GE(pages, 3);
}

}  // namespace
}  // namespace grantflow
