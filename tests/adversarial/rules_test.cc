// The rules R1-R5 attacked from outside, through gRPC, by every role that
// could try: other organisations' users, funder staff signing for a
// recipient, boundary and overflowing amounts, look-alike identities, huge
// text, concurrent callers and retries. Each test prints how many attempts it
// made and how many succeeded (which must be none); every refused attempt is
// checked to have left the case as it was.
#include <atomic>
#include <cstdint>
#include <limits>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grantflow/assessment/v1/assessment.grpc.pb.h"
#include "gtest/gtest.h"
#include "platform/money.h"
#include "services/common/case_client.h"
#include "tests/adversarial/rig.h"

namespace grantflow::testing {
namespace {

using grpc::StatusCode;
using ::testing::Contains;

constexpr int64_t kMax = kMaxAmountPence;
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

wpb::FactPayload Doc(const char* sha) {
  wpb::FactPayload p;
  p.set_document_sha256(sha);
  return p;
}

// R1: no payment before an agreement executed by the recipient's own
// signatory and countersigned by funder staff, on the same document.
TEST(AdversarialTest, R1_OnlyTheRecipientsSignatoryAndFunderStaffExecute) {
  Rig rig;
  Attacks attacks("R1 (signatures, payment before execution)");
  const std::string c = rig.NewCase(5'000'000, "r1");
  auto pay_early = [&](const std::string& state) {
    const std::string etag = rig.Case(c).etag();
    for (int64_t pence : {int64_t{1}, int64_t{5'000'000}}) {
      attacks.Refused(absl::StrCat("payment of ", pence, " while ", state),
                      rig.Authorize(rig.finance, c, rig.NextId(), pence),
                      StatusCode::FAILED_PRECONDITION,
                      "AGREEMENT_NOT_EXECUTED");
    }
    EXPECT_EQ(rig.Case(c).etag(), etag) << "a refused payment wrote";
  };
  pay_early("SUBMITTED");
  // Boundary amounts before execution: malformed ones are refused as such,
  // valid ones because there is no executed agreement.
  for (int64_t pence : {int64_t{0}, kMax + 1, kInt64Max}) {
    attacks.Refused(absl::StrCat("payment of ", pence, " before execution"),
                    rig.Authorize(rig.finance, c, rig.NextId(), pence),
                    StatusCode::INVALID_ARGUMENT);
  }
  attacks.Refused("payment of the cap before execution",
                  rig.Authorize(rig.finance, c, rig.NextId(), kMax),
                  StatusCode::FAILED_PRECONDITION, "AGREEMENT_NOT_EXECUTED");
  rig.AsEveryOtherRole(attacks, "payment", {"finance_approver"},
                       [&](const std::string& token) {
                         return rig.Authorize(token, c, rig.NextId(), 100);
                       });
  // Eight finance staff at once: none gets a payment through.
  std::atomic<int> early{0};
  std::vector<std::thread> rush;
  for (int i = 0; i < 8; ++i) {
    rush.emplace_back([&, i] {
      grpc::Status s =
          rig.Authorize(rig.finance, c, absl::StrCat("rush-", i), 1'000'000);
      if (ReasonOf(s) == "AGREEMENT_NOT_EXECUTED") ++early;
    });
  }
  for (auto& t : rush) t.join();
  attacks.Raced("concurrent payments before execution", 8, early);
  rig.ToChecksPassed(c, 5'000'000);
  pay_early("PRE_AGREEMENT_CHECKS");
  ASSERT_TRUE(
      rig.ActingFact(rig.officer, c, "AGREEMENT_ISSUED", Doc(kDoc)).ok());
  pay_early("AGREEMENT_ISSUED");
  // People do not record the agreement's facts at the engine themselves:
  // they issue, sign and countersign through AgreementService, which
  // records each for them. The rest of this test attacks the engine's own
  // check, through a service acting for each would-be signer.
  for (const auto& [who, token, fact] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"the grants officer", rig.officer, "AGREEMENT_ISSUED"},
           {"the recipient's signatory", rig.kofi,
            "AGREEMENT_SIGNED_BY_RECIPIENT"},
           {"an approver", rig.approver, "AGREEMENT_EXECUTED"},
           {"an approver", rig.approver, "TERMINATED"},
           {"the grants officer", rig.officer, "GRANT_CLOSED"}}) {
    attacks.Refused(fact + " at the engine by " + who + " directly",
                    rig.Fact(token, c, fact, Doc(kDoc)),
                    StatusCode::PERMISSION_DENIED, "RECORDED_BY_SERVICE");
  }
  // A service recording them for someone without the role is refused too.
  const std::string issued_etag = rig.Case(c).etag();
  for (const auto& [who, token, fact] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"the recipient's signatory", rig.kofi, "AGREEMENT_ISSUED"},
           {"an approver", rig.approver, "AGREEMENT_ISSUED"},
           {"a grants officer", rig.officer, "TERMINATED"},
           {"an approver", rig.approver, "GRANT_CLOSED"},
           {"finance", rig.finance, "MONITORING_REPORT_ACCEPTED"}}) {
    attacks.Refused(fact + " recorded by a service for " + who,
                    rig.ActingFact(token, c, fact, Doc(kDoc)),
                    StatusCode::PERMISSION_DENIED, "PERSON_LACKS_ROLE");
  }
  EXPECT_EQ(rig.Case(c).etag(), issued_etag);
  // Every role but the organisation's signatory role is refused outright.
  rig.AsEveryOtherRole(attacks, "recipient signature", {"signatory"},
                       [&](const std::string& token) {
                         return rig.ActingFact(token, c,
                                               "AGREEMENT_SIGNED_BY_RECIPIENT",
                                               Doc(kDoc));
                       });

  // Everyone who is not the recipient's own signatory tries to sign for it.
  const std::string etag = rig.Case(c).etag();
  struct Signer {
    std::string who, token, reason;
    StatusCode code;
  };
  TokenMinter& m = rig.minter();
  const std::vector<Signer> impostors = {
      {"another organisation's signatory", rig.tom, "NOT_RECIPIENT_SIGNATORY",
       StatusCode::PERMISSION_DENIED},
      {"a signatory of no organisation", m.Token("mallory", {"signatory"}),
       "NOT_RECIPIENT_SIGNATORY", StatusCode::PERMISSION_DENIED},
      {"a member who is not an authorised signatory",
       m.Token("amira", {"signatory"}, kHackney), "NOT_RECIPIENT_SIGNATORY",
       StatusCode::PERMISSION_DENIED},
      {"the signatory holding funder roles too",
       m.Token("kofi", {"signatory", "approver"}, kHackney),
       "NOT_RECIPIENT_SIGNATORY", StatusCode::PERMISSION_DENIED},
      {"a grants officer", rig.officer, "", StatusCode::PERMISSION_DENIED},
      {"an approver", rig.approver, "", StatusCode::PERMISSION_DENIED},
      {"an admin", rig.admin, "", StatusCode::PERMISSION_DENIED},
      {"the applicant", rig.amira, "", StatusCode::PERMISSION_DENIED},
      {"grantflowd's service identity", m.Token("svc", {"service"}), "",
       StatusCode::PERMISSION_DENIED},
  };
  for (const Signer& s : impostors) {
    attacks.Refused(
        "recipient signature by " + s.who,
        rig.ActingFact(s.token, c, "AGREEMENT_SIGNED_BY_RECIPIENT", Doc(kDoc)),
        s.code, s.reason);
  }
  attacks.Refused("the right signatory on another document",
                  rig.ActingFact(rig.kofi, c, "AGREEMENT_SIGNED_BY_RECIPIENT",
                                 Doc(kOtherDoc)),
                  StatusCode::FAILED_PRECONDITION, "DOCUMENT_MISMATCH");
  attacks.Refused(
      "countersignature before the recipient signed",
      rig.ActingFact(rig.approver, c, "AGREEMENT_EXECUTED", Doc(kDoc)),
      StatusCode::FAILED_PRECONDITION, "INVALID_TRANSITION");
  EXPECT_EQ(rig.Case(c).etag(), etag) << "a refused signature wrote";

  // The organisation's signatory signs, however the IdP spells the name.
  ASSERT_TRUE(rig.ActingFact(m.Token("Kofi", {"signatory"}, kHackney), c,
                             "AGREEMENT_SIGNED_BY_RECIPIENT", Doc(kDoc))
                  .ok());
  EXPECT_EQ(rig.Case(c).agreement().recipient().signer(), "kofi");
  pay_early("SIGNED_BY_RECIPIENT");

  // Now everyone who is not funder staff, or is the same person, tries to
  // countersign.
  const std::string signed_etag = rig.Case(c).etag();
  rig.AsEveryOtherRole(
      attacks, "countersignature", {"approver"}, [&](const std::string& token) {
        return rig.ActingFact(token, c, "AGREEMENT_EXECUTED", Doc(kDoc));
      });
  auto approver_of = [&](const std::string& user,
                         std::vector<std::string> roles,
                         const std::string& org) {
    return m.Token(user, std::move(roles), org);
  };
  const std::vector<Signer> countersigners = {
      {"the recipient's signatory as an approver of its organisation",
       approver_of("kofi", {"approver"}, kHackney), "NOT_FUNDER_STAFF",
       StatusCode::PERMISSION_DENIED},
      {"the recipient's signatory in capitals, as funder staff",
       approver_of("KOFI", {"approver"}, ""), "SEPARATION_OF_DUTIES",
       StatusCode::FAILED_PRECONDITION},
      {"another organisation's user with the approver role",
       approver_of("tom", {"approver"}, kPeckham), "NOT_FUNDER_STAFF",
       StatusCode::PERMISSION_DENIED},
      {"an approver who is also an applicant",
       approver_of("eve", {"approver", "applicant"}, ""), "NOT_FUNDER_STAFF",
       StatusCode::PERMISSION_DENIED},
      {"the recipient's signatory", rig.kofi, "",
       StatusCode::PERMISSION_DENIED},
      {"a grants officer", rig.officer, "", StatusCode::PERMISSION_DENIED},
      {"finance", rig.finance, "", StatusCode::PERMISSION_DENIED},
  };
  for (const Signer& s : countersigners) {
    attacks.Refused("countersignature by " + s.who,
                    rig.ActingFact(s.token, c, "AGREEMENT_EXECUTED", Doc(kDoc)),
                    s.code, s.reason);
  }
  attacks.Refused(
      "countersignature on another document",
      rig.ActingFact(rig.approver, c, "AGREEMENT_EXECUTED", Doc(kOtherDoc)),
      StatusCode::FAILED_PRECONDITION, "DOCUMENT_MISMATCH");
  EXPECT_EQ(rig.Case(c).etag(), signed_etag);
  pay_early("SIGNED_BY_RECIPIENT");

  // Funder staff countersign; only now is a payment possible.
  ASSERT_TRUE(
      rig.ActingFact(rig.approver, c, "AGREEMENT_EXECUTED", Doc(kDoc)).ok());
  EXPECT_TRUE(rig.Authorize(rig.finance, c, "first", 2'500'000).ok());
  EXPECT_GT(attacks.made(), 60);
}

