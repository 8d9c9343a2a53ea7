// Separation of duties (R5), every pair of platform/duties.h attacked
// through gRPC: whoever did the first duty tries the second, under their own
// name in another case ("Grace" for "grace"), and is refused
// SEPARATION_OF_DUTIES with nothing changed; a second person then succeeds
// with the same request, so the refusal was about the person alone.
#include <functional>
#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "grantflow/agreements/v1/agreements.pb.h"
#include "grantflow/duediligence/v1/duediligence.pb.h"
#include "grantflow/payments/v1/payments.pb.h"
#include "gtest/gtest.h"
#include "platform/duties.h"
#include "platform/money.h"
#include "tests/adversarial/over_grpc.h"

namespace grantflow {
namespace {

using duties::Duty;
using testing::IdOf;
using testing::Ok;

class SeparationOfDutiesTest : public testing::OverGrpcTest {
 protected:
  SeparationOfDutiesTest()
      : OverGrpcTest("separation of duties (R5), every pair") {}

  void SetUp() override { SetTemplate(); }

  std::string Finance(const std::string& user, const std::string& role) {
    return rig_.minter().For({.user = user,
                              .roles = {role},
                              .organisation = "",
                              .limits_pence = {{"pay", kMaxAmountPence}},
                              .role_funds = {}});
  }

  // One attack: `second(token)` as `same` must be refused
  // SEPARATION_OF_DUTIES leaving `state()` as it was, then succeed as
  // `other`.
  void Attack(const std::string& what, const std::string& same,
              const std::string& other,
              const std::function<grpc::Status(const std::string&)>& second,
              const std::function<std::string()>& state) {
    const std::string before = state();
    attacks_.Refused(what, second(same), grpc::StatusCode::FAILED_PRECONDITION,
                     "SEPARATION_OF_DUTIES");
    EXPECT_EQ(state(), before) << what << ": the refusal changed something";
    EXPECT_TRUE(Ok(second(other))) << what << " by a second person";
    EXPECT_NE(state(), before) << what << ": the second person did nothing";
  }

  std::string CaseState(const std::string& c) {
    return rig_.Case(c).SerializeAsString();
  }
  std::string AgreementState(const std::string& name) {
    return Get(name).SerializeAsString();
  }
  std::string Read(const std::string& method, const std::string& name) {
    std::string raw;
    EXPECT_TRUE(Ok(Call(method, absl::StrCat("name: '", name, "'"),
                        rig_.finance, nullptr, nullptr, &raw)));
    return raw;
  }

  // An issued agreement kofi has signed for Hackney Family Network.
  agreements::v1::Agreement SignedByRecipient(const std::string& suffix) {
    agreements::v1::Agreement a;
    const std::string name = Drafted(2'000'000, suffix, &a);
    EXPECT_TRUE(Ok(Issue(name, &a)));  // as grace
    EXPECT_TRUE(Ok(Sign(rig_.kofi, SignReq(a), &a)));
    return a;
  }

