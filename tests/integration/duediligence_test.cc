// DueDiligenceService through gRPC on a real port, with every service
// hosted: an approved award opens its check through the engine's outbox; the
// agreement waits for the check; conditions hold up payment until the role
// they name clears them; a failed check, upheld by an approver who is not
// its reviewer, lapses the award and voids its reservation; the
// duplicate-funding search finds a real overlap across two funds; a pass is
// relied on for the organisation's next award; bad input is refused and
// writes nothing.
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grantflow/duediligence/v1/duediligence.grpc.pb.h"
#include "gtest/gtest.h"
#include "platform/resources.h"
#include "tests/adversarial/rig.h"

namespace grantflow::testing {
namespace {

namespace dpb = ::grantflow::duediligence::v1;
using ::grpc::StatusCode;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kDocument[] =
    "3333333333333333333333333333333333333333333333333333333333333333";

class DueDiligenceTest : public ::testing::Test {
 protected:
  DueDiligenceTest() : dd_(dpb::DueDiligenceService::NewStub(rig_.channel())) {
    finance_officer_ = rig_.minter().Token("fola", {"finance_officer"});
    // Reviews checks and also approves awards: never both on one check.
    gail_ = rig_.minter().Token("gail", {"grants_officer", "approver"});
  }

  // An award of `pence` approved by ade on a fresh application; the
  // engine's outbox then opens its check. Returns the case name.
  std::string Approved(int64_t pence, const std::string& suffix,
                       const std::string& round = kOpenRound,
                       const std::string& org = kHackney,
                       const std::string& line = kLineA,
                       const std::string& start = "2026-09-01") {
    apb::Application draft = CompleteApplication(round, org, pence);
    if (start != "2026-09-01") {
      // A year's project from `start`.
      draft.set_planned_start_date(start);
      draft.set_planned_end_date(
          absl::StrCat(std::stoi(start.substr(0, 4)) + 1, start.substr(4)));
    }
    const std::string c = rig_.SubmitCase(draft, suffix);
    rig_.ToRecommended(c);
    grpc::Status s = rig_.Decide(rig_.approver, c, rig_.Award(pence, line));
    EXPECT_TRUE(s.ok()) << s.error_message();
    rig_.Background();
    return c;
  }

  static std::string CheckOf(const std::string& c) {
    return "dueDiligenceChecks/" + c.substr(std::string("cases/").size());
  }

