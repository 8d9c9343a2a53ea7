#include "platform/idempotency.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/field_mask.pb.h"
#include "grantflow/programmes/v1/programmes.pb.h"
#include "gtest/gtest.h"
#include "platform/audit.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/matchers.h"
#include "tests/testing/temp_dir.h"

namespace grantflow {
namespace {

using ::grantflow::testing::HasReason;
using ::grantflow::testing::IsOk;
using ::grantflow::testing::StatusIs;

namespace ppb = ::grantflow::programmes::v1;
using ::grantflow::testing::TempDir;

class IdempotencyTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = testing::OpenStore(dir_.path()); }

  absl::StatusOr<ppb::Fund> Create(const Call& call,
                                   const ppb::CreateFundRequest& req,
                                   int* builds) {
    return RunOnce<ppb::Fund>(
        *store_, call, req.request_id(), req,
        [&](storage::WriteSet& w) -> absl::StatusOr<ppb::Fund> {
          ++*builds;
          w.Put("funds", req.fund_id(), req.fund().SerializeAsString());
          AuditChange(w, call, "funds/" + req.fund_id(), req.request_id(),
                      "created");
          ppb::Fund f = req.fund();
          f.set_name("funds/" + req.fund_id());
          return f;
        });
  }

  TempDir dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(IdempotencyTest, SameRequestIdReturnsTheFirstResultAndWritesOnce) {
  Call call = testing::MakeCall("grace", {"admin"}, testing::TestEpoch());
  ppb::CreateFundRequest req;
  req.set_fund_id("lff");
  req.mutable_fund()->set_display_name("London Family Fund");
  req.set_request_id("r-1");
  int builds = 0;
  auto first = Create(call, req, &builds);
  auto second = Create(call, req, &builds);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->SerializeAsString(), second->SerializeAsString());
  EXPECT_EQ(builds, 1) << "the retry must not run the change again";
  EXPECT_EQ(testing::AuditCount(*store_), 1u);
}

TEST_F(IdempotencyTest, ReusedRequestIdWithAnotherRequestIsRefused) {
  Call call = testing::MakeCall("grace", {"admin"}, testing::TestEpoch());
  ppb::CreateFundRequest req;
  req.set_fund_id("lff");
  req.set_request_id("r-1");
  int builds = 0;
  ASSERT_TRUE(Create(call, req, &builds).ok());
  req.set_fund_id("other");
  auto again = Create(call, req, &builds);
  EXPECT_THAT(again.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(errors::FieldViolationsOf(again.status())[0].field, "request_id");
  EXPECT_FALSE(store_->Get("funds", "other").ok());
  EXPECT_EQ(testing::AuditCount(*store_), 1u);
}

TEST_F(IdempotencyTest, RequestIdsAreScopedPerUser) {
  ppb::CreateFundRequest req;
  req.set_fund_id("lff");
  req.set_request_id("r-1");
  int builds = 0;
  ASSERT_TRUE(Create(testing::MakeCall("a", {"admin"}, testing::TestEpoch()),
                     req, &builds)
                  .ok());
  ASSERT_TRUE(Create(testing::MakeCall("b", {"admin"}, testing::TestEpoch()),
                     req, &builds)
                  .ok());
  EXPECT_EQ(builds, 2) << "another user's request id must not replay";
}

TEST_F(IdempotencyTest, RecordsExpireAfterTheirRetentionOldestFirst) {
  const absl::Time t0 = testing::TestEpoch();
  ppb::CreateFundRequest req;
  req.mutable_fund()->set_display_name("London Family Fund");
  int builds = 0;
  // Three request ids, a day apart.
  for (int day = 0; day < 3; ++day) {
    Call call =
        testing::MakeCall("grace", {"admin"}, t0 + absl::Hours(24 * day));
    req.set_fund_id(absl::StrCat("f", day));
    req.set_request_id(absl::StrCat("r-", day));
    ASSERT_TRUE(Create(call, req, &builds).ok());
  }
  ASSERT_EQ(builds, 3);
  const absl::Duration keep = absl::Hours(24 * 30);
  // Within the retention nothing goes, and a retry is still answered.
  EXPECT_EQ(*ExpireIdempotency(*store_, t0 + keep, keep, 100), 0);
  Call retry = testing::MakeCall("grace", {"admin"}, t0 + keep);
  req.set_fund_id("f0");
  req.set_request_id("r-0");
  ASSERT_TRUE(Create(retry, req, &builds).ok());
  EXPECT_EQ(builds, 3);
  // A day and a half later the first two have gone, the third not; a batch
  // limit of one takes the oldest first.
  const absl::Time later = t0 + keep + absl::Hours(36);
  EXPECT_EQ(*ExpireIdempotency(*store_, later, keep, 1), 1);
  EXPECT_EQ(*ExpireIdempotency(*store_, later, keep, 100), 1);
  EXPECT_EQ(*ExpireIdempotency(*store_, later, keep, 100), 0);
  // The forgotten request id now runs as a new request (here it builds
  // again); the remembered one still answers without building.
  Call call = testing::MakeCall("grace", {"admin"}, later);
  req.set_fund_id("f1");
  req.set_request_id("r-1");
  ASSERT_TRUE(Create(call, req, &builds).ok());
  EXPECT_EQ(builds, 4);
  req.set_fund_id("f2");
  req.set_request_id("r-2");
  ASSERT_TRUE(Create(call, req, &builds).ok());
  EXPECT_EQ(builds, 4);
  EXPECT_THAT(
      ExpireIdempotency(*store_, later, absl::ZeroDuration(), 10).status(),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RequestIdTest, Validation) {
  errors::Violations v;
  ValidateRequestId("", &v);
  ValidateRequestId("has space", &v);
  ValidateRequestId(std::string(129, 'a'), &v);
  EXPECT_EQ(v.list().size(), 3u);
  errors::Violations ok;
  ValidateRequestId("ctl-0a1b2c:3.4_5", &ok);
  EXPECT_TRUE(ok.empty());
}

}  // namespace
}  // namespace grantflow
