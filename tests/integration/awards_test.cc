// AwardService through gRPC on a real port, with every service hosted: an
// approver awards a recommended application within their delegated limit on
// budget lines with room, declines with feedback or keeps it on the reserve
// list; every refusal (a line past its ceiling, a limit too small, the
// recommender approving, a decision already taken, a case not recommended,
// a caller without the role) writes nothing, here or in the ledger.
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grantflow/awards/v1/awards.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/adversarial/rig.h"

namespace grantflow::testing {
namespace {

using ::grpc::StatusCode;
using ::testing::Contains;
using ::testing::HasSubstr;

class AwardsTest : public ::testing::Test {
 protected:
  // A fresh stub each time (the rig's channel changes when it restarts),
  // safe from several threads.
  std::unique_ptr<awpb::AwardService::Stub> Awards() {
    return awpb::AwardService::NewStub(rig_.channel());
  }

  // A recommended application for `pence` from hackney-families.
  std::string Recommended(int64_t pence, const std::string& suffix) {
    const std::string c = rig_.NewCase(pence, suffix);
    rig_.ToRecommended(c);
    return c;
  }

  static awpb::DecideAwardRequest Request(const std::string& c,
                                          awpb::DecideAwardRequest::Decision d,
                                          int64_t pence = 0,
                                          const std::string& line = kLineA) {
    awpb::DecideAwardRequest req;
    req.set_case_(c);
    req.set_decision(d);
    if (d == awpb::DecideAwardRequest::AWARD) {
      req.set_amount_pence(pence);
      auto* a = req.add_allocations();
      a->set_budget_line(line);
      a->set_amount_pence(pence);
    }
    if (d == awpb::DecideAwardRequest::DECLINE) {
      req.set_feedback("The panel funded bids reaching more new families.");
    }
    req.set_request_id(absl::StrCat("decide-", ++requests_));
    return req;
  }

  grpc::Status Decide(const std::string& token,
                      const awpb::DecideAwardRequest& req,
                      awpb::Award* out = nullptr) {
    awpb::Award ignored;
    return Awards()->DecideAward(rig_.Ctx(token).get(), req,
                                 out ? out : &ignored);
  }

  grpc::Status Get(const std::string& c, awpb::Award* out) {
    awpb::GetAwardRequest req;
    req.set_name("awards/" + c.substr(std::string("cases/").size()));
    return Awards()->GetAward(rig_.Ctx(rig_.officer).get(), req, out);
  }

  // Refused with `code` and `reason`, and nothing written: no award, the
  // case where it was, the lines' reservations as they were.
  void RefusedAndUnchanged(const std::string& what, const grpc::Status& s,
                           const std::string& c, StatusCode code,
                           const std::string& reason) {
    attacks_.Refused(what, s, code, reason);
    awpb::Award a;
    const grpc::Status got = Get(c, &a);
    if (got.ok()) {
      EXPECT_NE(a.state(), awpb::Award::APPROVED) << what;
    } else {
      EXPECT_EQ(got.error_code(), StatusCode::NOT_FOUND) << what;
    }
    EXPECT_EQ(rig_.Case(c).state(), "RECOMMENDED") << what;
    EXPECT_EQ(rig_.Ledger(kLineA).reserved_pence(), reserved_a_) << what;
    EXPECT_EQ(rig_.Ledger(kLineB).reserved_pence(), reserved_b_) << what;
  }