  dpb::DueDiligenceCheck Get(const std::string& check) {
    dpb::GetCheckRequest req;
    req.set_name(check);
    dpb::DueDiligenceCheck out;
    grpc::Status s = dd_->GetCheck(rig_.Ctx(rig_.officer).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  // A satisfactory record of `kind` with what the kind needs.
  static dpb::Item Good(dpb::ItemKind kind) {
    dpb::Item it;
    it.set_kind(kind);
    it.set_result(dpb::SATISFACTORY);
    it.add_evidence(absl::StrCat("doc-", dpb::ItemKind_Name(kind)));
    switch (kind) {
      case dpb::LEGAL_STATUS:
        it.set_registration_number("1180001");
        break;
      case dpb::GOVERNANCE:
        it.set_board_members(5);
        break;
      case dpb::ACCOUNTS:
        it.set_accounts_year_end("2026-03-31");
        it.set_accounts_income_pence(18'000'000);
        break;
      case dpb::FINANCIAL_HEALTH:
        it.set_reserves_months(4);
        break;
      case dpb::FRAUD_RISK:
        it.set_risk_rating(dpb::GREEN);
        break;
      case dpb::DUPLICATE_FUNDING:
        it.set_notes("the other award funds a different project");
        break;
      default:
        break;
    }
    return it;
  }

  grpc::Status Record(const std::string& token, const std::string& check,
                      const dpb::Item& item, dpb::DueDiligenceCheck* out) {
    dpb::RecordItemRequest req;
    req.set_check(check);
    *req.mutable_item() = item;
    req.set_request_id(rig_.NextId());
    dpb::DueDiligenceCheck ignored;
    return dd_->RecordItem(rig_.Ctx(token).get(), req, out ? out : &ignored);
  }

  // Records every item still open as satisfactory.
  void RecordAll(const std::string& check) {
    const dpb::DueDiligenceCheck current = Get(check);
    for (const dpb::Item& it : current.items()) {
      if (it.result() != dpb::RESULT_UNSPECIFIED) continue;
      grpc::Status s = Record(rig_.officer, check, Good(it.kind()), nullptr);
      ASSERT_TRUE(s.ok()) << dpb::ItemKind_Name(it.kind()) << ": "
                          << s.error_message();
    }
  }

  grpc::Status Conclude(const std::string& token, const std::string& check,
                        dpb::ConcludeCheckRequest::Outcome outcome,
                        const std::string& reason,
                        std::vector<dpb::CheckCondition> conditions = {},
                        dpb::DueDiligenceCheck* out = nullptr,
                        const std::string& request_id = "") {
    dpb::ConcludeCheckRequest req;
    req.set_check(check);
    req.set_outcome(outcome);
    req.set_reason(reason);
    for (auto& k : conditions) *req.add_conditions() = k;
    req.set_request_id(request_id.empty() ? rig_.NextId() : request_id);
    dpb::DueDiligenceCheck ignored;
    return dd_->ConcludeCheck(rig_.Ctx(token).get(), req, out ? out : &ignored);
  }

  grpc::Status Decide(const std::string& token, const std::string& check,
                      dpb::DecideReferralRequest::Decision d,
                      dpb::DueDiligenceCheck* out = nullptr) {
    dpb::DecideReferralRequest req;
    req.set_check(check);
    req.set_decision(d);
    req.set_reason("considered the evidence again");
    req.set_request_id(rig_.NextId());
    dpb::DueDiligenceCheck ignored;
    return dd_->DecideReferral(rig_.Ctx(token).get(), req,
                               out ? out : &ignored);
  }

  grpc::Status Clear(const std::string& token, const std::string& check,
                     const std::string& id) {
    dpb::ClearConditionRequest req;
    req.set_check(check);
    req.set_condition_id(id);
    req.set_note("letter received and filed");
    req.set_request_id(rig_.NextId());
    dpb::DueDiligenceCheck ignored;
    return dd_->ClearCondition(rig_.Ctx(token).get(), req, &ignored);
  }

  static dpb::CheckCondition Condition(const std::string& id,
                                       const std::string& role) {
    dpb::CheckCondition k;
    k.set_id(id);
    k.set_description("a bank letter confirming the account's name");
    k.set_clear_role(role);
    return k;
  }

  grpc::Status Issue(const std::string& c) {
    wpb::FactPayload doc;
    doc.set_document_sha256(kDocument);
    return rig_.ActingFact(rig_.officer, c, "AGREEMENT_ISSUED", doc);
  }

  void SetPolicy(int64_t standard_from, int64_t enhanced_from, int days) {
    dpb::Policy current;
    grpc::Status s = dd_->GetPolicy(rig_.Ctx(rig_.officer).get(),
                                    dpb::GetPolicyRequest(), &current);
    ASSERT_TRUE(s.ok()) << s.error_message();
    dpb::UpdatePolicyRequest req;
    *req.mutable_policy() = current;
    req.mutable_policy()->set_standard_from_pence(standard_from);
    req.mutable_policy()->set_enhanced_from_pence(enhanced_from);
    req.mutable_policy()->set_validity_days(days);
    req.set_request_id(rig_.NextId());
    dpb::Policy out;
    s = dd_->UpdatePolicy(rig_.Ctx(rig_.admin).get(), req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // A second fund with its own line and open round, as a grants officer
  // would set it up.
  void AddSecondFund() {
    ppb::CreateFundRequest fund;
    fund.set_fund_id("esol");
    *fund.mutable_fund() = ValidFund();
    fund.set_request_id("esol-fund");
    ppb::Fund f;
    ASSERT_TRUE(rig_.programmes()
                    .CreateFund(rig_.Ctx(rig_.admin).get(), fund, &f)
                    .ok());
    ppb::CreateBudgetLineRequest line;
    line.set_parent("funds/esol");
    line.set_budget_line_id("pilots");
    *line.mutable_budget_line() = ValidBudgetLine(10'000'000);
    line.set_request_id("esol-line");
    ppb::BudgetLine l;
    grpc::Status s = rig_.programmes().CreateBudgetLine(
        rig_.Ctx(rig_.admin).get(), line, &l);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ppb::CreateRoundRequest round;
    round.set_parent("funds/esol");
    round.set_round_id("pilots");
    *round.mutable_round() = ValidRound(TestEpoch() - absl::Hours(24),
                                        TestEpoch() + absl::Hours(240),
                                        {"funds/esol/budgetLines/pilots"});
    round.set_request_id("esol-round");
    ppb::Round r;
    s = rig_.programmes().CreateRound(rig_.Ctx(rig_.admin).get(), round, &r);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  Rig rig_;
  std::unique_ptr<dpb::DueDiligenceService::Stub> dd_;
  std::string finance_officer_, gail_;
};

TEST_F(DueDiligenceTest, AnApprovedAwardOpensItsCheckAndTheAgreementWaits) {
  const std::string c = Approved(2'500'000, "open");
  const std::string check = CheckOf(c);
  dpb::DueDiligenceCheck got = Get(check);
  EXPECT_EQ(got.state(), dpb::DueDiligenceCheck::OPEN);
  EXPECT_EQ(got.case_(), c);
  EXPECT_EQ(got.organisation(), kHackney);
  EXPECT_EQ(got.charity_number(), "1180001");
  EXPECT_EQ(got.awarded_pence(), 2'500'000);
  EXPECT_EQ(got.tier(), dpb::STANDARD);  // £25,000 >= £10,000
  EXPECT_EQ(got.period_start(), "2026-09-01");
  std::vector<std::string> kinds;
  for (const auto& it : got.items()) {
    kinds.push_back(dpb::ItemKind_Name(it.kind()));
  }
  EXPECT_THAT(kinds,
              ElementsAre("LEGAL_STATUS", "GOVERNANCE", "ACCOUNTS",
                          "BANK_ACCOUNT", "FRAUD_RISK", "DUPLICATE_FUNDING"));
  // Nothing else overlaps: the search filled its item in.
  EXPECT_EQ(got.items(5).result(), dpb::SATISFACTORY);
  EXPECT_EQ(got.items(5).recorded_by(), "duediligence");
  EXPECT_EQ(rig_.Case(c).state(), "PRE_AGREEMENT_CHECKS");
  // The outbox delivering again changes nothing.
  rig_.Background();
  EXPECT_EQ(Get(check).etag(), got.etag());

  ASSERT_TRUE(rig_.ServiceFact("sam", c, "SAFEGUARDING_PASSED").ok());
  grpc::Status s = Issue(c);
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "CHECKS_INCOMPLETE");
  // Passing with items open is refused, and writes nothing.
  s = Conclude(rig_.officer, check, dpb::ConcludeCheckRequest::PASSED, "");
  EXPECT_EQ(ReasonOf(s), "ITEMS_INCOMPLETE");
  EXPECT_THAT(s.error_message(), HasSubstr("LEGAL_STATUS"));
  EXPECT_EQ(Get(check).etag(), got.etag());
  RecordAll(check);
  // An unsatisfactory item stops a plain pass.
  dpb::Item poor = Good(dpb::BANK_ACCOUNT);
  poor.set_result(dpb::UNSATISFACTORY);
  poor.set_notes("the statement is in a trustee's own name");
  ASSERT_TRUE(Record(finance_officer_, check, poor, nullptr).ok());
  s = Conclude(rig_.officer, check, dpb::ConcludeCheckRequest::PASSED, "");
  EXPECT_EQ(ReasonOf(s), "ITEMS_UNSATISFACTORY");
  ASSERT_TRUE(
      Record(finance_officer_, check, Good(dpb::BANK_ACCOUNT), nullptr).ok());
  dpb::DueDiligenceCheck passed;
  s = Conclude(rig_.officer, check, dpb::ConcludeCheckRequest::PASSED, "", {},
               &passed, "conclude-1");
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(passed.state(), dpb::DueDiligenceCheck::PASSED);
  EXPECT_EQ(passed.reviewed_by(), "grace");
  EXPECT_EQ(FromProto(passed.valid_until()),
            TestEpoch() + absl::Hours(24 * 365));
  // A retry of the same request gives the same answer and changes nothing.
  dpb::DueDiligenceCheck again;
  ASSERT_TRUE(Conclude(rig_.officer, check, dpb::ConcludeCheckRequest::PASSED,
                       "", {}, &again, "conclude-1")
                  .ok());
  EXPECT_EQ(again.etag(), passed.etag());
  const wpb::Case kase = rig_.Case(c);
  EXPECT_TRUE(kase.due_diligence_passed());
  ASSERT_TRUE(Issue(c).ok());
  // A concluded check takes no more items.
  s = Record(rig_.officer, check, Good(dpb::GOVERNANCE), nullptr);
  EXPECT_EQ(ReasonOf(s), "CHECK_NOT_OPEN");
}

TEST_F(DueDiligenceTest, BadInputGetsTheFieldAndWritesNothing) {
  Attacks attacks("due diligence input");
  const std::string c = Approved(2'500'000, "bad");
  const std::string check = CheckOf(c);
  const dpb::DueDiligenceCheck before = Get(check);
  const int64_t events = rig_.Case(c).event_count();
  auto refused = [&](const std::string& what, const dpb::Item& item,
                     const std::string& field, const std::string& token = "") {
    grpc::Status s =
        Record(token.empty() ? rig_.officer : token, check, item, nullptr);
    attacks.Refused(what, s, StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(FieldsOf(s), Contains(field)) << what;
  };
  dpb::Item it = Good(dpb::FINANCIAL_HEALTH);
  refused("an item of another tier", it, "item.kind");
  it = Good(dpb::GOVERNANCE);
  it.clear_evidence();
  refused("evidence missing where the tier needs it", it, "item.evidence");
  it = Good(dpb::LEGAL_STATUS);
  it.set_registration_number("1180002");
  refused("another charity's number", it, "item.registration_number");
  it = Good(dpb::FRAUD_RISK);
  it.set_risk_rating(dpb::RED);
  refused("a red risk called satisfactory", it, "item.result");
  it = Good(dpb::GOVERNANCE);
  it.set_reserves_months(3);
  refused("a field of another item", it, "item.reserves_months");
  it = Good(dpb::GOVERNANCE);
  it.set_notes(std::string(2001, 'n'));
  refused("notes of 2,001 characters", it, "item.notes");
  it = Good(dpb::GOVERNANCE);
  it.set_notes(std::string(1'000'000, 'n'));
  refused("notes of a million characters", it, "item.notes");
  it = Good(dpb::GOVERNANCE);
  for (int i = 0; i < 11; ++i) it.add_evidence(absl::StrCat("e", i));
  refused("eleven evidence references", it, "item.evidence");
  it = Good(dpb::ACCOUNTS);
  it.set_accounts_income_pence(-1);
  refused("negative income", it, "item.accounts_income_pence");
  it = Good(dpb::ACCOUNTS);
  it.set_accounts_year_end("2026-02-30");
  refused("a date that does not exist", it, "item.accounts_year_end");
  it = Good(dpb::DUPLICATE_FUNDING);
  refused("reviewing a search that found nothing", it, "item.kind");
  it.set_kind(static_cast<dpb::ItemKind>(99));
  refused("an unknown item", it, "item.kind");
  // Conclusions.
  grpc::Status s =
      Conclude(rig_.officer, check, dpb::ConcludeCheckRequest::FAILED, "   ");
  attacks.Refused("a failure without a reason", s,
                  StatusCode::INVALID_ARGUMENT);
  s = Conclude(rig_.officer, check, dpb::ConcludeCheckRequest::PASSED, "",
               {Condition("bank", "grants_officer")});
  attacks.Refused("conditions on a plain pass", s,
                  StatusCode::INVALID_ARGUMENT);
  s = Conclude(rig_.officer, check,
               dpb::ConcludeCheckRequest::PASSED_WITH_CONDITIONS, "why",
               {Condition("bank", "assessor")});
  attacks.Refused("a condition cleared by an assessor", s,
                  StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(FieldsOf(s), Contains("conditions[0].clear_role"));
  s = Conclude(rig_.officer, check,
               dpb::ConcludeCheckRequest::PASSED_WITH_CONDITIONS, "why",
               {Condition("bank", "finance_officer"),
                Condition("bank", "finance_officer")});
  attacks.Refused("a condition named twice", s, StatusCode::INVALID_ARGUMENT);
  // Someone else's check, or none.
  dpb::GetCheckRequest get;
  get.set_name("dueDiligenceChecks/nobody");
  dpb::DueDiligenceCheck ignored;
  s = dd_->GetCheck(rig_.Ctx(rig_.officer).get(), get, &ignored);
  attacks.Refused("a check that does not exist", s, StatusCode::NOT_FOUND);
  s = Record(rig_.officer, "dueDiligenceChecks/nobody", Good(dpb::GOVERNANCE),
             nullptr);
  attacks.Refused("an item on a check that does not exist", s,
                  StatusCode::NOT_FOUND);
  s = Clear(rig_.officer, check, "not-here");
  attacks.Refused("clearing a condition the check does not have", s,
                  StatusCode::NOT_FOUND);
  // People who have no business with it.
  for (const std::string& token :
       {rig_.amira, rig_.kofi, rig_.minter().Token("ola", {"assessor"}),
        rig_.safeguarding, rig_.moderator}) {
    get.set_name(check);
    attacks.Refused("reading a check",
                    dd_->GetCheck(rig_.Ctx(token).get(), get, &ignored),
                    StatusCode::PERMISSION_DENIED);
    attacks.Refused("recording an item",
                    Record(token, check, Good(dpb::GOVERNANCE), nullptr),
                    StatusCode::PERMISSION_DENIED);
  }
  attacks.Refused(
      "concluding as an approver",
      Conclude(rig_.approver, check, dpb::ConcludeCheckRequest::PASSED, ""),
      StatusCode::PERMISSION_DENIED);
  dpb::OpenCheckRequest open;
  open.set_case_(c);
  open.set_request_id("again");
  attacks.Refused("opening a check as a person",
                  dd_->OpenCheck(rig_.Ctx(rig_.officer).get(), open, &ignored),
                  StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(check).etag(), before.etag());
  EXPECT_EQ(rig_.Case(c).event_count(), events);
}

TEST_F(DueDiligenceTest, AConditionBlocksPaymentUntilItsRoleClearsIt) {
  const std::string c = Approved(2'000'000, "cond");
  const std::string check = CheckOf(c);
  RecordAll(check);
  dpb::DueDiligenceCheck concluded;
  grpc::Status s = Conclude(
      rig_.officer, check, dpb::ConcludeCheckRequest::PASSED_WITH_CONDITIONS,
      "bank letter outstanding", {Condition("bank-letter", "finance_officer")},
      &concluded);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(concluded.state(), dpb::DueDiligenceCheck::PASSED_WITH_CONDITIONS);
  wpb::Case kase = rig_.Case(c);
  ASSERT_EQ(kase.conditions_size(), 1);
  EXPECT_EQ(kase.conditions(0).id(), "dd-bank-letter");
  EXPECT_EQ(kase.conditions(0).source(), "DUE_DILIGENCE");
  EXPECT_TRUE(kase.conditions(0).open());
  // The agreement goes ahead; the money waits.
  ASSERT_TRUE(rig_.ServiceFact("sam", c, "SAFEGUARDING_PASSED").ok());
  rig_.ToExecuted(c);
  s = rig_.Authorize(rig_.finance, c, "p1", 500'000);
  EXPECT_EQ(ReasonOf(s), "CONDITIONS_OPEN");
  // Only the role the condition names clears it; a refusal writes nothing.
  const std::string etag = Get(check).etag();
  s = Clear(rig_.officer, check, "bank-letter");
  EXPECT_EQ(s.error_code(), StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("finance_officer"));
  s = Clear(rig_.safeguarding, check, "bank-letter");
  EXPECT_EQ(s.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(check).etag(), etag);
  EXPECT_TRUE(rig_.Case(c).conditions(0).open());
  // Nor may anyone clear it at the engine directly.
  wpb::FactPayload p;
  p.set_condition_id("dd-bank-letter");
  EXPECT_EQ(rig_.Fact(rig_.officer, c, "CONDITION_CLEARED", p).error_code(),
            StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Clear(finance_officer_, check, "bank-letter").ok());
  EXPECT_FALSE(rig_.Case(c).conditions(0).open());
  const dpb::DueDiligenceCheck cleared = Get(check);
  EXPECT_EQ(cleared.conditions(0).cleared_by(), "fola");
  EXPECT_EQ(ReasonOf(Clear(finance_officer_, check, "bank-letter")),
            "CONDITION_NOT_OPEN");
  s = rig_.Authorize(rig_.finance, c, "p1", 500'000);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(DueDiligenceTest, AFailedCheckLapsesTheAwardAndVoidsTheReservation) {
  const int64_t reserved_before = rig_.Ledger(kLineA).reserved_pence();
  const std::string c = Approved(3'000'000, "fail");
  const std::string check = CheckOf(c);
  EXPECT_EQ(rig_.Ledger(kLineA).reserved_pence(), reserved_before + 3'000'000);
  // gail reviews it and finds it failed: referred, not yet lapsed.
  dpb::DueDiligenceCheck referred;
  ASSERT_TRUE(Conclude(gail_, check, dpb::ConcludeCheckRequest::FAILED,
                       "accounts two years overdue at the Charity Commission",
                       {}, &referred)
                  .ok());
  EXPECT_EQ(referred.state(), dpb::DueDiligenceCheck::REFERRED);
  EXPECT_EQ(rig_.Case(c).state(), "PRE_AGREEMENT_CHECKS");
  // R5: the reviewer cannot decide her own referral, however she holds the
  // role; an approver below the award's amount cannot either.
  grpc::Status s = Decide(gail_, check, dpb::DecideReferralRequest::OVERRIDE);
  EXPECT_EQ(ReasonOf(s), "SEPARATION_OF_DUTIES");
  s = Decide(rig_.small_approver, check, dpb::DecideReferralRequest::OVERRIDE);
  EXPECT_EQ(ReasonOf(s), "DELEGATED_LIMIT_EXCEEDED");
  s = Decide(rig_.officer, check, dpb::DecideReferralRequest::UPHOLD);
  EXPECT_EQ(s.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(check).etag(), referred.etag());
  dpb::DueDiligenceCheck failed;
  ASSERT_TRUE(
      Decide(rig_.approver, check, dpb::DecideReferralRequest::UPHOLD, &failed)
          .ok());
  EXPECT_EQ(failed.state(), dpb::DueDiligenceCheck::FAILED);
  EXPECT_EQ(failed.referral_decided_by(), "ade");
  EXPECT_EQ(rig_.Case(c).state(), "LAPSED");
  EXPECT_EQ(rig_.Ledger(kLineA).reserved_pence(), reserved_before);
  EXPECT_EQ(ReasonOf(Issue(c)), "INVALID_TRANSITION");

  // Another referral, overridden by a second person: the award stands, and
  // the override is not relied on for later awards.
  const std::string c2 = Approved(2'000'000, "override");
  RecordAll(CheckOf(c2));
  ASSERT_TRUE(Conclude(gail_, CheckOf(c2), dpb::ConcludeCheckRequest::FAILED,
                       "the governance looks thin")
                  .ok());
  dpb::DueDiligenceCheck overridden;
  ASSERT_TRUE(Decide(rig_.approver, CheckOf(c2),
                     dpb::DecideReferralRequest::OVERRIDE, &overridden)
                  .ok());
  EXPECT_EQ(overridden.state(), dpb::DueDiligenceCheck::PASSED);
  EXPECT_TRUE(overridden.overridden());
  EXPECT_FALSE(overridden.has_valid_until());
  EXPECT_TRUE(rig_.Case(c2).due_diligence_passed());
  EXPECT_EQ(rig_.Ledger(kLineA).reserved_pence(), reserved_before + 2'000'000);
  const std::string c3 = Approved(2'000'000, "after-override");
  EXPECT_EQ(Get(CheckOf(c3)).state(), dpb::DueDiligenceCheck::OPEN);
}

TEST_F(DueDiligenceTest, TheDuplicateSearchFindsAnOverlapAcrossTwoFunds) {
  AddSecondFund();
  // hackney-families holds a London Family Fund award ...
  const std::string first = Approved(2'000'000, "lff");
  EXPECT_EQ(Get(CheckOf(first)).duplicates_size(), 0);
  // ... and peckham-arts, registered under the same charity number, is
  // awarded an ESOL pilot over the same months.
  const std::string second =
      Approved(3'000'000, "esol", "funds/esol/rounds/pilots", kPeckham,
               "funds/esol/budgetLines/pilots");
  const dpb::DueDiligenceCheck found = Get(CheckOf(second));
  ASSERT_EQ(found.duplicates_size(), 1);
  const dpb::DuplicateMatch& m = found.duplicates(0);
  EXPECT_EQ(m.check(), CheckOf(first));
  EXPECT_EQ(m.fund(), "funds/lff");
  EXPECT_EQ(m.organisation(), kHackney);
  EXPECT_EQ(m.matched_on(), "charity 1180001");
  EXPECT_EQ(m.awarded_pence(), 2'000'000);
  EXPECT_EQ(m.case_state(), "PRE_AGREEMENT_CHECKS");
  EXPECT_EQ(found.fund(), "funds/esol");
  // Its item waits for an officer's review, which must say something.
  const dpb::Item* dup = nullptr;
  for (const auto& it : found.items()) {
    if (it.kind() == dpb::DUPLICATE_FUNDING) dup = &it;
  }
  ASSERT_NE(dup, nullptr);
  EXPECT_EQ(dup->result(), dpb::RESULT_UNSPECIFIED);
  RecordAll(CheckOf(second));  // the review included
  dpb::Item silent = Good(dpb::DUPLICATE_FUNDING);
  silent.clear_notes();
  grpc::Status s = Record(rig_.officer, CheckOf(second), silent, nullptr);
  EXPECT_THAT(FieldsOf(s), Contains("item.notes"));

  // The first check searched before the second award existed: concluding it
  // now is refused until the search runs again and its result is reviewed.
  RecordAll(CheckOf(first));
  s = Conclude(rig_.officer, CheckOf(first), dpb::ConcludeCheckRequest::PASSED,
               "");
  EXPECT_EQ(ReasonOf(s), "DUPLICATES_CHANGED");
  dpb::RunDuplicateCheckRequest run;
  run.set_check(CheckOf(first));
  run.set_request_id("rerun");
  dpb::DueDiligenceCheck rerun;
  ASSERT_TRUE(
      dd_->RunDuplicateCheck(rig_.Ctx(rig_.officer).get(), run, &rerun).ok());
  ASSERT_EQ(rerun.duplicates_size(), 1);
  EXPECT_EQ(rerun.duplicates(0).fund(), "funds/esol");
  s = Conclude(rig_.officer, CheckOf(first), dpb::ConcludeCheckRequest::PASSED,
               "");
  EXPECT_EQ(ReasonOf(s), "ITEMS_INCOMPLETE");
  EXPECT_THAT(s.error_message(), HasSubstr("DUPLICATE_FUNDING"));
  RecordAll(CheckOf(first));
  EXPECT_TRUE(Conclude(rig_.officer, CheckOf(first),
                       dpb::ConcludeCheckRequest::PASSED, "")
                  .ok());

  // A withdrawn award is no longer a duplicate.
  ASSERT_TRUE(
      rig_.Fact(rig_.officer, second, "WITHDRAWN", {}, "changed plans").ok());
  rig_.Background();
  EXPECT_EQ(Get(CheckOf(second)).state(), dpb::DueDiligenceCheck::CLOSED);
  const std::string third = Approved(2'000'000, "third");
  const dpb::DueDiligenceCheck t = Get(CheckOf(third));
  ASSERT_EQ(t.duplicates_size(), 1);
  EXPECT_EQ(t.duplicates(0).check(), CheckOf(first));
  // The first check's pass is relied on for the organisation's standing;
  // the overlap with it is this award's own question.
  EXPECT_EQ(t.relied_on(), CheckOf(first));
  EXPECT_EQ(t.state(), dpb::DueDiligenceCheck::OPEN);
  for (const auto& it : t.items()) {
    EXPECT_EQ(it.result() == dpb::RESULT_UNSPECIFIED,
              it.kind() == dpb::DUPLICATE_FUNDING)
        << dpb::ItemKind_Name(it.kind());
  }
}

TEST_F(DueDiligenceTest, APassIsReliedOnWithinItsValidityAndTier) {
  // £20,000 is LIGHT, £40,000 STANDARD, £70,000 ENHANCED under this policy.
  SetPolicy(3'000'000, 6'000'000, 10);
  const std::string light = Approved(2'000'000, "light");
  EXPECT_EQ(Get(CheckOf(light)).tier(), dpb::LIGHT);
  RecordAll(CheckOf(light));
  ASSERT_TRUE(Conclude(rig_.officer, CheckOf(light),
                       dpb::ConcludeCheckRequest::PASSED, "")
                  .ok());
  // A second light award, the year after: passed at once on the first, at
  // the engine too.
  const std::string again =
      Approved(1'500'000, "again", kOpenRound, kHackney, kLineA, "2027-09-01");
  dpb::DueDiligenceCheck relied = Get(CheckOf(again));
  EXPECT_EQ(relied.state(), dpb::DueDiligenceCheck::PASSED);
  EXPECT_EQ(relied.relied_on(), CheckOf(light));
  EXPECT_TRUE(rig_.Case(again).due_diligence_passed());
  // A larger award needs its own, fuller check.
  const std::string standard = Approved(4'000'000, "standard", kOpenRound,
                                        kHackney, kLineA, "2027-09-01");
  EXPECT_EQ(Get(CheckOf(standard)).state(), dpb::DueDiligenceCheck::OPEN);
  EXPECT_EQ(Get(CheckOf(standard)).tier(), dpb::STANDARD);
  const std::string enhanced = Approved(7'000'000, "enhanced");
  EXPECT_EQ(Get(CheckOf(enhanced)).tier(), dpb::ENHANCED);
  // Once the pass is older than the policy's 10 days, it is not relied on.
  rig_.clock().Advance(absl::Hours(24 * 11));
  const std::string late =
      Approved(1'500'000, "late", kOpenRound, kHackney, kLineA, "2029-09-01");
  EXPECT_EQ(Get(CheckOf(late)).state(), dpb::DueDiligenceCheck::OPEN);
}

TEST_F(DueDiligenceTest, TwoOfficersConcludingAtOnceRecordOneOutcome) {
  const std::string c = Approved(2'000'000, "race");
  const std::string check = CheckOf(c);
  RecordAll(check);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      grpc::Status s =
          i % 2 == 0
              ? Conclude(rig_.officer, check, dpb::ConcludeCheckRequest::PASSED,
                         "")
              : Conclude(rig_.officer, check,
                         dpb::ConcludeCheckRequest::PASSED_WITH_CONDITIONS,
                         "bank",
                         {Condition(absl::StrCat("k", i), "finance_officer")});
      if (s.ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  const dpb::DueDiligenceCheck done = Get(check);
  const wpb::Case kase = rig_.Case(c);
  // The engine and the check agree on the conditions.
  EXPECT_EQ(kase.conditions_size(), done.conditions_size());
}

TEST_F(DueDiligenceTest, OnlyAdminsChangeThePolicyAndItIsValidated) {
  dpb::Policy current;
  ASSERT_TRUE(dd_->GetPolicy(rig_.Ctx(rig_.officer).get(),
                             dpb::GetPolicyRequest(), &current)
                  .ok());
  EXPECT_EQ(current.standard_from_pence(), 1'000'000);
  dpb::UpdatePolicyRequest req;
  *req.mutable_policy() = current;
  req.mutable_policy()->set_enhanced_from_pence(500'000);  // below standard
  req.mutable_policy()->set_validity_days(-1);
  req.set_request_id("p1");
  dpb::Policy out;
  grpc::Status s = dd_->UpdatePolicy(rig_.Ctx(rig_.admin).get(), req, &out);
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(FieldsOf(s), Contains("policy.enhanced_from_pence"));
  EXPECT_THAT(FieldsOf(s), Contains("policy.validity_days"));
  *req.mutable_policy() = current;
  req.set_request_id("p2");
  s = dd_->UpdatePolicy(rig_.Ctx(rig_.officer).get(), req, &out);
  EXPECT_EQ(s.error_code(), StatusCode::PERMISSION_DENIED);
  req.mutable_policy()->set_etag("7");
  s = dd_->UpdatePolicy(rig_.Ctx(rig_.admin).get(), req, &out);
  EXPECT_EQ(s.error_code(), StatusCode::ABORTED);
  req.mutable_policy()->set_etag(current.etag());
  req.mutable_policy()->set_validity_days(90);
  req.set_request_id("p3");
  ASSERT_TRUE(dd_->UpdatePolicy(rig_.Ctx(rig_.admin).get(), req, &out).ok());
  EXPECT_EQ(out.validity_days(), 90);
  EXPECT_EQ(out.etag(), "1");
}

}  // namespace
}  // namespace grantflow::testing