  // Hackney's bank details, recorded by `by` and (when `verifier` is
  // given) verified.
  void Bank(const std::string& by, const std::string& verifier = "") {
    ASSERT_TRUE(Ok(Call("payments.v1.PaymentService/ChangeBankAccount",
                        absl::StrCat("organisation: '", testing::kHackney,
                                     "' details { account_name: 'Hackney "
                                     "Family Network' sort_code: '20-00-00' "
                                     "account_number: '55779911' } request_id: "
                                     "'",
                                     rig_.NextId(), "'"),
                        by)));
    if (verifier.empty()) return;
    ASSERT_TRUE(Ok(Verify(verifier)));
  }
  grpc::Status Verify(const std::string& token) {
    payments::v1::BankAccount acc;
    EXPECT_TRUE(
        Ok(Call("payments.v1.PaymentService/GetBankAccount",
                "name: 'bankAccounts/hackney-families'", rig_.finance, &acc)));
    return Call("payments.v1.PaymentService/VerifyBankAccount",
                absl::StrCat("name: '", acc.name(), "' etag: '", acc.etag(),
                             "' request_id: '", rig_.NextId(), "'"),
                token);
  }
};

TEST_F(SeparationOfDutiesTest, NoOnePersonDoesBothDutiesOfAnyPair) {
  std::set<std::pair<Duty, Duty>> attacked;
  const auto mark = [&](Duty a, Duty b) { attacked.insert({a, b}); };

  // Recommend / approve the award: grace recommends (ToRecommended records
  // for her), an approver who is also grace may not approve it.
  {
    const std::string c = rig_.NewCase(2'000'000, "sod-award");
    rig_.ToRecommended(c);
    Attack(
        "approving an award one recommended",
        rig_.minter().Approver("Grace", kMaxAmountPence), rig_.approver,
        [&](const std::string& t) {
          return rig_.Decide(t, c, rig_.Award(2'000'000));
        },
        [&] { return CaseState(c); });
    mark(Duty::kRecommendAward, Duty::kApproveAward);
  }

  // Issue / countersign: grace issued it.
  {
    const agreements::v1::Agreement a = SignedByRecipient("sod-issue");
    Attack(
        "countersigning an agreement one issued",
        rig_.minter().Approver("GRACE", kMaxAmountPence), rig_.approver,
        [&](const std::string& t) { return Countersign(t, SignReq(a)); },
        [&] { return AgreementState(a.name()); });
    mark(Duty::kIssueAgreement, Duty::kCountersignAgreement);
  }

  // Both signatures: kofi signed for Hackney; a funder approver who is kofi
  // may not sign for the funder (R1's "no single person").
  {
    const agreements::v1::Agreement a = SignedByRecipient("sod-both");
    Attack(
        "signing for both parties",
        rig_.minter().Approver("Kofi", kMaxAmountPence), rig_.approver,
        [&](const std::string& t) { return Countersign(t, SignReq(a)); },
        [&] { return AgreementState(a.name()); });
    mark(Duty::kSignForRecipient, Duty::kSignForFunder);
  }

  // Change / verify bank details: fola records them.
  {
    Bank(Finance("fola", "finance_officer"));
    Attack(
        "verifying bank details one recorded",
        Finance("FOLA", "finance_approver"),
        Finance("fatima", "finance_approver"),
        [&](const std::string& t) { return Verify(t); },
        [&] {
          return Read("payments.v1.PaymentService/GetBankAccount",
                      "bankAccounts/hackney-families");
        });
    mark(Duty::kChangeBankDetails, Duty::kVerifyBankDetails);
  }

  // Request / approve a payment: fola asks for the first instalment.
  {
    const std::string name = Drafted(2'000'000, "sod-pay");
    Executed(name);
    payments::v1::Payment p;
    ASSERT_TRUE(Ok(Call("payments.v1.PaymentService/RequestPayment",
                        absl::StrCat("case: '", CaseOf(name),
                                     "' instalment_id: 'i1' request_id: 'p'"),
                        Finance("fola", "finance_officer"), &p)));
    Attack(
        "approving a payment one requested",
        Finance("Fola", "finance_approver"),
        Finance("fatima", "finance_approver"),
        [&](const std::string& t) {
          return Call("payments.v1.PaymentService/ApprovePayment",
                      absl::StrCat("name: '", p.name(), "' request_id: '",
                                   rig_.NextId(), "'"),
                      t);
        },
        [&] {
          return Read("payments.v1.PaymentService/GetPayment", p.name()) +
                 CaseState(CaseOf(name));
        });
    mark(Duty::kRequestPayment, Duty::kApprovePayment);
  }

  // Fail a due diligence check / decide its referral: gail reviews it.
  {
    const std::string c = rig_.NewCase(2'000'000, "sod-dd");
    rig_.ToRecommended(c);
    ASSERT_TRUE(Ok(rig_.Decide(rig_.approver, c, rig_.Award(2'000'000))));
    rig_.Background();
    const std::string check = "dueDiligenceChecks/" + IdOf(c);
    const std::string gail =
        rig_.minter().Token("gail", {"grants_officer", "approver"});
    ASSERT_TRUE(Ok(Call("duediligence.v1.DueDiligenceService/ConcludeCheck",
                        absl::StrCat("check: '", check,
                                     "' outcome: FAILED reason: 'accounts "
                                     "overdue' request_id: 'f'"),
                        gail)));
    Attack(
        "deciding the referral of a check one failed",
        rig_.minter().Approver("Gail", kMaxAmountPence), rig_.approver,
        [&](const std::string& t) {
          return Call("duediligence.v1.DueDiligenceService/DecideReferral",
                      absl::StrCat("check: '", check,
                                   "' decision: OVERRIDE reason: 'the "
                                   "accounts were filed late, not missing' "
                                   "request_id: '",
                                   rig_.NextId(), "'"),
                      t);
        },
        [&] {
          std::string raw;
          EXPECT_TRUE(Ok(Call("duediligence.v1.DueDiligenceService/GetCheck",
                              absl::StrCat("name: '", check, "'"), rig_.officer,
                              nullptr, nullptr, &raw)));
          return raw + CaseState(c);
        });
    mark(Duty::kFailCheck, Duty::kDecideReferral);
  }

  // Every pair declared in platform/duties.h is attacked above.
  for (const duties::Pair& p : duties::Pairs()) {
    EXPECT_TRUE(attacked.contains({p.first, p.second}))
        << "the pair '" << p.first_words << "' / '" << p.second_words
        << "' is declared but not attacked";
  }
  EXPECT_EQ(attacked.size(), duties::Pairs().size());
  std::cout << "separation of duties: " << duties::Pairs().size()
            << " pairs, each refused to the same person and allowed to a "
               "second\n";
}

}  // namespace
}  // namespace grantflow