  Rig rig_;
  Attacks attacks_{"awards (AwardService)"};
  int64_t reserved_a_ = 0, reserved_b_ = 0;
  static inline int requests_ = 0;
};

TEST_F(AwardsTest, AnAwardReservesItsLinesAndIsKept) {
  const std::string c = Recommended(5'000'000, "award");
  // Split over both lines; the fields the engine names are the caller's.
  awpb::DecideAwardRequest req =
      Request(c, awpb::DecideAwardRequest::AWARD, 4'000'000);
  req.mutable_allocations(0)->set_amount_pence(3'000'000);
  auto* b = req.add_allocations();
  b->set_budget_line(kLineB);
  b->set_amount_pence(1'000'000);
  req.set_rationale("Reaches families new to the borough.");
  awpb::Award award;
  grpc::Status s = Decide(rig_.approver, req, &award);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(award.name(), "awards/" + c.substr(6));
  EXPECT_EQ(award.state(), awpb::Award::APPROVED);
  EXPECT_EQ(award.amount_pence(), 4'000'000);
  EXPECT_EQ(award.amount_requested_pence(), 5'000'000);
  EXPECT_EQ(award.organisation(), kHackney);
  EXPECT_EQ(award.recommended_by(), "grace");
  EXPECT_EQ(award.decided_by(), "ade");
  EXPECT_EQ(award.approver_limit_pence(), 7'500'000);
  EXPECT_EQ(award.allocations_size(), 2);
  EXPECT_EQ(rig_.Case(c).state(), "AWARD_APPROVED");
  EXPECT_EQ(rig_.Case(c).approved_by(), "ade");
  EXPECT_EQ(rig_.Ledger(kLineA).reserved_pence(), 3'000'000);
  EXPECT_EQ(rig_.Ledger(kLineB).reserved_pence(), 1'000'000);

  // A retry answers the same and reserves nothing more.
  awpb::Award again;
  ASSERT_TRUE(Decide(rig_.approver, req, &again).ok());
  EXPECT_EQ(again.etag(), award.etag());
  EXPECT_EQ(rig_.Ledger(kLineA).reserved_pence(), 3'000'000);
  // A second decision, another approver's, is refused.
  reserved_a_ = 3'000'000;
  reserved_b_ = 1'000'000;
  attacks_.Refused(
      "a second decision on an approved award",
      Decide(rig_.approver, Request(c, awpb::DecideAwardRequest::DECLINE)),
      StatusCode::FAILED_PRECONDITION, "ALREADY_DECIDED");
  EXPECT_EQ(rig_.Ledger(kLineA).reserved_pence(), reserved_a_);

  // Listed by state, kept across a restart.
  awpb::ListAwardsRequest list;
  list.set_state(awpb::Award::APPROVED);
  awpb::ListAwardsResponse listed;
  ASSERT_TRUE(
      Awards()->ListAwards(rig_.Ctx(rig_.finance).get(), list, &listed).ok());
  ASSERT_EQ(listed.awards_size(), 1);
  EXPECT_EQ(listed.awards(0).name(), award.name());
  rig_.Restart();
  awpb::Award kept;
  ASSERT_TRUE(Get(c, &kept).ok());
  EXPECT_EQ(kept.SerializeAsString(), award.SerializeAsString());
}

TEST_F(AwardsTest, RefusalsWriteNothing) {
  const std::string c = Recommended(7'500'000, "refused");
  using D = awpb::DecideAwardRequest;
  // Beyond the budget line: grants-b's £215,000 holds two £75,000 awards.
  for (int i = 0; i < 2; ++i) {
    const std::string other = Recommended(7'500'000, absl::StrCat("fill", i));
    ASSERT_TRUE(
        Decide(rig_.approver, Request(other, D::AWARD, 7'500'000, kLineB))
            .ok());
  }
  reserved_b_ = 15'000'000;
  RefusedAndUnchanged(
      "an award beyond the budget line",
      Decide(rig_.approver, Request(c, D::AWARD, 7'500'000, kLineB)), c,
      StatusCode::FAILED_PRECONDITION, "BUDGET_EXCEEDED");
  // Above the approver's delegated limit, and with none at all.
  RefusedAndUnchanged(
      "an award above the approver's limit",
      Decide(rig_.small_approver, Request(c, D::AWARD, 1'000'001)), c,
      StatusCode::FAILED_PRECONDITION, "DELEGATED_LIMIT_EXCEEDED");
  RefusedAndUnchanged("an award by an approver with no limit",
                      Decide(rig_.minter().Token("nolimit", {"approver"}),
                             Request(c, D::AWARD, 1'000'000)),
                      c, StatusCode::FAILED_PRECONDITION,
                      "DELEGATED_LIMIT_EXCEEDED");
  // The recommender (grace) approving, however the name is spelt.
  RefusedAndUnchanged("the recommender approving",
                      Decide(rig_.minter().Approver("Grace", 7'500'000),
                             Request(c, D::AWARD, 1'000'000)),
                      c, StatusCode::FAILED_PRECONDITION,
                      "SEPARATION_OF_DUTIES");
  // More than asked: the engine's field is the caller's.
  grpc::Status more = Decide(rig_.approver, Request(c, D::AWARD, 7'500'001));
  RefusedAndUnchanged("an award above the amount asked", more, c,
                      StatusCode::INVALID_ARGUMENT, "");
  EXPECT_THAT(FieldsOf(more), Contains("amount_pence"));
  // Allocations that do not add up; a line not the round's.
  D split = Request(c, D::AWARD, 2'000'000);
  split.mutable_allocations(0)->set_amount_pence(1'999'999);
  RefusedAndUnchanged("allocations short of the award",
                      Decide(rig_.approver, split), c,
                      StatusCode::INVALID_ARGUMENT, "");
  grpc::Status elsewhere =
      Decide(rig_.approver,
             Request(c, D::AWARD, 2'000'000, "funds/lff/budgetLines/nope"));
  RefusedAndUnchanged("an award on a line the round does not draw on",
                      elsewhere, c, StatusCode::INVALID_ARGUMENT, "");
  EXPECT_THAT(FieldsOf(elsewhere), Contains("allocations[0].budget_line"));
  // Bad requests, named field by field.
  D bad = Request(c, D::DECLINE);
  bad.clear_feedback();
  grpc::Status no_feedback = Decide(rig_.approver, bad);
  RefusedAndUnchanged("a decline without feedback", no_feedback, c,
                      StatusCode::INVALID_ARGUMENT, "");
  EXPECT_THAT(FieldsOf(no_feedback), Contains("feedback"));
  D huge = Request(c, D::AWARD, 1'000'000);
  huge.set_rationale(std::string(100'000, 'x'));
  grpc::Status too_long = Decide(rig_.approver, huge);
  RefusedAndUnchanged("a 100,000-character rationale", too_long, c,
                      StatusCode::INVALID_ARGUMENT, "");
  EXPECT_THAT(FieldsOf(too_long), Contains("rationale"));
  D nothing = Request(c, D::AWARD, 0);
  RefusedAndUnchanged("an award of nothing", Decide(rig_.approver, nothing), c,
                      StatusCode::INVALID_ARGUMENT, "");
  D reserve_amount = Request(c, D::RESERVE_LIST);
  reserve_amount.set_amount_pence(1'000'000);
  RefusedAndUnchanged("a reserve-list decision with an amount",
                      Decide(rig_.approver, reserve_amount), c,
                      StatusCode::INVALID_ARGUMENT, "");
  D no_decision = Request(c, D::DECISION_UNSPECIFIED);
  RefusedAndUnchanged("no decision", Decide(rig_.approver, no_decision), c,
                      StatusCode::INVALID_ARGUMENT, "");
  // Every role but the approver's.
  rig_.AsEveryOtherRole(attacks_, "an award decision", {"approver"},
                        [&](const std::string& token) {
                          return Decide(token, Request(c, D::AWARD, 1'000'000));
                        });
  EXPECT_EQ(rig_.Case(c).state(), "RECOMMENDED");
  // A case not (yet) recommended, and one that does not exist.
  const std::string early = rig_.NewCase(2'000'000, "early");
  attacks_.Refused("an award before the recommendation",
                   Decide(rig_.approver, Request(early, D::AWARD, 2'000'000)),
                   StatusCode::FAILED_PRECONDITION, "NOT_RECOMMENDED");
  attacks_.Refused(
      "an award of a case that does not exist",
      Decide(rig_.approver, Request("cases/nope", D::AWARD, 2'000'000)),
      StatusCode::NOT_FOUND);
  // Still decidable after all that.
  EXPECT_TRUE(Decide(rig_.approver, Request(c, D::AWARD, 7'500'000)).ok());
}

TEST_F(AwardsTest, DeclinesAndTheReserveList) {
  using D = awpb::DecideAwardRequest;
  const std::string declined = Recommended(3'000'000, "declined");
  awpb::Award d;
  ASSERT_TRUE(Decide(rig_.approver, Request(declined, D::DECLINE), &d).ok());
  EXPECT_EQ(d.state(), awpb::Award::DECLINED);
  EXPECT_THAT(d.feedback(), HasSubstr("new families"));
  EXPECT_EQ(rig_.Case(declined).state(), "DECLINED");
  EXPECT_EQ(rig_.Ledger(kLineA).reserved_pence(), 0);

  // The reserve list waits at RECOMMENDED; a later award needs the etag it
  // was given, and the second of two racing approvers is refused.
  const std::string reserved = Recommended(3'000'000, "reserve");
  awpb::Award r;
  ASSERT_TRUE(
      Decide(rig_.approver, Request(reserved, D::RESERVE_LIST), &r).ok());
  EXPECT_EQ(r.state(), awpb::Award::RESERVE_LIST);
  EXPECT_EQ(rig_.Case(reserved).state(), "RECOMMENDED");
  D stale = Request(reserved, D::AWARD, 3'000'000);
  stale.set_etag("999");
  RefusedAndUnchanged("an award on a stale etag", Decide(rig_.approver, stale),
                      reserved, StatusCode::ABORTED, "");
  std::atomic<int> won{0}, refused{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < 2; ++i) {
    D req = Request(reserved, i == 0 ? D::AWARD : D::DECLINE, 3'000'000);
    req.set_etag(r.etag());
    racers.emplace_back([&, req] {
      grpc::Status s = Decide(rig_.approver, req);
      if (s.ok()) {
        ++won;
      } else if (s.error_code() == StatusCode::ABORTED ||
                 ReasonOf(s) == "ALREADY_DECIDED") {
        ++refused;
      }
    });
  }
  for (auto& t : racers) t.join();
  EXPECT_EQ(won, 1);
  attacks_.Raced("two approvers deciding one reserve-list bid", 1, refused);
  awpb::Award final_award;
  ASSERT_TRUE(Get(reserved, &final_award).ok());
  const std::string state = rig_.Case(reserved).state();
  if (final_award.state() == awpb::Award::APPROVED) {
    EXPECT_EQ(state, "AWARD_APPROVED");
    EXPECT_EQ(rig_.Ledger(kLineA).reserved_pence(), 3'000'000);
  } else {
    EXPECT_EQ(final_award.state(), awpb::Award::DECLINED);
    EXPECT_EQ(state, "DECLINED");
    EXPECT_EQ(rig_.Ledger(kLineA).reserved_pence(), 0);
  }
}

}  // namespace
}  // namespace grantflow::testing
