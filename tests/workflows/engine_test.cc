#include "workflows/engine.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/errors.h"
#include "platform/money.h"
#include "platform/resources.h"
#include "tests/testing/engine_harness.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/matchers.h"
#include "tests/testing/temp_dir.h"
#include "workflows/facts.h"

namespace grantflow::workflows {
namespace {

using ::grantflow::testing::HasReason;
using ::grantflow::testing::IsOk;
using ::grantflow::testing::StatusIs;

using ::grantflow::testing::EngineHarness;
using ::grantflow::testing::kDocV1;
using ::grantflow::testing::kDocV2;
using ::testing::HasSubstr;

constexpr char kLineA[] = "funds/lff/budgetLines/md2192-grants";
constexpr char kLineB[] = "funds/lff/budgetLines/md2311-grants";

std::string Reason(const absl::Status& s) {
  return errors::ReasonOf(s).value_or("(none: " + std::string(s.message()) +
                                      ")");
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_ = std::make_unique<EngineHarness>(dir_.path());
    ASSERT_TRUE(h_->Line(kLineA, 21'500'000).ok());
    ASSERT_TRUE(h_->Line(kLineB, 32'000'000).ok());
  }
  wpb::LedgerLine Ledger(const std::string& name) {
    wpb::GetLedgerLineRequest r;
    r.set_name(name);
    auto l = h_->engine().GetLedgerLine(h_->Officer(), r);
    EXPECT_TRUE(l.ok()) << l.status();
    return *l;
  }
  wpb::Case Get(const std::string& id) {
    wpb::GetCaseRequest r;
    r.set_name("cases/" + id);
    auto c = h_->engine().GetCase(h_->Officer(), r);
    EXPECT_TRUE(c.ok()) << c.status();
    return *c;
  }
  uint64_t Audits() { return testing::AuditCount(h_->store()); }

  testing::TempDir dir_;
  std::unique_ptr<EngineHarness> h_;
};

TEST_F(EngineTest, FullLifecycleMovesTheMoneyThroughTheLedger) {
  ASSERT_TRUE(h_->Start("a1").ok());
  ASSERT_TRUE(h_->ToChecksPassed("a1", 5'000'000, kLineA).ok());
  EXPECT_EQ(Ledger(kLineA).reserved_pence(), 5'000'000);
  EXPECT_EQ(Ledger(kLineA).available_pence(), 16'500'000);
  // The agreement, monitoring and closure are AgreementService's to record
  // for the person who acted: the people themselves going round it are
  // refused, naming the way, and nothing is written.
  const uint64_t audits = Audits();
  wpb::FactPayload doc;
  doc.set_document_sha256(testing::kDocV1);
  const std::pair<Call, const char*> direct[] = {
      {h_->Officer(), "AGREEMENT_ISSUED"},
      {h_->Signatory(), "AGREEMENT_SIGNED_BY_RECIPIENT"},
      {h_->Approver(), "AGREEMENT_EXECUTED"},
      {h_->Officer(), "PROJECT_STARTED"},
      {h_->Officer(), "MONITORING_REPORT_ACCEPTED"},
      {h_->Officer(), "GRANT_CLOSED"},
      {h_->Approver(), "TERMINATED"}};
  for (const auto& [who, fact] : direct) {
    auto refused = h_->Fact(who, "a1", fact, doc);
    EXPECT_THAT(refused.status(), StatusIs(absl::StatusCode::kPermissionDenied,
                                           "RECORDED_BY_SERVICE"))
        << fact;
    EXPECT_THAT(std::string(refused.status().message()),
                HasSubstr("AgreementService"))
        << fact;
  }
  EXPECT_EQ(Audits(), audits);

  wpb::FactPayload exec;
  auto* r = exec.add_reports();
  r->set_report_id("interim");
  *r->mutable_due_time() = ToProto(h_->now + absl::Hours(24 * 180));
  auto* i1 = exec.add_schedule();
  i1->set_payment_id("first");
  i1->set_amount_pence(3'000'000);
  auto* i2 = exec.add_schedule();
  i2->set_payment_id("second");
  i2->set_amount_pence(2'000'000);
  i2->set_requires_report("interim");
  ASSERT_TRUE(h_->ToExecuted("a1", exec).ok());
  EXPECT_EQ(Get("a1").state(), "EXECUTED");
  EXPECT_EQ(Ledger(kLineA).reserved_pence(), 0);
  EXPECT_EQ(Ledger(kLineA).committed_pence(), 5'000'000);

  ASSERT_TRUE(h_->Authorize("a1", "first", 3'000'000).ok());
  EXPECT_EQ(Get("a1").pending_pence(), 3'000'000);
  ASSERT_TRUE(h_->Confirm("a1", "first").ok());
  EXPECT_EQ(Get("a1").paid_pence(), 3'000'000);
  EXPECT_EQ(Ledger(kLineA).paid_pence(), 3'000'000);

  ASSERT_TRUE(h_->Decide(h_->Officer(), "a1", "PROJECT_STARTED").ok());
  EXPECT_THAT(h_->Authorize("a1", "second", 2'000'000).status(),
              HasReason("REPORT_OUTSTANDING"));
  wpb::FactPayload report;
  report.set_report_id("interim");
  ASSERT_TRUE(
      h_->Decide(h_->Officer(), "a1", "MONITORING_REPORT_ACCEPTED", report)
          .ok());
  ASSERT_TRUE(h_->Authorize("a1", "second", 1'500'000).ok());
  ASSERT_TRUE(h_->Confirm("a1", "second").ok());
  // Close with £5,000 unspent: it goes back to the line.
  auto closed = h_->Decide(h_->Officer(), "a1", "GRANT_CLOSED");
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->state(), "CLOSED");
  EXPECT_EQ(Ledger(kLineA).committed_pence(), 4'500'000);
  EXPECT_EQ(Ledger(kLineA).paid_pence(), 4'500'000);
  EXPECT_EQ(Ledger(kLineA).available_pence(), 21'500'000 - 4'500'000);

  wpb::GetHistoryRequest hr;
  hr.set_name("cases/a1");
  hr.set_page_size(5);
  std::vector<std::string> kinds;
  do {
    auto page = h_->engine().GetHistory(h_->Officer(), hr);
    ASSERT_TRUE(page.ok());
    for (const auto& e : page->events()) kinds.push_back(e.kind());
    hr.set_page_token(page->next_page_token());
  } while (!hr.page_token().empty());
  EXPECT_EQ(kinds.front(), "CASE_STARTED");
  EXPECT_EQ(kinds.back(), "GRANT_CLOSED");
  EXPECT_EQ(kinds.size(), 19u) << "the refused authorisation left no event";
  auto chain = h_->store().VerifyAuditChain();
  EXPECT_TRUE(chain->ok);
}

