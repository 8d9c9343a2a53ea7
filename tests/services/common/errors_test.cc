#include "platform/errors.h"

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "platform/money.h"
#include "services/common/grpc_status.h"
#include "tests/testing/matchers.h"

namespace grantflow {
namespace {

using ::grantflow::testing::HasReason;
using ::grantflow::testing::IsOk;
using ::grantflow::testing::StatusIs;

TEST(ErrorsTest, ViolationsBecomeOneBadRequestEntryPerField) {
  errors::Violations v;
  v.Add("fund.display_name", "is required");
  v.Add("fund_id", "must be lower case");
  absl::Status s = v.ToStatus();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));

  grpc::Status g = ToGrpcStatus(s);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(g.error_details()));
  EXPECT_EQ(rpc.code(), 3);
  ASSERT_EQ(rpc.details_size(), 1);
  google::rpc::BadRequest br;
  ASSERT_TRUE(rpc.details(0).UnpackTo(&br));
  ASSERT_EQ(br.field_violations_size(), 2);
  EXPECT_EQ(br.field_violations(0).field(), "fund.display_name");
  EXPECT_EQ(br.field_violations(1).field(), "fund_id");
}

TEST(ErrorsTest, ReasonSurvivesTheRoundTripThroughGrpc) {
  absl::Status s = errors::FailedPrecondition(
      "ROUND_CLOSED", "round closed", {{"round", "funds/lff/rounds/r1"}},
      {{"application.title", "is required"}});
  absl::Status back = FromGrpcStatus(ToGrpcStatus(s));
  EXPECT_THAT(back, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(back, HasReason("ROUND_CLOSED"));
  auto fv = errors::FieldViolationsOf(back);
  ASSERT_EQ(fv.size(), 1u);
  EXPECT_EQ(fv[0].field, "application.title");
  EXPECT_TRUE(errors::Violations().ToStatus().ok());
}

TEST(MoneyTest, FormatsPenceAsPounds) {
  EXPECT_EQ(FormatPounds(0), "£0.00");
  EXPECT_EQ(FormatPounds(5), "£0.05");
  EXPECT_EQ(FormatPounds(21'500'000), "£215,000.00");
  EXPECT_EQ(FormatPounds(38'973'900), "£389,739.00");
  EXPECT_EQ(FormatPounds(-123'456), "-£1,234.56");
}

}  // namespace
}  // namespace grantflow

namespace grantflow {
namespace {

using ::grantflow::testing::HasReason;
using ::grantflow::testing::IsOk;
using ::grantflow::testing::StatusIs;
using ::testing::Not;

// The matchers the tests use can fail, on every kind of status they take.
TEST(StatusMatchersTest, MatchOnlyWhatTheySay) {
  const absl::Status closed = errors::FailedPrecondition("ROUND_CLOSED", "x");
  EXPECT_THAT(absl::OkStatus(), IsOk());
  EXPECT_THAT(closed, Not(IsOk()));
  EXPECT_THAT(closed, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(closed, Not(StatusIs(absl::StatusCode::kAborted)));
  EXPECT_THAT(closed,
              StatusIs(absl::StatusCode::kFailedPrecondition, "ROUND_CLOSED"));
  EXPECT_THAT(closed, Not(StatusIs(absl::StatusCode::kFailedPrecondition,
                                   "ROUND_NOT_OPEN")));
  EXPECT_THAT(closed, HasReason("ROUND_CLOSED"));
  EXPECT_THAT(closed, Not(HasReason("ROUND_NOT_OPEN")));
  absl::StatusOr<int> value = 3, refused = closed;
  EXPECT_THAT(value, IsOk());
  EXPECT_THAT(refused, HasReason("ROUND_CLOSED"));
  const grpc::Status wire = ToGrpcStatus(closed);
  EXPECT_THAT(wire,
              StatusIs(absl::StatusCode::kFailedPrecondition, "ROUND_CLOSED"));
  EXPECT_THAT(grpc::Status::OK, IsOk());
}

// A refusal passed on names the caller's fields, and keeps its reason.
TEST(RenameFieldsTest, RenamesOnlyThePrefixAndKeepsTheRest) {
  const absl::Status engine = errors::FailedPrecondition(
      "BUDGET_EXCEEDED", "payload.amount_pence is too much", {{"k", "v"}},
      {{"payload.allocations[0].amount_pence", "too much"},
       {"request_id", "unchanged"}});
  const absl::Status out = errors::RenameFields(engine, "payload.", "");
  EXPECT_EQ(out.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(out, HasReason("BUDGET_EXCEEDED"));
  EXPECT_EQ(errors::MetadataOf(out, "k"), "v");
  EXPECT_EQ(errors::FieldViolationsOf(out),
            (std::vector<errors::FieldViolation>{
                {"allocations[0].amount_pence", "too much"},
                {"request_id", "unchanged"}}));
  EXPECT_EQ(out.message().substr(0, 27), "amount_pence is too much: a");
  const absl::Status plain = absl::NotFoundError("payload.x");
  EXPECT_EQ(errors::RenameFields(plain, "payload.", ""), plain);
}

}  // namespace
}  // namespace grantflow