// R2: payments never exceed the award, whatever the amounts and however
// many callers race; no total ever goes negative.
TEST(AdversarialTest, R2_PaymentsNeverExceedTheAwardOrOverflow) {
  Rig rig;
  Attacks attacks("R2 (payments within the award, overflow-safe)");
  const std::string c = rig.NewCase(2'000'000, "r2");
  rig.ToChecksPassed(c, 2'000'000);
  rig.ToExecuted(c);
  const std::string etag = rig.Case(c).etag();
  for (int64_t bad :
       {int64_t{0}, int64_t{-1}, kInt64Min, kInt64Max, kMax + 1, -kMax}) {
    attacks.Refused(absl::StrCat("payment of ", bad, " pence"),
                    rig.Authorize(rig.finance, c, rig.NextId(), bad),
                    StatusCode::INVALID_ARGUMENT);
  }
  rig.AsEveryOtherRole(attacks, "payment", {"finance_approver"},
                       [&](const std::string& token) {
                         return rig.Authorize(token, c, rig.NextId(), 1);
                       });
  attacks.Refused("the award plus a penny",
                  rig.Authorize(rig.finance, c, rig.NextId(), 2'000'001),
                  StatusCode::FAILED_PRECONDITION, "EXCEEDS_AWARD");
  attacks.Refused("the cap, far above the award",
                  rig.Authorize(rig.finance, c, rig.NextId(), kMax),
                  StatusCode::FAILED_PRECONDITION, "EXCEEDS_AWARD");
  EXPECT_EQ(rig.Case(c).etag(), etag);
  ASSERT_TRUE(rig.Authorize(rig.finance, c, "p1", 1'500'000).ok());
  // Amounts that would wrap paid + pending + amount past int64.
  for (int64_t wrap :
       {kInt64Max - 1'000'000, kInt64Max - 1'499'999, kInt64Max}) {
    attacks.Refused(absl::StrCat("a wrapping payment of ", wrap),
                    rig.Authorize(rig.finance, c, rig.NextId(), wrap),
                    StatusCode::INVALID_ARGUMENT);
  }
  attacks.Refused("the remainder plus a penny",
                  rig.Authorize(rig.finance, c, rig.NextId(), 500'001),
                  StatusCode::FAILED_PRECONDITION, "EXCEEDS_AWARD");
  // A retry of an authorisation answers again and adds nothing.
  const std::string service = rig.minter().Token("payments", {"service"});
  wpb::AuthorizePaymentRequest retry;
  retry.set_name(c);
  retry.set_payment_id("p2");
  retry.set_amount_pence(100'000);
  retry.set_request_id("retried");
  retry.set_requested_by("finn");
  retry.set_on_behalf_of("fin");
  *retry.mutable_acting() = ActingOf(rig.minter().Who(rig.finance));
  wpb::Payment first, second;
  ASSERT_TRUE(rig.engine()
                  .AuthorizePayment(rig.Ctx(service).get(), retry, &first)
                  .ok());
  ASSERT_TRUE(rig.engine()
                  .AuthorizePayment(rig.Ctx(service).get(), retry, &second)
                  .ok());
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  EXPECT_EQ(rig.Case(c).pending_pence(), 1'600'000);

  // R5 at the engine: money moves only through PaymentService, for a
  // finance approver who did not request it, within their "pay" limit.
  const std::string before = rig.Case(c).etag();
  wpb::AuthorizePaymentRequest direct = retry;
  direct.set_payment_id("direct");
  direct.set_request_id(rig.NextId());
  direct.clear_on_behalf_of();
  direct.clear_acting();
  wpb::Payment ignored;
  attacks.Refused("a finance approver asking the engine directly",
                  rig.engine().AuthorizePayment(rig.Ctx(rig.finance).get(),
                                                direct, &ignored),
                  StatusCode::PERMISSION_DENIED);
  attacks.Refused(
      "a service authorising for no one",
      rig.engine().AuthorizePayment(rig.Ctx(service).get(), direct, &ignored),
      StatusCode::PERMISSION_DENIED);
  wpb::AuthorizePaymentRequest own = retry;
  own.set_payment_id("own");
  own.set_request_id(rig.NextId());
  own.set_requested_by("FIN");  // the approver, in another case
  attacks.Refused(
      "a payment approved by its requester",
      rig.engine().AuthorizePayment(rig.Ctx(service).get(), own, &ignored),
      StatusCode::FAILED_PRECONDITION, "SEPARATION_OF_DUTIES");
  own.set_requested_by("");
  attacks.Refused(
      "a payment with no requester",
      rig.engine().AuthorizePayment(rig.Ctx(service).get(), own, &ignored),
      StatusCode::INVALID_ARGUMENT);
  wpb::AuthorizePaymentRequest over = retry;
  over.set_payment_id("over");
  over.set_request_id(rig.NextId());
  over.set_on_behalf_of("penny");
  over.mutable_acting()->clear_limits_pence();
  (*over.mutable_acting()->mutable_limits_pence())["pay"] = 99'999;
  attacks.Refused(
      "a payment above the approver's limit",
      rig.engine().AuthorizePayment(rig.Ctx(service).get(), over, &ignored),
      StatusCode::FAILED_PRECONDITION, "DELEGATED_LIMIT_EXCEEDED");
  (*over.mutable_acting()->mutable_limits_pence())["approve"] = kMax;
  (*over.mutable_acting()->mutable_limits_pence())["pay"] = 0;
  attacks.Refused(
      "a payment on an award-approval limit",
      rig.engine().AuthorizePayment(rig.Ctx(service).get(), over, &ignored),
      StatusCode::FAILED_PRECONDITION, "DELEGATED_LIMIT_EXCEEDED");
  over.mutable_acting()->clear_roles();
  over.mutable_acting()->add_roles("finance_officer");
  (*over.mutable_acting()->mutable_limits_pence())["pay"] = kMax;
  attacks.Refused(
      "a payment approved by a finance officer",
      rig.engine().AuthorizePayment(rig.Ctx(service).get(), over, &ignored),
      StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(rig.Case(c).etag(), before);

  // Sixteen callers race for the last £4,000 in £1,000 pieces: four win.
  std::atomic<int> won{0}, lost{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < 16; ++i) {
    racers.emplace_back([&, i] {
      grpc::Status s =
          rig.Authorize(rig.finance, c, absl::StrCat("race-", i), 100'000);
      if (s.ok()) {
        ++won;
      } else if (ReasonOf(s) == "EXCEEDS_AWARD") {
        ++lost;
      }
    });
  }
  for (auto& t : racers) t.join();
  EXPECT_EQ(won, 4);
  EXPECT_EQ(lost, 12);
  attacks.Raced("racing payments past the award", 12, lost);
  wpb::Case after = rig.Case(c);
  EXPECT_EQ(after.pending_pence(), 2'000'000);
  EXPECT_EQ(after.paid_pence(), 0);
  EXPECT_LE(after.paid_pence() + after.pending_pence(), after.awarded_pence());

  // Instalments and allocations that would overflow are refused too.
  const std::string c2 = rig.NewCase(2'000'000, "r2b");
  wpb::FactPayload overflowing = rig.Award(2'000'000);
  overflowing.mutable_allocations(0)->set_amount_pence(kInt64Max);
  auto* second_line = overflowing.add_allocations();
  second_line->set_budget_line(kLineB);
  second_line->set_amount_pence(2'000'001 - kInt64Max);
  rig.ToRecommended(c2);
  attacks.Refused("allocations that wrap to the award",
                  rig.Decide(rig.approver, c2, overflowing),
                  StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(rig.Decide(rig.approver, c2, rig.Award(2'000'000)).ok());
  ASSERT_TRUE(rig.ServiceFact("grace", c2, "CHECKS_STARTED").ok());
  ASSERT_TRUE(rig.ServiceFact("grace", c2, "DUE_DILIGENCE_PASSED").ok());
  ASSERT_TRUE(rig.ServiceFact("sam", c2, "SAFEGUARDING_PASSED").ok());
  ASSERT_TRUE(
      rig.ActingFact(rig.officer, c2, "AGREEMENT_ISSUED", Doc(kDoc)).ok());
  ASSERT_TRUE(
      rig.ActingFact(rig.kofi, c2, "AGREEMENT_SIGNED_BY_RECIPIENT", Doc(kDoc))
          .ok());
  wpb::FactPayload schedule = Doc(kDoc);
  for (int64_t pence : {kInt64Max, int64_t{2}}) {
    auto* i = schedule.add_schedule();
    i->set_payment_id(absl::StrCat("i", pence % 7));
    i->set_amount_pence(pence);
  }
  attacks.Refused(
      "a schedule whose sum wraps",
      rig.ActingFact(rig.approver, c2, "AGREEMENT_EXECUTED", schedule),
      StatusCode::INVALID_ARGUMENT);
  wpb::LedgerLine line = rig.Ledger(kLineA);
  EXPECT_GE(line.reserved_pence(), 0);
  EXPECT_GE(line.committed_pence(), 0);
  EXPECT_GE(line.paid_pence(), 0);
  EXPECT_GE(line.available_pence(), 0);
}

// R3: awards within the budget line's ceiling, the round's limits, the amount
// requested and the lines the round draws on; ceilings never lowered below
// use; the ledger's ceilings changed only through ProgrammeService.
TEST(AdversarialTest, R3_AwardsStayWithinCeilingsRoundsAndRequests) {
  Rig rig;
  Attacks attacks("R3 (ceilings, round limits, requests)");
  // A line the round does not draw on, and another fund's line.
  ppb::CreateBudgetLineRequest extra;
  extra.set_parent("funds/lff");
  extra.set_budget_line_id("grants-c");
  *extra.mutable_budget_line() = ValidBudgetLine(50'000'000);
  extra.set_request_id("grants-c");
  ppb::BudgetLine created;
  ASSERT_TRUE(rig.programmes()
                  .CreateBudgetLine(rig.Ctx(rig.admin).get(), extra, &created)
                  .ok());

  const std::string c = rig.NewCase(5'000'000, "r3");
  rig.ToRecommended(c);
  const std::string etag = rig.Case(c).etag();
  auto award = [&](const std::string& what, wpb::FactPayload p,
                   const std::string& field) {
    grpc::Status s = rig.Decide(rig.approver, c, p);
    attacks.Refused(what, s, StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(FieldsOf(s), Contains(field)) << what;
  };
  rig.AsEveryOtherRole(attacks, "award approval", {"approver"},
                       [&](const std::string& token) {
                         return rig.Decide(token, c, rig.Award(1'000'000));
                       });
  award("an award above the amount requested", rig.Award(5'000'001),
        "amount_pence");
  award("an award of nothing", rig.Award(0), "amount_pence");
  award("an award past the cap", rig.Award(kMax + 1), "amount_pence");
  award("an award on a line the round does not draw on",
        rig.Award(2'000'000, "funds/lff/budgetLines/grants-c"),
        "allocations[0].budget_line");
  award("an award on another fund's line",
        rig.Award(2'000'000, "funds/esol/budgetLines/grants-a"),
        "allocations[0].budget_line");
  award("an award below the round's minimum", rig.Award(999'999),
        "amount_pence");
  // The round's maximum is read when the award is approved, not remembered
  // from the submission: lower it, and the same award is refused.
  ppb::UpdateRoundRequest lower;
  lower.mutable_round()->set_name(kOpenRound);
  lower.mutable_round()->set_max_award_pence(4'000'000);
  lower.mutable_update_mask()->add_paths("max_award_pence");
  lower.set_request_id("lower-max");
  ppb::Round round;
  ASSERT_TRUE(rig.programmes()
                  .UpdateRound(rig.Ctx(rig.officer).get(), lower, &round)
                  .ok());
  award("an award above the round's (lowered) maximum", rig.Award(5'000'000),
        "amount_pence");
  EXPECT_EQ(rig.Case(c).etag(), etag) << "a refused award wrote";
  ASSERT_TRUE(rig.Decide(rig.approver, c, rig.Award(4'000'000)).ok());

  // The ceiling cannot go below what is reserved, and the refusal changes
  // neither ProgrammeService nor the ledger.
  const ppb::BudgetLine before = rig.Line(kLineA);
  for (int64_t ceiling : {int64_t{3'999'999}, int64_t{1}}) {
    ppb::UpdateBudgetLineRequest up;
    up.mutable_budget_line()->set_name(kLineA);
    up.mutable_budget_line()->set_ceiling_pence(ceiling);
    up.mutable_update_mask()->add_paths("ceiling_pence");
    up.set_request_id(rig.NextId());
    ppb::BudgetLine out;
    attacks.Refused(
        absl::StrCat("a ceiling of ", ceiling, " under £40,000 reserved"),
        rig.programmes().UpdateBudgetLine(rig.Ctx(rig.officer).get(), up, &out),
        StatusCode::FAILED_PRECONDITION, "CEILING_BELOW_USE");
  }
  rig.AsEveryOtherRole(attacks, "a ceiling change", {"grants_officer", "admin"},
                       [&](const std::string& token) {
                         ppb::UpdateBudgetLineRequest up;
                         up.mutable_budget_line()->set_name(kLineA);
                         up.mutable_budget_line()->set_ceiling_pence(kMax);
                         up.mutable_update_mask()->add_paths("ceiling_pence");
                         up.set_request_id(rig.NextId());
                         ppb::BudgetLine out;
                         return rig.programmes().UpdateBudgetLine(
                             rig.Ctx(token).get(), up, &out);
                       });
  EXPECT_EQ(rig.Line(kLineA).etag(), before.etag());
  EXPECT_EQ(rig.Ledger(kLineA).ceiling_pence(), 21'500'000);
  // Exactly the amount in use is allowed; both sides then agree.
  ppb::UpdateBudgetLineRequest exact;
  exact.mutable_budget_line()->set_name(kLineA);
  exact.mutable_budget_line()->set_ceiling_pence(4'000'000);
  exact.mutable_update_mask()->add_paths("ceiling_pence");
  exact.set_request_id("exact");
  ppb::BudgetLine lowered;
  ASSERT_TRUE(rig.programmes()
                  .UpdateBudgetLine(rig.Ctx(rig.officer).get(), exact, &lowered)
                  .ok());
  EXPECT_EQ(rig.Ledger(kLineA).ceiling_pence(), 4'000'000);
  EXPECT_EQ(rig.Ledger(kLineA).source_generation(),
            lowered.ledger_generation());

  // Nobody but ProgrammeService registers ceilings with the ledger.
  for (const std::string& token : {rig.admin, rig.officer, rig.approver}) {
    wpb::RegisterBudgetLineRequest reg;
    reg.set_budget_line(kLineA);
    reg.set_ceiling_pence(kMax);
    reg.set_generation(1'000'000);
    reg.set_request_id(rig.NextId());
    wpb::LedgerLine out;
    attacks.Refused(
        "a ceiling registered with the ledger directly",
        rig.engine().RegisterBudgetLine(rig.Ctx(token).get(), reg, &out),
        StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(rig.Ledger(kLineA).ceiling_pence(), 4'000'000);

  // Twelve approvers race for grants-b's £215,000 in £20,000 awards: ten win.
  std::vector<std::string> cases;
  for (int i = 0; i < 12; ++i) {
    cases.push_back(rig.NewCase(2'000'000, absl::StrCat("race-", i)));
    rig.ToRecommended(cases.back());
  }
  std::atomic<int> won{0}, over{0};
  std::vector<std::thread> racers;
  for (const std::string& rc : cases) {
    racers.emplace_back([&, rc] {
      grpc::Status s =
          rig.Decide(rig.approver, rc, rig.Award(2'000'000, kLineB));
      if (s.ok()) {
        ++won;
      } else if (ReasonOf(s) == "BUDGET_EXCEEDED") {
        ++over;
      }
    });
  }
  for (auto& t : racers) t.join();
  EXPECT_EQ(won, 10);
  EXPECT_EQ(over, 2);
  attacks.Raced("racing awards past the ceiling", 2, over);
  wpb::LedgerLine b = rig.Ledger(kLineB);
  EXPECT_EQ(b.reserved_pence(), 20'000'000);
  EXPECT_LE(b.reserved_pence() + b.committed_pence(), b.ceiling_pence());
}

// R4: checks before the agreement; open conditions block payment.
TEST(AdversarialTest, R4_ChecksGateTheAgreementAndConditionsBlockPayment) {
  Rig rig;
  Attacks attacks("R4 (checks and conditions)");
  const std::string c = rig.NewCase(3'000'000, "r4");
  rig.ToRecommended(c);
  ASSERT_TRUE(rig.Decide(rig.approver, c, rig.Award(3'000'000)).ok());
  // Due diligence's facts come from DueDiligenceService only: no person,
  // whatever their role, records them at the engine.
  for (const char* f :
       {"CHECKS_STARTED", "DUE_DILIGENCE_PASSED", "DUE_DILIGENCE_FAILED"}) {
    rig.AsEveryOtherRole(
        attacks, f, {"service"},
        [&](const std::string& token) { return rig.Fact(token, c, f); });
  }
  ASSERT_TRUE(rig.ServiceFact("grace", c, "CHECKS_STARTED").ok());
  // So do safeguarding's, from SafeguardingService.
  for (const char* f : {"SAFEGUARDING_PASSED", "SAFEGUARDING_FAILED",
                        "SAFEGUARDING_REQUIRED"}) {
    rig.AsEveryOtherRole(
        attacks, f, {"service"},
        [&](const std::string& token) { return rig.Fact(token, c, f); });
  }
  // AgreementService issues for a grants officer, and for no one else.
  rig.AsEveryOtherRole(attacks, "agreement issued", {"grants_officer"},
                       [&](const std::string& token) {
                         return rig.ActingFact(token, c, "AGREEMENT_ISSUED",
                                               Doc(kDoc));
                       });
  attacks.Refused("issue before due diligence",
                  rig.ActingFact(rig.officer, c, "AGREEMENT_ISSUED", Doc(kDoc)),
                  StatusCode::FAILED_PRECONDITION, "CHECKS_INCOMPLETE");
  ASSERT_TRUE(rig.ServiceFact("grace", c, "DUE_DILIGENCE_PASSED").ok());
  attacks.Refused(
      "issue before safeguarding (the project works with "
      "children)",
      rig.ActingFact(rig.officer, c, "AGREEMENT_ISSUED", Doc(kDoc)),
      StatusCode::FAILED_PRECONDITION, "CHECKS_INCOMPLETE");
  ASSERT_TRUE(rig.ServiceFact("sam", c, "SAFEGUARDING_PASSED").ok());
  wpb::FactPayload cond;
  cond.set_condition_id("bank-letter");
  cond.set_description("a bank letter confirming the account");
  cond.set_condition_source("DUE_DILIGENCE");
  rig.AsEveryOtherRole(attacks, "condition raised", {"service"},
                       [&](const std::string& token) {
                         return rig.Fact(token, c, "CONDITION_RAISED", cond);
                       });
  ASSERT_TRUE(rig.ServiceFact("grace", c, "CONDITION_RAISED", "", cond).ok());
  // A condition does not hold up the agreement; it holds up the money.
  ASSERT_TRUE(
      rig.ActingFact(rig.officer, c, "AGREEMENT_ISSUED", Doc(kDoc)).ok());
  ASSERT_TRUE(
      rig.ActingFact(rig.kofi, c, "AGREEMENT_SIGNED_BY_RECIPIENT", Doc(kDoc))
          .ok());
  ASSERT_TRUE(
      rig.ActingFact(rig.approver, c, "AGREEMENT_EXECUTED", Doc(kDoc)).ok());
  attacks.Refused("payment with a pre-agreement condition open",
                  rig.Authorize(rig.finance, c, "p0", 1'000'000),
                  StatusCode::FAILED_PRECONDITION, "CONDITIONS_OPEN");
  ASSERT_TRUE(rig.ServiceFact("grace", c, "CONDITION_CLEARED", "", cond).ok());
  cond.set_condition_id("insurance");
  cond.set_description("public liability insurance");
  ASSERT_TRUE(rig.ServiceFact("grace", c, "CONDITION_RAISED", "", cond).ok());
  attacks.Refused("payment with a condition open",
                  rig.Authorize(rig.finance, c, "p", 1'000'000),
                  StatusCode::FAILED_PRECONDITION, "CONDITIONS_OPEN");
  rig.AsEveryOtherRole(attacks, "condition cleared",
                       {"service", "safeguarding_officer"},
                       [&](const std::string& token) {
                         return rig.Fact(token, c, "CONDITION_CLEARED", cond);
                       });
  // Several payments at once while the condition is open: none gets through.
  std::atomic<int> blocked{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < 6; ++i) {
    racers.emplace_back([&, i] {
      grpc::Status s =
          rig.Authorize(rig.finance, c, absl::StrCat("cond-", i), 100'000);
      if (ReasonOf(s) == "CONDITIONS_OPEN") ++blocked;
    });
  }
  for (auto& t : racers) t.join();
  attacks.Raced("concurrent payments with a condition open", 6, blocked);
}

// R5: whoever recommends cannot approve (however the name is spelt);
// approvers act within their delegated limit.
TEST(AdversarialTest, R5_SeparationOfDutiesAndDelegatedLimits) {
  Rig rig;
  Attacks attacks("R5 (separation of duties, delegated limits)");
  const std::string c = rig.NewCase(5'000'000, "r5");
  for (const char* f : {"ELIGIBILITY_CHECK_STARTED", "ELIGIBLE", "SHORTLISTED",
                        "INTERVIEW_SCHEDULED"}) {
    ASSERT_TRUE(rig.ServiceFact("grace", c, f).ok());
  }
  ASSERT_TRUE(rig.ServiceFact("Grace", c, "RECOMMENDED").ok());
  for (const char* spelling : {"grace", "GRACE", "gRaCe"}) {
    attacks.Refused(
        absl::StrCat("approval by the recommender as '", spelling, "'"),
        rig.Decide(rig.minter().Approver(spelling, kMax), c,
                   rig.Award(5'000'000)),
        StatusCode::FAILED_PRECONDITION, "SEPARATION_OF_DUTIES");
  }
  attacks.Refused("approval above the approver's limit",
                  rig.Decide(rig.small_approver, c, rig.Award(1'000'001)),
                  StatusCode::FAILED_PRECONDITION, "DELEGATED_LIMIT_EXCEEDED");
  attacks.Refused("approval by an approver with no limit",
                  rig.Decide(rig.minter().Token("nolimit", {"approver"}), c,
                             rig.Award(1'000'000)),
                  StatusCode::FAILED_PRECONDITION, "DELEGATED_LIMIT_EXCEEDED");
  rig.AsEveryOtherRole(attacks, "award approval", {"approver"},
                       [&](const std::string& token) {
                         return rig.Decide(token, c, rig.Award(1'000'000));
                       });
  // Going round AwardService to the engine: no person records a decision
  // there, whatever their role, and the service identity has no delegated
  // authority of its own.
  rig.AsEveryOtherRole(attacks, "award approval at the engine", {"service"},
                       [&](const std::string& token) {
                         return rig.Fact(token, c, "AWARD_APPROVED",
                                         rig.Award(1'000'000));
                       });
  attacks.Refused("approval by the service identity for itself",
                  rig.Fact(rig.minter().Token("svc", {"service"}), c,
                           "AWARD_APPROVED", rig.Award(1'000'000)),
                  StatusCode::FAILED_PRECONDITION, "DELEGATED_LIMIT_EXCEEDED");
  // Limits at their boundaries: a penny short is refused, exactly is not.
  for (int64_t limit : {int64_t{0}, int64_t{1}, int64_t{999'999}}) {
    attacks.Refused(
        absl::StrCat("approval of £10,000 with a limit of ", limit),
        rig.Decide(rig.minter().Approver(absl::StrCat("lim", limit), limit), c,
                   rig.Award(1'000'000)),
        StatusCode::FAILED_PRECONDITION, "DELEGATED_LIMIT_EXCEEDED");
  }
  // At exactly the limit, an approver may.
  EXPECT_TRUE(rig.Decide(rig.small_approver, c, rig.Award(1'000'000)).ok());
}

// An application and its case never disagree: withdrawal asks the engine,
// which refuses it once the agreement is executed and releases the
// reservation when it allows it.
TEST(AdversarialTest, WithdrawalFollowsTheEngine) {
  Rig rig;
  Attacks attacks("withdrawal (application and case agree)");
  auto withdraw = [&](const std::string& token, const std::string& c) {
    apb::WithdrawApplicationRequest req;
    req.set_name("applications/" + c.substr(6));
    req.set_reason("we can no longer run the project");
    req.set_request_id(rig.NextId());
    apb::Application out;
    return rig.applications().WithdrawApplication(rig.Ctx(token).get(), req,
                                                  &out);
  };
  auto app_state = [&](const std::string& c) {
    apb::GetApplicationRequest req;
    req.set_name("applications/" + c.substr(6));
    apb::Application out;
    EXPECT_TRUE(rig.applications()
                    .GetApplication(rig.Ctx(rig.admin).get(), req, &out)
                    .ok());
    return out.state();
  };
  const std::string executed = rig.NewCase(2'000'000, "executed");
  rig.ToChecksPassed(executed, 2'000'000);
  rig.ToExecuted(executed);
  ASSERT_TRUE(rig.Authorize(rig.finance, executed, "p1", 1'000'000).ok());
  for (const std::string& who : {rig.amira, rig.officer}) {
    attacks.Refused("withdrawal of an executed grant", withdraw(who, executed),
                    StatusCode::FAILED_PRECONDITION, "WITHDRAWAL_NOT_ALLOWED");
  }
  EXPECT_EQ(app_state(executed), apb::Application::SUBMITTED);
  EXPECT_EQ(rig.Case(executed).state(), "EXECUTED");
  attacks.Refused("withdrawal by another organisation's user",
                  withdraw(rig.tom, executed), StatusCode::PERMISSION_DENIED);

  // After approval, withdrawal releases the reservation in the same step.
  const std::string approved = rig.NewCase(3'000'000, "approved");
  rig.ToChecksPassed(approved, 3'000'000);
  const int64_t reserved = rig.Ledger(kLineA).reserved_pence();
  ASSERT_TRUE(withdraw(rig.amira, approved).ok());
  EXPECT_EQ(rig.Case(approved).state(), "WITHDRAWN");
  EXPECT_EQ(rig.Ledger(kLineA).reserved_pence(), reserved - 3'000'000);
  EXPECT_EQ(app_state(approved), apb::Application::WITHDRAWN);

  // A withdrawal recorded at the engine reaches the application.
  const std::string at_engine = rig.NewCase(2'000'000, "at-engine");
  ASSERT_TRUE(rig.Fact(rig.officer, at_engine, "WITHDRAWN", {},
                       "the group asked us by phone")
                  .ok());
  rig.Background();
  EXPECT_EQ(app_state(at_engine), apb::Application::WITHDRAWN);
}

// R6: an assessor declares before seeing the bid; an unassigned or
// conflicted assessor neither reads nor scores it (however the name is
// spelt); nobody scores as someone else; a submitted score is final.
TEST(AdversarialTest, R6_ConflictsOfInterestHoldAgainstEveryAssessor) {
  namespace spb = ::grantflow::assessment::v1;
  Rig rig;
  Attacks attacks("R6 (conflicts of interest, assessors' scores)");
  const std::string c = rig.NewCase(2'500'000, "r6");  // opens its assessment
  const std::string a = "assessments/" + c.substr(6);
  auto stub = spb::AssessmentService::NewStub(rig.channel());
  TokenMinter& m = rig.minter();
  const std::string sam = m.Token("sam", {"assessor"});
  const std::string tom = m.Token("tom", {"assessor"});
  const std::string uma = m.Token("uma", {"assessor"});
  spb::Assessment out;
  spb::ScoreSheet sheet;
  int n = 0;
  auto id = [&] { return absl::StrCat("r6-", ++n); };

  spb::ScreenApplicationRequest screen;
  screen.set_name(a);
  screen.set_decision(spb::Screening::ELIGIBLE);
  screen.set_request_id(id());
  ASSERT_TRUE(
      stub->ScreenApplication(rig.Ctx(rig.officer).get(), screen, &out).ok());
  spb::AssignAssessorsRequest assign;
  assign.set_name(a);
  assign.set_stage(spb::WRITTEN);
  assign.add_assessors("sam");
  assign.add_assessors("tom");
  assign.set_request_id(id());
  ASSERT_TRUE(
      stub->AssignAssessors(rig.Ctx(rig.officer).get(), assign, &out).ok());

  auto get = [&](const std::string& token) {
    spb::GetAssessmentRequest req;
    req.set_name(a);
    return stub->GetAssessment(rig.Ctx(token).get(), req, &out);
  };
  auto save = [&](const std::string& token, const std::string& who, int score) {
    spb::SaveScoresRequest req;
    req.set_name(a + "/scoreSheets/written." + who);
    for (const char* crit : {"bringing-together", "safeguarding"}) {
      auto* cs = req.add_scores();
      cs->set_criterion(crit);
      cs->set_score(score);
    }
    req.set_request_id(id());
    return stub->SaveScores(rig.Ctx(token).get(), req, &sheet);
  };
  auto read_sheet = [&](const std::string& token, const std::string& who) {
    spb::GetScoreSheetRequest req;
    req.set_name(a + "/scoreSheets/written." + who);
    return stub->GetScoreSheet(rig.Ctx(token).get(), req, &sheet);
  };
  auto declare = [&](const std::string& token, spb::Declaration d) {
    spb::DeclareInterestRequest req;
    req.set_name(a);
    req.set_stage(spb::WRITTEN);
    req.set_declaration(d);
    req.set_conflict_reason(d == spb::CONFLICT ? "I am its treasurer" : "");
    req.set_request_id(id());
    return stub->DeclareInterest(rig.Ctx(token).get(), req, &out);
  };

  // Before declaring: the title only, and no scoring.
  ASSERT_TRUE(get(sam).ok());
  EXPECT_TRUE(out.bid().summary().empty()) << "the bid leaked before R6";
  attacks.Refused("scoring before declaring", save(sam, "sam", 3),
                  StatusCode::FAILED_PRECONDITION, "NOT_DECLARED");
  attacks.Refused("reading one's sheet before declaring",
                  read_sheet(sam, "sam"), StatusCode::FAILED_PRECONDITION,
                  "NOT_DECLARED");
  // Not assigned.
  attacks.Refused("reading a bid not assigned", get(uma),
                  StatusCode::PERMISSION_DENIED, "NOT_ASSIGNED");
  attacks.Refused("scoring a bid not assigned", save(uma, "uma", 3),
                  StatusCode::PERMISSION_DENIED, "NOT_ASSIGNED");
  attacks.Refused("declaring on a bid not assigned",
                  declare(uma, spb::NO_CONFLICT), StatusCode::PERMISSION_DENIED,
                  "NOT_ASSIGNED");
  // Conflicted, then every way back in.
  ASSERT_TRUE(declare(tom, spb::CONFLICT).ok());
  for (std::string spelling : {"tom", "TOM", "Tom"}) {
    const std::string t = m.Token(spelling, {"assessor"});
    attacks.Refused("reading after a conflict as '" + spelling + "'", get(t),
                    StatusCode::PERMISSION_DENIED, "CONFLICT_DECLARED");
    attacks.Refused("scoring after a conflict as '" + spelling + "'",
                    save(t, "tom", 3), StatusCode::PERMISSION_DENIED,
                    "CONFLICT_DECLARED");
  }
  attacks.Refused("withdrawing a conflict", declare(tom, spb::NO_CONFLICT),
                  StatusCode::FAILED_PRECONDITION, "ALREADY_DECLARED");
  // Someone else's sheet; people who are not assessors.
  ASSERT_TRUE(declare(sam, spb::NO_CONFLICT).ok());
  attacks.Refused("scoring as another assessor", save(tom, "sam", 5),
                  StatusCode::PERMISSION_DENIED);
  attacks.Refused("a grants officer scoring", save(rig.officer, "sam", 5),
                  StatusCode::PERMISSION_DENIED);
  attacks.Refused("reading another assessor's sheet", read_sheet(uma, "sam"),
                  StatusCode::PERMISSION_DENIED);
  attacks.Refused("the applicant reading the assessment", get(rig.amira),
                  StatusCode::PERMISSION_DENIED);
  attacks.Refused("a score above the criterion's maximum", save(sam, "sam", 6),
                  StatusCode::INVALID_ARGUMENT);
  attacks.Refused("a negative score", save(sam, "sam", -1),
                  StatusCode::INVALID_ARGUMENT);
  // Submitted once, even when eight submissions race.
  ASSERT_TRUE(save(sam, "sam", 4).ok());
  std::atomic<int> refused{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < 8; ++i) {
    racers.emplace_back([&, i] {
      spb::SubmitScoresRequest req;
      req.set_name(a + "/scoreSheets/written.sam");
      req.set_request_id(absl::StrCat("race-", i));
      spb::ScoreSheet s;
      if (!stub->SubmitScores(rig.Ctx(sam).get(), req, &s).ok()) ++refused;
    });
  }
  for (auto& t : racers) t.join();
  attacks.Raced("concurrent submissions of one sheet beyond the first", 7,
                refused);
  attacks.Refused("changing a submitted score", save(sam, "sam", 5),
                  StatusCode::FAILED_PRECONDITION, "SCORES_SUBMITTED");
}

// Free text is bounded, so nobody can grow a case (or a page of cases) past
// what every other user can still read.
TEST(AdversarialTest, TextAndCasesAreBounded) {
  Rig rig;
  Attacks attacks("bounded text and cases");
  const std::string c = rig.NewCase(2'000'000, "text");
  const std::string etag = rig.Case(c).etag();
  attacks.Refused("a reason of 1,001 characters",
                  rig.ServiceFact("grace", c, "ELIGIBILITY_CHECK_STARTED",
                                  std::string(1001, 'x')),
                  StatusCode::INVALID_ARGUMENT);
  attacks.Refused("a reason of 5 MB",
                  rig.ServiceFact("grace", c, "ELIGIBILITY_CHECK_STARTED",
                                  std::string(5 << 20, 'x')),
                  StatusCode::RESOURCE_EXHAUSTED);
  // Going round AssessmentService to move a case it assesses.
  for (const char* f : {"ELIGIBILITY_CHECK_STARTED", "ELIGIBLE", "INELIGIBLE",
                        "SHORTLISTED", "RECOMMENDED", "NOT_RECOMMENDED"}) {
    for (const std::string& who : {rig.officer, rig.admin, rig.moderator}) {
      attacks.Refused(absl::StrCat(f, " recorded at the engine directly"),
                      rig.Fact(who, c, f), StatusCode::PERMISSION_DENIED);
    }
  }
  EXPECT_EQ(rig.Case(c).etag(), etag);
  rig.ToChecksPassed(c, 2'000'000);
  wpb::FactPayload cond;
  cond.set_condition_source("DUE_DILIGENCE");
  cond.set_condition_id("long");
  cond.set_description(std::string(1001, 'y'));
  attacks.Refused("a condition of 1,001 characters",
                  rig.ServiceFact("grace", c, "CONDITION_RAISED", "", cond),
                  StatusCode::INVALID_ARGUMENT);
  for (int i = 0; i < 20; ++i) {
    cond.set_condition_id(absl::StrCat("c", i));
    cond.set_description(std::string(1000, 'z'));
    ASSERT_TRUE(rig.ServiceFact("grace", c, "CONDITION_RAISED", "", cond).ok());
  }
  cond.set_condition_id("c20");
  attacks.Refused("a 21st condition",
                  rig.ServiceFact("grace", c, "CONDITION_RAISED", "", cond),
                  StatusCode::FAILED_PRECONDITION, "CASE_LIMIT_REACHED");
  // Every user can still read the case and list the round.
  EXPECT_EQ(rig.Case(c).conditions_size(), 20);
  wpb::ListCasesRequest list;
  list.set_round(kOpenRound);
  list.set_page_size(500);
  wpb::ListCasesResponse page;
  EXPECT_TRUE(
      rig.engine().ListCases(rig.Ctx(rig.officer).get(), list, &page).ok());
  EXPECT_EQ(page.cases_size(), 1);
}

}  // namespace
}  // namespace grantflow::testing