TEST_F(EngineTest, RefusedFactsNameTheAcceptedOnesAndWriteNothing) {
  ASSERT_TRUE(h_->Start("a1").ok());
  const uint64_t before = Audits();
  auto r = h_->Decide(h_->Approver(), "a1", "AWARD_APPROVED");
  EXPECT_THAT(r.status(), HasReason("INVALID_TRANSITION"));
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("accepts: ELIGIBILITY_CHECK_STARTED, ROUND_CLOSED, "
                        "WITHDRAWN"));
  EXPECT_THAT(h_->Fact(h_->Officer(), "a1", "BRIBED").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(h_->ServiceFact("grace", "nope", "ELIGIBLE").status(),
              StatusIs(absl::StatusCode::kNotFound));
  // Assessment stages are AssessmentService's to record, on a person's
  // behalf: a grants officer going round it is refused, naming the way.
  auto direct = h_->Fact(h_->Officer(), "a1", "ELIGIBILITY_CHECK_STARTED");
  EXPECT_THAT(direct.status(), StatusIs(absl::StatusCode::kPermissionDenied,
                                        "RECORDED_BY_SERVICE"));
  EXPECT_THAT(std::string(direct.status().message()),
              HasSubstr("AssessmentService"));
  EXPECT_THAT(
      h_->Fact(h_->Signatory(), "a1", "ELIGIBILITY_CHECK_STARTED").status(),
      StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(
      h_->Fact(h_->Officer(), "a1", "SIGNATURE_DEADLINE_PASSED").status(),
      StatusIs(absl::StatusCode::kPermissionDenied))
      << "timer facts come only from the engine's timers";
  wpb::RecordFactRequest stale;
  stale.set_name("cases/a1");
  stale.set_fact("ELIGIBILITY_CHECK_STARTED");
  stale.set_etag("7");
  stale.set_request_id("stale");
  stale.set_on_behalf_of("grace");
  EXPECT_THAT(h_->engine()
                  .RecordFact(h_->As("grantflowd", {"service"}), stale)
                  .status(),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(Audits(), before);
  EXPECT_EQ(Get("a1").state(), "SUBMITTED");
  EXPECT_EQ(Get("a1").event_count(), 1);
}

TEST_F(EngineTest, DuplicateRequestIdReturnsTheFirstResultOnce) {
  ASSERT_TRUE(h_->Start("a1").ok());
  auto first = h_->ServiceFact("grace", "a1", "ELIGIBILITY_CHECK_STARTED", "x");
  ASSERT_TRUE(first.ok());
  auto again = h_->ServiceFact("grace", "a1", "ELIGIBILITY_CHECK_STARTED", "x");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(first->SerializeAsString(), again->SerializeAsString());
  EXPECT_EQ(Get("a1").event_count(), 2);
  // Starting the same case again is harmless too.
  auto restart = h_->Start("a1");
  ASSERT_TRUE(restart.ok());
  EXPECT_EQ(Get("a1").state(), "ELIGIBILITY");
}

TEST_F(EngineTest, NoPaymentBeforeAnExecutedAgreement) {
  ASSERT_TRUE(h_->Start("a1").ok());
  EXPECT_THAT(h_->Authorize("a1", "p1", 100).status(),
              HasReason("AGREEMENT_NOT_EXECUTED"));
  ASSERT_TRUE(h_->ToChecksPassed("a1", 1'000'000, kLineA).ok());
  EXPECT_THAT(h_->Authorize("a1", "p1", 100).status(),
              HasReason("AGREEMENT_NOT_EXECUTED"));
  wpb::FactPayload v1;
  v1.set_document_sha256(kDocV1);
  ASSERT_TRUE(h_->Decide(h_->Officer(), "a1", "AGREEMENT_ISSUED", v1).ok());
  EXPECT_THAT(h_->Authorize("a1", "p1", 100).status(),
              HasReason("AGREEMENT_NOT_EXECUTED"));
  ASSERT_TRUE(
      h_->Decide(h_->Signatory(), "a1", "AGREEMENT_SIGNED_BY_RECIPIENT", v1)
          .ok());
  EXPECT_THAT(h_->Authorize("a1", "p1", 100).status(),
              HasReason("AGREEMENT_NOT_EXECUTED"))
      << "one signature is not execution";

  // Re-issuing a new version discards the recipient's signature on v1.
  wpb::FactPayload v2;
  v2.set_document_sha256(kDocV2);
  ASSERT_TRUE(h_->Decide(h_->Officer(), "a1", "AGREEMENT_ISSUED", v2).ok());
  ASSERT_TRUE(
      h_->Decide(h_->Signatory(), "a1", "AGREEMENT_SIGNED_BY_RECIPIENT", v1)
          .status()
          .ok() == false);
  EXPECT_THAT(
      h_->Decide(h_->Signatory(), "a1", "AGREEMENT_SIGNED_BY_RECIPIENT", v1)
          .status(),
      HasReason("DOCUMENT_MISMATCH"));
  ASSERT_TRUE(
      h_->Decide(h_->Signatory(), "a1", "AGREEMENT_SIGNED_BY_RECIPIENT", v2)
          .ok());
  EXPECT_THAT(
      h_->Decide(h_->Approver(), "a1", "AGREEMENT_EXECUTED", v1).status(),
      HasReason("DOCUMENT_MISMATCH"))
      << "the countersignature must be on the same hash";
  // The same person cannot sign for both sides.
  Call both = h_->As("amira", {"approver"}, 100'000'000);
  EXPECT_THAT(h_->Decide(both, "a1", "AGREEMENT_EXECUTED", v2).status(),
              HasReason("SEPARATION_OF_DUTIES"));
  ASSERT_TRUE(h_->Decide(h_->Approver(), "a1", "AGREEMENT_EXECUTED", v2).ok());
  auto p = h_->Authorize("a1", "p1", 100);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->agreement_version(), 2);
  EXPECT_EQ(p->agreement_sha256(), kDocV2);
}

TEST_F(EngineTest, PaymentsNeverExceedTheAward) {
  ASSERT_TRUE(h_->Start("a1").ok());
  ASSERT_TRUE(h_->ToChecksPassed("a1", 1'000'000, kLineA).ok());
  ASSERT_TRUE(h_->ToExecuted("a1").ok());
  ASSERT_TRUE(h_->Authorize("a1", "p1", 600'000).ok());
  EXPECT_THAT(h_->Authorize("a1", "p2", 400'001).status(),
              HasReason("EXCEEDS_AWARD"))
      << "pending payments count against the award";
  wpb::VoidPaymentRequest v;
  v.set_name("cases/a1");
  v.set_payment_id("p1");
  v.set_reason("bank details wrong");
  v.set_request_id("void-1");
  ASSERT_TRUE(h_->engine().VoidPayment(h_->Finance(), v).ok());
  ASSERT_TRUE(h_->Authorize("a1", "p2", 1'000'000).ok());
  ASSERT_TRUE(h_->Confirm("a1", "p2").ok());
  EXPECT_THAT(h_->Authorize("a1", "p3", 1).status(),
              HasReason("EXCEEDS_AWARD"));
  EXPECT_THAT(h_->Confirm("a1", "p2").status(),
              HasReason("PAYMENT_NOT_PENDING"));
  EXPECT_THAT(h_->Authorize("a1", "p2", 1).status(),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(EngineTest, BudgetCeilingHoldsAcrossAwardsAndLines) {
  ASSERT_TRUE(h_->Start("a1").ok());
  ASSERT_TRUE(h_->Start("a2").ok());
  ASSERT_TRUE(h_->ToChecksPassed("a1", 20'000'000, kLineA).ok());
  ASSERT_TRUE(h_->ToRecommended("a2").ok());
  wpb::FactPayload award;
  award.set_amount_pence(3'000'000);
  auto* a = award.add_allocations();
  a->set_budget_line(kLineA);
  a->set_amount_pence(3'000'000);
  const uint64_t before = Audits();
  auto r = h_->Decide(h_->Approver(), "a2", "AWARD_APPROVED", award);
  EXPECT_THAT(r.status(), HasReason("BUDGET_EXCEEDED"));
  EXPECT_EQ(Audits(), before);
  EXPECT_EQ(Ledger(kLineA).reserved_pence(), 20'000'000);
  // The same award split across two lines fits (R3 per line).
  award.mutable_allocations(0)->set_amount_pence(1'500'000);
  auto* b = award.add_allocations();
  b->set_budget_line(kLineB);
  b->set_amount_pence(1'500'000);
  ASSERT_TRUE(h_->Decide(h_->Approver(), "a2", "AWARD_APPROVED", award).ok());
  EXPECT_EQ(Ledger(kLineA).available_pence(), 0);
  EXPECT_EQ(Ledger(kLineB).reserved_pence(), 1'500'000);
  // Withdrawal gives the reservation back.
  ASSERT_TRUE(h_->Fact(h_->Officer(), "a2", "WITHDRAWN").ok());
  EXPECT_EQ(Ledger(kLineA).reserved_pence(), 20'000'000);
  EXPECT_EQ(Ledger(kLineB).reserved_pence(), 0);
  // A ceiling cannot drop below what is in use.
  EXPECT_THAT(h_->Line(kLineA, 10'000'000).status(),
              HasReason("CEILING_BELOW_USE"));
}

TEST_F(EngineTest, ConcurrentAwardsOnOneLineNeverOvershootTheCeiling) {
  ASSERT_TRUE(h_->Line("funds/lff/budgetLines/small", 10'000'000).ok());
  constexpr int kCases = 48;
  for (int i = 0; i < kCases; ++i) {
    ASSERT_TRUE(h_->Start(absl::StrCat("c", i)).ok());
    ASSERT_TRUE(h_->ToRecommended(absl::StrCat("c", i)).ok());
  }
  std::atomic<int> approved{0}, exceeded{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kCases; ++i) {
    threads.emplace_back([&, i] {
      wpb::FactPayload award;
      award.set_amount_pence(700'000);
      auto* a = award.add_allocations();
      a->set_budget_line("funds/lff/budgetLines/small");
      a->set_amount_pence(700'000);
      auto r = h_->Decide(h_->Approver(), absl::StrCat("c", i),
                          "AWARD_APPROVED", award, absl::StrCat("approve-", i));
      if (r.ok()) {
        ++approved;
      } else if (Reason(r.status()) == "BUDGET_EXCEEDED") {
        ++exceeded;
      } else {
        ADD_FAILURE() << r.status();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(approved, 14) << "£100,000 / £7,000 = 14 whole awards";
  EXPECT_EQ(exceeded, kCases - 14);
  EXPECT_EQ(Ledger("funds/lff/budgetLines/small").reserved_pence(),
            14 * 700'000);
}

TEST_F(EngineTest, ChecksAndConditionsGateTheAgreementAndPayments) {
  ASSERT_TRUE(h_->Start("kids", "standard", /*safeguarding=*/true).ok());
  ASSERT_TRUE(h_->ToRecommended("kids").ok());
  wpb::FactPayload award;
  award.set_amount_pence(1'000'000);
  auto* a = award.add_allocations();
  a->set_budget_line(kLineA);
  a->set_amount_pence(1'000'000);
  ASSERT_TRUE(h_->Decide(h_->Approver(), "kids", "AWARD_APPROVED", award).ok());
  // The checks' facts come through DueDiligenceService.
  EXPECT_THAT(
      h_->Fact(h_->Officer(), "kids", "CHECKS_STARTED").status(),
      StatusIs(absl::StatusCode::kPermissionDenied, "RECORDED_BY_SERVICE"));
  ASSERT_TRUE(h_->ServiceFact("grace", "kids", "CHECKS_STARTED").ok());
  wpb::FactPayload doc;
  doc.set_document_sha256(kDocV1);
  EXPECT_THAT(
      h_->Decide(h_->Officer(), "kids", "AGREEMENT_ISSUED", doc).status(),
      HasReason("CHECKS_INCOMPLETE"));
  EXPECT_THAT(
      h_->Fact(h_->Officer(), "kids", "DUE_DILIGENCE_PASSED").status(),
      StatusIs(absl::StatusCode::kPermissionDenied, "RECORDED_BY_SERVICE"));
  ASSERT_TRUE(h_->ServiceFact("grace", "kids", "DUE_DILIGENCE_PASSED").ok());
  auto r = h_->Decide(h_->Officer(), "kids", "AGREEMENT_ISSUED", doc);
  EXPECT_THAT(r.status(), HasReason("CHECKS_INCOMPLETE"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("safeguarding"));
  wpb::FactPayload cond;
  cond.set_condition_id("dbs-lead");
  cond.set_description("Enhanced DBS check for the project lead");
  EXPECT_THAT(
      h_->Fact(h_->Safeguarding(), "kids", "CONDITION_RAISED", cond).status(),
      StatusIs(absl::StatusCode::kPermissionDenied, "RECORDED_BY_SERVICE"));
  EXPECT_THAT(
      h_->ServiceFact("sam", "kids", "CONDITION_RAISED", "", cond).status(),
      StatusIs(absl::StatusCode::kInvalidArgument));  // whose condition?
  cond.set_condition_source("SAFEGUARDING");
  auto raised = h_->ServiceFact("sam", "kids", "CONDITION_RAISED", "", cond);
  ASSERT_TRUE(raised.ok()) << raised.status();
  EXPECT_EQ(raised->conditions(0).source(), "SAFEGUARDING");
  ASSERT_TRUE(h_->ServiceFact("sam", "kids", "SAFEGUARDING_PASSED").ok());
  // A condition holds up payment, not the agreement.
  ASSERT_TRUE(h_->ToExecuted("kids").ok());
  EXPECT_THAT(h_->Authorize("kids", "p1", 100).status(),
              HasReason("CONDITIONS_OPEN"));
  ASSERT_TRUE(
      h_->ServiceFact("sam", "kids", "CONDITION_CLEARED", "", cond).ok());
  EXPECT_TRUE(h_->Authorize("kids", "p1", 100).ok());
  // A condition raised after execution, by due diligence, blocks payment
  // until cleared; its source is the payload's.
  cond.set_condition_id("insurance");
  cond.set_description("Public liability insurance certificate");
  cond.set_condition_source("DUE_DILIGENCE");
  raised = h_->ServiceFact("grace", "kids", "CONDITION_RAISED", "", cond);
  ASSERT_TRUE(raised.ok()) << raised.status();
  EXPECT_EQ(raised->conditions(1).source(), "DUE_DILIGENCE");
  EXPECT_THAT(h_->Authorize("kids", "p2", 100).status(),
              HasReason("CONDITIONS_OPEN"));
  cond.set_condition_source("ASSESSMENT");
  cond.set_condition_id("other");
  EXPECT_THAT(
      h_->ServiceFact("grace", "kids", "CONDITION_RAISED", "", cond).status(),
      StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_TRUE(h_->ServiceFact("grace", "kids", "CONDITION_CLEARED", "", cond)
                  .status()
                  .code() == absl::StatusCode::kFailedPrecondition);
  cond.set_condition_id("insurance");
  ASSERT_TRUE(
      h_->ServiceFact("grace", "kids", "CONDITION_CLEARED", "", cond).ok());
  EXPECT_TRUE(h_->Authorize("kids", "p2", 100).ok());
}

// The recommended amount is kept on the case for the fund dashboard, and
// may not be negative or more than the bid asked for.
TEST_F(EngineTest, ARecommendationKeepsItsAmountWithinWhatWasAsked) {
  ASSERT_TRUE(h_->Start("a1").ok());
  for (const char* f : {"ELIGIBILITY_CHECK_STARTED", "ELIGIBLE", "SHORTLISTED",
                        "INTERVIEW_SCHEDULED"}) {
    ASSERT_TRUE(h_->ServiceFact("grace", "a1", f).ok());
  }
  const int64_t asked = Get("a1").amount_requested_pence();
  ASSERT_GT(asked, 0);
  wpb::FactPayload amount;
  for (int64_t bad : {asked + 1, int64_t{-1}}) {
    amount.set_amount_pence(bad);
    EXPECT_THAT(
        h_->ServiceFact("pat", "a1", "RECOMMENDED", "", amount).status(),
        StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
    EXPECT_EQ(Get("a1").state(), "INTERVIEW");
  }
  amount.set_amount_pence(asked - 100);
  ASSERT_TRUE(h_->ServiceFact("pat", "a1", "RECOMMENDED", "", amount).ok());
  EXPECT_EQ(Get("a1").recommended_pence(), asked - 100);
}

TEST_F(EngineTest, SeparationOfDutiesAndDelegatedLimits) {
  ASSERT_TRUE(h_->Start("a1").ok());
  for (const char* f : {"ELIGIBILITY_CHECK_STARTED", "ELIGIBLE", "SHORTLISTED",
                        "INTERVIEW_SCHEDULED"}) {
    ASSERT_TRUE(h_->ServiceFact("grace", "a1", f).ok());
  }
  Call dual = h_->As("pat", {"grants_officer", "approver"}, 100'000'000);
  ASSERT_TRUE(h_->ServiceFact("pat", "a1", "RECOMMENDED").ok());
  wpb::FactPayload award;
  award.set_amount_pence(5'000'000);
  auto* a = award.add_allocations();
  a->set_budget_line(kLineA);
  a->set_amount_pence(5'000'000);
  EXPECT_THAT(h_->Decide(dual, "a1", "AWARD_APPROVED", award).status(),
              HasReason("SEPARATION_OF_DUTIES"));
  Call junior = h_->As("jo", {"approver"}, 1'000'000);
  EXPECT_THAT(h_->Decide(junior, "a1", "AWARD_APPROVED", award).status(),
              HasReason("DELEGATED_LIMIT_EXCEEDED"));
  Call no_limit = h_->As("kim", {"approver"});
  EXPECT_THAT(h_->Decide(no_limit, "a1", "AWARD_APPROVED", award).status(),
              HasReason("DELEGATED_LIMIT_EXCEEDED"));
  // The decision is AwardService's to record: an approver going round it
  // is refused, naming the way, and the service's own identity carries no
  // delegated authority (only the person's, passed with on_behalf_of).
  EXPECT_THAT(
      h_->Fact(h_->Approver(), "a1", "AWARD_APPROVED", award).status(),
      StatusIs(absl::StatusCode::kPermissionDenied, "RECORDED_BY_SERVICE"));
  EXPECT_THAT(
      h_->ServiceFact("ade", "a1", "AWARD_APPROVED", "", award).status(),
      HasReason("DELEGATED_LIMIT_EXCEEDED"));
  wpb::RecordFactRequest unowned;
  unowned.set_name("cases/a1");
  unowned.set_fact("AWARD_APPROVED");
  *unowned.mutable_payload() = award;
  (*unowned.mutable_acting()->mutable_limits_pence())["approve"] = 100'000'000;
  unowned.set_request_id("limits-without-a-person");
  EXPECT_THAT(h_->engine()
                  .RecordFact(h_->As("grantflowd", {"service"}), unowned)
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Get("a1").state(), "RECOMMENDED");
  EXPECT_TRUE(h_->Decide(h_->Approver(), "a1", "AWARD_APPROVED", award).ok());
  auto c = Get("a1");
  EXPECT_EQ(c.recommended_by(), "pat");
  EXPECT_EQ(c.approved_by(), "ade");
}

TEST_F(EngineTest, SignatureDeadlineLapsesTheCaseAndReleasesTheBudget) {
  ASSERT_TRUE(h_->Start("a1").ok());
  ASSERT_TRUE(h_->ToChecksPassed("a1", 1'000'000, kLineA).ok());
  wpb::FactPayload doc;
  doc.set_document_sha256(kDocV1);
  ASSERT_TRUE(h_->Decide(h_->Officer(), "a1", "AGREEMENT_ISSUED", doc).ok());
  // Re-issued ten days later: the 28-day clock restarts from the new issue.
  h_->now += absl::Hours(24 * 10);
  doc.set_document_sha256(kDocV2);
  ASSERT_TRUE(h_->Decide(h_->Officer(), "a1", "AGREEMENT_ISSUED", doc).ok());
  auto fired = h_->engine().FireDueTimers(h_->now + absl::Hours(24 * 20));
  ASSERT_TRUE(fired.ok());
  EXPECT_EQ(*fired, 1) << "the first issue's timer fires but is stale";
  EXPECT_EQ(Get("a1").state(), "AGREEMENT_ISSUED");
  EXPECT_EQ(*h_->engine().FireDueTimers(h_->now + absl::Hours(24 * 27)), 0);
  fired = h_->engine().FireDueTimers(h_->now + absl::Hours(24 * 29));
  EXPECT_EQ(*fired, 1);
  EXPECT_EQ(Get("a1").state(), "LAPSED");
  EXPECT_EQ(Ledger(kLineA).reserved_pence(), 0);
  EXPECT_EQ(*h_->engine().FireDueTimers(h_->now + absl::Hours(24 * 400)), 0)
      << "timers fire once";
}

TEST_F(EngineTest, RoundCloseTimerStartsChecksOnWaitingCasesOnly) {
  for (const char* id : {"waiting", "moved-on"}) {
    wpb::StartCaseRequest r;
    r.set_application(absl::StrCat("applications/", id));
    r.set_round("funds/lff/rounds/r1");
    r.set_definition("standard");
    r.set_organisation(testing::kOrg);
    r.set_amount_requested_pence(1'000'000);
    *r.mutable_round_close_time() = ToProto(h_->now + absl::Hours(24 * 7));
    r.set_request_id(absl::StrCat("start-", id));
    ASSERT_TRUE(h_->engine().StartCase(h_->As("svc", {"service"}), r).ok());
  }
  ASSERT_TRUE(
      h_->ServiceFact("grace", "moved-on", "ELIGIBILITY_CHECK_STARTED").ok());
  ASSERT_TRUE(h_->ServiceFact("grace", "moved-on", "ELIGIBLE").ok());
  EXPECT_EQ(*h_->engine().FireDueTimers(h_->now + absl::Hours(24 * 6)), 0);
  EXPECT_EQ(*h_->engine().FireDueTimers(h_->now + absl::Hours(24 * 7)), 2);
  EXPECT_EQ(Get("waiting").state(), "ELIGIBILITY");
  EXPECT_EQ(Get("moved-on").state(), "IN_ASSESSMENT")
      << "a case already past SUBMITTED ignores the timer";
  wpb::GetHistoryRequest hr;
  hr.set_name("cases/waiting");
  auto history = h_->engine().GetHistory(h_->Officer(), hr);
  EXPECT_EQ(history->events(1).kind(), "ROUND_CLOSED");
  EXPECT_EQ(history->events(1).actor(), kTimerActor);
}

// The engine keeps no copy of a round's close time: extended after the case
// started, the round-close timer waits for the new time.
TEST_F(EngineTest, RoundCloseTimerFollowsAnExtendedRound) {
  wpb::StartCaseRequest r;
  r.set_application("applications/late");
  r.set_round(testing::kRound);
  r.set_definition("standard");
  r.set_organisation(testing::kOrg);
  r.set_amount_requested_pence(1'000'000);
  *r.mutable_round_close_time() = ToProto(h_->now + absl::Hours(24 * 7));
  r.set_request_id("start-late");
  ASSERT_TRUE(h_->engine().StartCase(h_->As("svc", {"service"}), r).ok());
  RoundTerms extended;
  extended.min_award_pence = 1;
  extended.max_award_pence = 100'000'000;
  extended.close_time = h_->now + absl::Hours(24 * 14);
  h_->directory().SetRound(testing::kRound, extended);
  EXPECT_EQ(*h_->engine().FireDueTimers(h_->now + absl::Hours(24 * 8)), 0);
  EXPECT_EQ(Get("late").state(), "SUBMITTED") << "the round is still open";
  EXPECT_EQ(*h_->engine().FireDueTimers(h_->now + absl::Hours(24 * 13)), 0);
  EXPECT_EQ(*h_->engine().FireDueTimers(h_->now + absl::Hours(24 * 14)), 1);
  EXPECT_EQ(Get("late").state(), "ELIGIBILITY");
}

TEST_F(EngineTest, ReportTimersMarkOverdueReports) {
  ASSERT_TRUE(h_->Start("a1").ok());
  ASSERT_TRUE(h_->ToChecksPassed("a1", 1'000'000, kLineA).ok());
  wpb::FactPayload exec;
  auto* r = exec.add_reports();
  r->set_report_id("final");
  *r->mutable_due_time() = ToProto(h_->now + absl::Hours(24 * 30));
  ASSERT_TRUE(h_->ToExecuted("a1", exec).ok());
  ASSERT_TRUE(h_->Decide(h_->Officer(), "a1", "PROJECT_STARTED").ok());
  ASSERT_TRUE(h_->engine().FireDueTimers(h_->now + absl::Hours(24 * 31)).ok());
  auto c = Get("a1");
  ASSERT_EQ(c.reports_size(), 1);
  EXPECT_TRUE(c.reports(0).overdue());
  EXPECT_EQ(c.state(), "ACTIVE");
}

// An overdue report holds every later instalment until it is accepted; a
// variation moving a report later leaves the old timer with nothing to do.
TEST_F(EngineTest, AnOverdueReportHoldsLaterInstalments) {
  ASSERT_TRUE(h_->Start("a1").ok());
  ASSERT_TRUE(h_->ToChecksPassed("a1", 1'000'000, kLineA).ok());
  wpb::FactPayload exec;
  auto* r = exec.add_reports();
  r->set_report_id("mid");
  *r->mutable_due_time() = ToProto(h_->now + absl::Hours(24 * 30));
  for (const char* id : {"first", "second"}) {
    auto* i = exec.add_schedule();
    i->set_payment_id(id);
    i->set_amount_pence(500'000);
  }
  ASSERT_TRUE(h_->ToExecuted("a1", exec).ok());
  ASSERT_TRUE(h_->Decide(h_->Officer(), "a1", "PROJECT_STARTED").ok());
  ASSERT_TRUE(h_->engine().FireDueTimers(h_->now + absl::Hours(24 * 31)).ok());
  EXPECT_THAT(h_->Authorize("a1", "first", 500'000).status(),
              HasReason("REPORT_OUTSTANDING"));
  wpb::FactPayload accepted;
  accepted.set_report_id("mid");
  ASSERT_TRUE(
      h_->Decide(h_->Officer(), "a1", "MONITORING_REPORT_ACCEPTED", accepted)
          .ok());
  EXPECT_FALSE(Get("a1").reports(0).overdue());
  EXPECT_TRUE(h_->Authorize("a1", "first", 500'000).ok());
}

// A variation is issued, signed and countersigned again; until then
// payments keep to the executed version's schedule, and it must keep every
// instalment already paid or authorised.
TEST_F(EngineTest, VariationsMustBeExecutedBeforePaymentsUseThem) {
  ASSERT_TRUE(h_->Start("a1").ok());
  ASSERT_TRUE(h_->ToChecksPassed("a1", 1'000'000, kLineA).ok());
  wpb::FactPayload v1;
  auto* i = v1.add_schedule();
  i->set_payment_id("first");
  i->set_amount_pence(600'000);
  ASSERT_TRUE(h_->ToExecuted("a1", v1).ok());
  ASSERT_TRUE(h_->Authorize("a1", "first", 600'000).ok());
  ASSERT_TRUE(h_->Confirm("a1", "first").ok());
  wpb::FactPayload doc;
  doc.set_document_sha256(kDocV2);
  ASSERT_TRUE(h_->Decide(h_->Officer(), "a1", "AGREEMENT_ISSUED", doc).ok());
  wpb::Case c = Get("a1");
  EXPECT_EQ(c.state(), "EXECUTED");
  EXPECT_TRUE(c.agreement().executed());
  EXPECT_EQ(c.agreement().version(), 1);
  EXPECT_EQ(c.variation().version(), 2);
  // The variation's new instalment is not payable yet.
  EXPECT_THAT(h_->Authorize("a1", "second", 400'000).status(),
              HasReason("PAYMENT_NOT_SCHEDULED"));
  // Countersigning before the recipient signs, both by one person, or on
  // another document: refused.
  wpb::FactPayload v2 = v1;
  v2.mutable_schedule(0)->set_amount_pence(500'000);  // below what was paid
  auto* second = v2.add_schedule();
  second->set_payment_id("second");
  second->set_amount_pence(400'000);
  v2.set_document_sha256(kDocV2);
  EXPECT_THAT(
      h_->Decide(h_->Approver(), "a1", "AGREEMENT_EXECUTED", v2).status(),
      HasReason("AGREEMENT_NOT_SIGNED"));
  ASSERT_TRUE(
      h_->Decide(h_->Signatory(), "a1", "AGREEMENT_SIGNED_BY_RECIPIENT", doc)
          .ok());
  wpb::FactPayload old_doc = v2;
  old_doc.set_document_sha256(kDocV1);
  EXPECT_THAT(
      h_->Decide(h_->Approver(), "a1", "AGREEMENT_EXECUTED", old_doc).status(),
      HasReason("DOCUMENT_MISMATCH"));
  auto dropped = h_->Decide(h_->Approver(), "a1", "AGREEMENT_EXECUTED", v2);
  EXPECT_THAT(dropped.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(dropped.status().message()),
              HasSubstr("must keep instalment first"));
  EXPECT_EQ(Get("a1").agreement().version(), 1);
  v2.mutable_schedule(0)->set_amount_pence(600'000);
  ASSERT_TRUE(h_->Decide(h_->Approver(), "a1", "AGREEMENT_EXECUTED", v2).ok());
  c = Get("a1");
  EXPECT_EQ(c.agreement().version(), 2);
  EXPECT_TRUE(c.agreement().executed());
  EXPECT_FALSE(c.has_variation());
  EXPECT_EQ(Ledger(kLineA).committed_pence(), 1'000'000)
      << "a variation commits nothing more";
  auto paid = h_->Authorize("a1", "second", 400'000);
  ASSERT_TRUE(paid.ok()) << paid.status();
  EXPECT_EQ(paid->agreement_version(), 2);
  EXPECT_EQ(paid->agreement_sha256(), kDocV2);
  // Nothing left to sign now.
  EXPECT_THAT(
      h_->Decide(h_->Signatory(), "a1", "AGREEMENT_SIGNED_BY_RECIPIENT", doc)
          .status(),
      HasReason("NOTHING_TO_SIGN"));
}

TEST_F(EngineTest, ListCasesByStateFundAndRoundThroughIndexes) {
  for (int i = 0; i < 30; ++i)
    ASSERT_TRUE(h_->Start(absl::StrCat("c", i)).ok());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(h_->ServiceFact("grace", absl::StrCat("c", i),
                                "ELIGIBILITY_CHECK_STARTED")
                    .ok());
  }
  auto count = [&](const std::string& state, const std::string& fund,
                   const std::string& round) {
    wpb::ListCasesRequest req;
    req.set_state(state);
    req.set_fund(fund);
    req.set_round(round);
    req.set_page_size(7);
    int n = 0;
    do {
      auto page = h_->engine().ListCases(h_->Officer(), req);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return -1;
      n += page->cases_size();
      req.set_page_token(page->next_page_token());
    } while (!req.page_token().empty());
    return n;
  };
  EXPECT_EQ(count("SUBMITTED", "", ""), 20);
  EXPECT_EQ(count("ELIGIBILITY", "", ""), 10);
  EXPECT_EQ(count("", "funds/lff", ""), 30);
  EXPECT_EQ(count("ELIGIBILITY", "", "funds/lff/rounds/r1"), 10);
  EXPECT_EQ(count("", "funds/other", ""), 0);
  EXPECT_EQ(count("", "", ""), 30);
}

TEST_F(EngineTest, OutboxRetriesTransientFailuresAndParksOnlyPermanentOnes) {
  Outbox& box = h_->engine().outbox();
  int good_calls = 0, down_calls = 0, refused_calls = 0;
  box.RegisterHandler("good", [&](const opb::Task&) {
    ++good_calls;
    return absl::OkStatus();
  });
  box.RegisterHandler("down", [&](const opb::Task&) {
    ++down_calls;
    return absl::UnavailableError("peer down");
  });
  box.RegisterHandler("refused", [&](const opb::Task&) {
    ++refused_calls;
    return absl::InvalidArgumentError("not a task I understand");
  });
  storage::WriteSet w;
  for (const char* kind : {"down", "good", "refused", "nobody-handles-this"}) {
    opb::Task t;
    t.set_id(absl::StrCat("t-", kind));
    t.set_kind(kind);
    Outbox::Enqueue(w, t, h_->now);
  }
  ASSERT_TRUE(h_->store().Commit(w).ok());
  auto rep = box.DeliverDue(h_->now);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->delivered, 1);
  EXPECT_EQ(rep->failed, 1) << "the peer being down is transient";
  EXPECT_EQ(rep->parked, 2) << "a refusal and a kind nobody handles are not";
  EXPECT_EQ(good_calls, 1);
  // Not due again until the backoff has passed.
  EXPECT_EQ(box.DeliverDue(h_->now + absl::Milliseconds(500))->failed, 0);
  EXPECT_EQ(box.DeliverDue(h_->now + absl::Seconds(1))->failed, 1);
  // A transient failure is retried through a long outage, the backoff
  // capped at a minute: two hours of passes park nothing.
  absl::Time t = h_->now + absl::Seconds(1);
  for (int i = 0; i < 120; ++i) {
    t += absl::Minutes(1);
    auto r = box.DeliverDue(t);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->parked, 0);
  }
  EXPECT_GE(down_calls, 100) << "attempted about once a minute";
  EXPECT_EQ(refused_calls, 1) << "a parked task is not attempted again";
  opb::ListTasksRequest waiting;
  auto still = h_->engine().ListTasks(h_->Officer(), waiting);
  ASSERT_EQ(still->tasks_size(), 1);
  EXPECT_EQ(still->tasks(0).id(), "t-down");
  EXPECT_EQ(still->tasks(0).service(), "workflow");
  EXPECT_EQ(still->tasks(0).last_error(), "UNAVAILABLE: peer down");
  opb::ListTasksRequest parked;
  parked.set_parked(true);
  auto list = h_->engine().ListTasks(h_->Officer(), parked);
  ASSERT_EQ(list->tasks_size(), 2);
  // When the peer comes back, the waiting task is delivered.
  box.RegisterHandler("down",
                      [&](const opb::Task&) { return absl::OkStatus(); });
  EXPECT_EQ(box.DeliverDue(t + absl::Minutes(1))->delivered, 1);
  // An operator retries a parked one once its cause is fixed.
  box.RegisterHandler("refused",
                      [&](const opb::Task&) { return absl::OkStatus(); });
  opb::RetryTaskRequest retry;
  retry.set_id("t-refused");
  retry.set_request_id("retry-1");
  ASSERT_TRUE(h_->engine().RetryTask(h_->Officer(), retry).ok());
  EXPECT_TRUE(h_->engine().RetryTask(h_->Officer(), retry).ok())
      << "a retried RetryTask answers as the first did";
  EXPECT_EQ(box.DeliverDue(t + absl::Minutes(2))->delivered, 1);
  EXPECT_EQ(h_->engine().ListTasks(h_->Officer(), parked)->tasks_size(), 1);
}

TEST_F(EngineTest, TerminationRecoversUnspentFunds) {
  ASSERT_TRUE(h_->Start("a1").ok());
  ASSERT_TRUE(h_->ToChecksPassed("a1", 2'000'000, kLineA).ok());
  ASSERT_TRUE(h_->ToExecuted("a1").ok());
  ASSERT_TRUE(h_->Authorize("a1", "p1", 500'000).ok());
  EXPECT_THAT(h_->Decide(h_->Approver(), "a1", "TERMINATED").status(),
              HasReason("PAYMENTS_PENDING"));
  ASSERT_TRUE(h_->Confirm("a1", "p1").ok());
  ASSERT_TRUE(h_->Decide(h_->Approver(), "a1", "TERMINATED").ok());
  EXPECT_EQ(Ledger(kLineA).committed_pence(), 500'000);
  EXPECT_EQ(Ledger(kLineA).available_pence(), 21'000'000);
  EXPECT_THAT(h_->Authorize("a1", "p2", 1).status(), HasReason("CASE_CLOSED"));
}

}  // namespace
}  // namespace grantflow::workflows

namespace grantflow::workflows {
namespace {

// Tasks a definition attaches to a transition are written with it and
// delivered through the engine's outbox.
TEST(EngineTasksTest, TransitionTasksAreWrittenWithTheTransitionAndDelivered) {
  testing::TempDir dir;
  auto store = testing::OpenStore(dir.path());
  DefinitionRegistry defs;
  ASSERT_TRUE(defs.AddText("t", R"(
      name: "tasked" version: 1 initial_state: "SUBMITTED"
      states { name: "SUBMITTED" } states { name: "ELIGIBILITY" }
      states { name: "DONE" terminal: true }
      transitions { from: "SUBMITTED" fact: "ELIGIBILITY_CHECK_STARTED"
                    to: "ELIGIBILITY" tasks: "duediligence.open_check" }
      transitions { from: "ELIGIBILITY" fact: "INELIGIBLE" to: "DONE" })")
                  .ok());
  StaticDirectory directory;
  Engine engine(store.get(), &defs, &directory);
  const absl::Time now = testing::TestEpoch();
  wpb::StartCaseRequest start;
  start.set_application("applications/a1");
  start.set_round("funds/lff/rounds/r1");
  start.set_definition("tasked");
  start.set_organisation("organisations/o");
  start.set_amount_requested_pence(100);
  start.set_request_id("s");
  ASSERT_TRUE(
      engine.StartCase(testing::MakeCall("svc", {"service"}, now), start).ok());
  wpb::RecordFactRequest fact;
  fact.set_name("cases/a1");
  fact.set_fact("ELIGIBILITY_CHECK_STARTED");
  fact.set_on_behalf_of("grace");
  fact.set_request_id("f");
  ASSERT_TRUE(
      engine.RecordFact(testing::MakeCall("svc", {"service"}, now), fact).ok());
  std::vector<std::string> seen;
  engine.outbox().RegisterHandler(
      "duediligence.open_check", [&](const opb::Task& t) {
        wpb::CaseEvent e;
        e.ParseFromString(t.payload());
        seen.push_back(t.case_name() + " " + e.kind());
        return absl::OkStatus();
      });
  auto report = engine.outbox().DeliverDue(now);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->delivered, 1);
  EXPECT_EQ(seen,
            std::vector<std::string>{"cases/a1 ELIGIBILITY_CHECK_STARTED"});
  EXPECT_EQ(engine.outbox().DeliverDue(now + absl::Hours(1))->delivered, 0)
      << "delivered once, then gone";
}

}  // namespace
}  // namespace grantflow::workflows

namespace grantflow::workflows {
namespace {

absl::StatusOr<wpb::LedgerLine> Register(testing::EngineHarness& h,
                                         int64_t generation, int64_t ceiling,
                                         const std::string& rid) {
  wpb::RegisterBudgetLineRequest r;
  r.set_budget_line("funds/lff/budgetLines/gen");
  r.set_ceiling_pence(ceiling);
  r.set_generation(generation);
  r.set_request_id(rid);
  return h.engine().RegisterBudgetLine(h.As("svc", {"service"}), r);
}

// Whatever order ProgrammeService's registrations arrive in, the ledger ends
// with the newest generation's ceiling.
TEST(LedgerGenerationTest, OnlyANewerGenerationChangesTheCeiling) {
  testing::TempDir dir;
  testing::EngineHarness h(dir.path());
  ASSERT_TRUE(Register(h, 5, 10'000'000, "g5").ok());
  const uint64_t audits = testing::AuditCount(h.store());
  // An older one, arriving late, changes nothing and writes nothing.
  auto stale = Register(h, 3, 99'000'000, "g3");
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale->ceiling_pence(), 10'000'000);
  EXPECT_EQ(stale->source_generation(), 5);
  EXPECT_EQ(testing::AuditCount(h.store()), audits);
  // The same generation again is harmless; with another ceiling it is a
  // conflict.
  EXPECT_TRUE(Register(h, 5, 10'000'000, "g5-again").ok());
  EXPECT_THAT(Register(h, 5, 12'000'000, "g5-other").status(),
              HasReason("GENERATION_CONFLICT"));
  EXPECT_EQ(testing::AuditCount(h.store()), audits);
  // Newer ones apply; below what is in use, never.
  h.AddToRound("funds/lff/budgetLines/gen");
  ASSERT_TRUE(h.Start("a1").ok());
  ASSERT_TRUE(
      h.ToChecksPassed("a1", 4'000'000, "funds/lff/budgetLines/gen").ok());
  EXPECT_THAT(Register(h, 6, 3'999'999, "g6").status(),
              HasReason("CEILING_BELOW_USE"));
  auto g7 = Register(h, 7, 4'000'000, "g7");
  ASSERT_TRUE(g7.ok());
  EXPECT_EQ(g7->available_pence(), 0);
  EXPECT_EQ(g7->source_generation(), 7);
  for (int64_t bad : {int64_t{0}, int64_t{-1}, kMaxAmountPence + 1}) {
    EXPECT_THAT(Register(h, 8, bad, "bad").status(),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(Register(h, 0, 5, "g0").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace grantflow::workflows

namespace grantflow::workflows {
namespace {

// A fact group added from outside the engine: its handler and table row are
// registered, a definition uses the fact, and the engine runs it inside its
// atomic write like any other: no switch to extend.
absl::Status MarkPinged(FactContext& x) {
  if (x.payload.description().empty()) {
    return errors::InvalidArgument({{"payload.description", "say who pinged"}});
  }
  x.c.set_recommended_by("pinged:" + x.payload.description());
  x.details = "pinged";
  return absl::OkStatus();
}

TEST(FactGroupTest, ANewFactGroupRegistersWithoutTouchingTheEngine) {
  ASSERT_THAT(RegisterFact({.name = "TEST_PINGED",
                            .roles = {"grants_officer"},
                            .handler = MarkPinged}),
              IsOk());
  EXPECT_THAT(RegisterFact({.name = "TEST_PINGED"}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  testing::TempDir dir;
  auto store = testing::OpenStore(dir.path());
  DefinitionRegistry defs;
  ASSERT_THAT(defs.AddText("t", R"(
      name: "pinging" version: 1 initial_state: "SUBMITTED"
      states { name: "SUBMITTED" } states { name: "PINGED" }
      states { name: "DONE" terminal: true }
      transitions { from: "SUBMITTED" fact: "TEST_PINGED" to: "PINGED" }
      transitions { from: "PINGED" fact: "WITHDRAWN" to: "DONE" })"),
              IsOk());
  StaticDirectory directory;
  Engine engine(store.get(), &defs, &directory);
  const absl::Time now = testing::TestEpoch();
  wpb::StartCaseRequest start;
  start.set_application("applications/p1");
  start.set_round("funds/lff/rounds/r1");
  start.set_definition("pinging");
  start.set_organisation("organisations/o");
  start.set_amount_requested_pence(100);
  start.set_request_id("s");
  ASSERT_THAT(
      engine.StartCase(testing::MakeCall("svc", {"service"}, now), start),
      IsOk());
  wpb::RecordFactRequest fact;
  fact.set_name("cases/p1");
  fact.set_fact("TEST_PINGED");
  fact.set_request_id("f1");
  const Call officer = testing::MakeCall("grace", {"grants_officer"}, now);
  // The handler's own rule refuses, and nothing is written.
  EXPECT_THAT(engine.RecordFact(officer, fact),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      engine.RecordFact(testing::MakeCall("amy", {"approver"}, now), fact),
      StatusIs(absl::StatusCode::kPermissionDenied))
      << "the table's roles apply";
  fact.mutable_payload()->set_description("grace");
  fact.set_request_id("f2");
  auto pinged = engine.RecordFact(officer, fact);
  ASSERT_THAT(pinged, IsOk());
  EXPECT_EQ(pinged->state(), "PINGED");
  EXPECT_EQ(pinged->recommended_by(), "pinged:grace");
  ASSERT_EQ(pinged->next_facts_size(), 1);
  EXPECT_EQ(pinged->next_facts(0).fact(), "WITHDRAWN");
}

}  // namespace
}  // namespace grantflow::workflows
