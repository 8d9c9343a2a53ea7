// PaymentService through gRPC on a real port, with every service hosted.
// One grant walked from recommendation to closure: bank details verified
// by a second person, instalments requested when due and approved by a
// finance approver who did not request them and whose limit covers them,
// released in a remittance batch (the CSV checked), confirmed paid or
// failed, and each refusal on the way writing nothing: a payment before
// execution, before the recipient signs, with an open condition, with an
// overdue report, beyond the award, approved by its own requester, above
// the approver's limit, to unverified bank details, on a variation not yet
// executed; an award beyond its budget line; both signatures by one person.
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grantflow/payments/v1/payments.grpc.pb.h"
#include "gtest/gtest.h"
#include "platform/money.h"
#include "storage/digest.h"
#include "tests/adversarial/agreement_steps.h"
#include "tests/adversarial/rig.h"

namespace grantflow::testing {
namespace {

namespace gpb = ::grantflow::agreements::v1;
namespace ppb = ::grantflow::payments::v1;
using ::grpc::StatusCode;
using ::testing::Contains;
using ::testing::HasSubstr;

class PaymentsTest : public ::testing::Test, protected AgreementSteps {
 protected:
  PaymentsTest() : AgreementSteps(&rig_) {}
  void SetUp() override {
    SetTemplate();
    officer_ = rig_.minter().Token("fola", {"finance_officer"});
    approver_ = rig_.minter().For({.user = "fatima",
                                   .roles = {"finance_approver"},
                                   .organisation = "",
                                   .limits_pence = {{"pay", 5'000'000}},
                                   .role_funds = {}});
    small_ = rig_.minter().For({.user = "femi",
                                .roles = {"finance_approver"},
                                .organisation = "",
                                .limits_pence = {{"pay", 500'000}},
                                .role_funds = {}});
  }

  std::unique_ptr<ppb::PaymentService::Stub> Pay() {
    return ppb::PaymentService::NewStub(rig_.channel());
  }

  grpc::Status Request(const std::string& token, const std::string& c,
                       const std::string& instalment, int64_t pence = 0,
                       ppb::Payment* out = nullptr) {
    ppb::RequestPaymentRequest req;
    req.set_case_(c);
    req.set_instalment_id(instalment);
    req.set_amount_pence(pence);
    req.set_request_id(Next());
    ppb::Payment ignored;
    return Pay()->RequestPayment(rig_.Ctx(token).get(), req,
                                 out ? out : &ignored);
  }
  grpc::Status Approve(const std::string& token, const std::string& name,
                       ppb::Payment* out = nullptr) {
    ppb::ApprovePaymentRequest req;
    req.set_name(name);
    req.set_request_id(Next());
    ppb::Payment ignored;
    return Pay()->ApprovePayment(rig_.Ctx(token).get(), req,
                                 out ? out : &ignored);
  }
  grpc::Status Release(const std::string& token,
                       ppb::RemittanceBatch* out = nullptr) {
    ppb::ReleasePaymentsRequest req;
    req.set_request_id(Next());
    ppb::RemittanceBatch ignored;
    return Pay()->ReleasePayments(rig_.Ctx(token).get(), req,
                                  out ? out : &ignored);
  }
  grpc::Status Confirm(const std::string& name, ppb::Payment* out = nullptr) {
    ppb::ConfirmPaymentRequest req;
    req.set_name(name);
    req.set_request_id(Next());
    ppb::Payment ignored;
    return Pay()->ConfirmPayment(rig_.Ctx(officer_).get(), req,
                                 out ? out : &ignored);
  }
  grpc::Status ChangeAccount(const std::string& token, const std::string& org,
                             const std::string& number,
                             const std::string& reason = "",
                             ppb::BankAccount* out = nullptr) {
    ppb::ChangeBankAccountRequest req;
    req.set_organisation(org);
    req.mutable_details()->set_account_name("Hackney Family Network");
    req.mutable_details()->set_sort_code("20-00-00");
    req.mutable_details()->set_account_number(number);
    req.set_reason(reason);
    req.set_request_id(Next());
    ppb::BankAccount ignored;
    return Pay()->ChangeBankAccount(rig_.Ctx(token).get(), req,
                                    out ? out : &ignored);
  }
  grpc::Status Verify(const std::string& token, const std::string& org,
                      ppb::BankAccount* out = nullptr) {
    ppb::VerifyBankAccountRequest req;
    req.set_name(absl::StrCat(
        "bankAccounts/", org.substr(std::string("organisations/").size())));
    req.set_etag(Account(req.name()).etag());
    req.set_request_id(Next());
    ppb::BankAccount ignored;
    return Pay()->VerifyBankAccount(rig_.Ctx(token).get(), req,
                                    out ? out : &ignored);
  }
  ppb::BankAccount Account(const std::string& name) {
    ppb::GetBankAccountRequest req;
    req.set_name(name);
    ppb::BankAccount out;
    grpc::Status s = Pay()->GetBankAccount(rig_.Ctx(officer_).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  ppb::Payment Payment(const std::string& name) {
    ppb::GetPaymentRequest req;
    req.set_name(name);
    ppb::Payment out;
    grpc::Status s = Pay()->GetPayment(rig_.Ctx(officer_).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  // Every payment this service holds, in any state.
  int Count() {
    int n = 0;
    for (int state = 1; state <= ppb::Payment::State_MAX; ++state) {
      ppb::ListPaymentsRequest req;
      req.set_state(static_cast<ppb::Payment::State>(state));
      req.set_page_size(1000);
      ppb::ListPaymentsResponse resp;
      EXPECT_TRUE(
          Pay()->ListPayments(rig_.Ctx(officer_).get(), req, &resp).ok());
      n += resp.payments_size();
    }
    return n;
  }

  // Refused with `code` (and `reason`); neither PaymentService's payments
  // nor the case changed.
  void Unchanged(const std::string& what, const std::string& c,
                 const std::function<grpc::Status()>& attempt, StatusCode code,
                 const std::string& reason = "") {
    const int before = Count();
    const std::string etag = rig_.Case(c).etag();
    attacks_.Refused(what, attempt(), code, reason);
    EXPECT_EQ(Count(), before) << what;
    EXPECT_EQ(rig_.Case(c).etag(), etag) << what;
  }

  // 40% on execution, 30% from 2026-06-01, the rest once the interim
  // report (due 2026-07-01) is accepted; a final report after the project.
  static gpb::Terms ThreeInstalments() {
    gpb::Terms t;
    auto* i1 = t.add_instalments();
    i1->set_id("i1");
    i1->set_share_bp(4000);
    i1->set_due(gpb::Instalment::ON_EXECUTION);
    auto* i2 = t.add_instalments();
    i2->set_id("i2");
    i2->set_share_bp(3000);
    i2->set_due(gpb::Instalment::ON_DATE);
    i2->set_due_date("2026-06-01");
    auto* i3 = t.add_instalments();
    i3->set_id("i3");
    i3->set_share_bp(3000);
    i3->set_due(gpb::Instalment::ON_REPORT);
    i3->set_report_id("interim");
    auto* interim = t.add_reports();
    interim->set_id("interim");
    interim->set_title("Interim report");
    interim->set_due_date("2026-07-01");
    auto* final_report = t.add_reports();
    final_report->set_id("final");
    final_report->set_title("Final report");
    final_report->set_due_date("2027-09-30");
    final_report->set_final(true);
    return t;
  }

  grpc::Status SubmitAndAccept(const std::string& agreement,
                               const std::string& report, int64_t spent = 0) {
    gpb::SubmitReportRequest sub;
    sub.set_agreement(agreement);
    sub.set_report_id(report);
    sub.set_narrative("Sixty families came to the cook-and-share evenings.");
    sub.set_spent_pence(spent);
    auto* p = sub.add_progress();
    p->set_indicator("families reached");
    p->set_value(60);
    sub.set_request_id(Next());
    gpb::Agreement ignored;
    grpc::Status s =
        Ag()->SubmitReport(rig_.Ctx(rig_.amira).get(), sub, &ignored);
    if (!s.ok()) return s;
    gpb::ReviewReportRequest rev;
    rev.set_agreement(agreement);
    rev.set_report_id(report);
    rev.set_outcome(gpb::ReviewReportRequest::ACCEPT);
    rev.set_request_id(Next());
    return Ag()->ReviewReport(rig_.Ctx(rig_.officer).get(), rev, &ignored);
  }

  Rig rig_;
  Attacks attacks_{"payments (PaymentService)"};
  std::string officer_, approver_, small_;
};

TEST_F(PaymentsTest, BankDetailsNeedASecondPerson) {
  const std::string org = kHackney;
  ppb::BankAccount acc;
  // Bad details are refused field by field and write nothing.
  ppb::ChangeBankAccountRequest bad;
  bad.set_organisation(org);
  bad.mutable_details()->set_account_name(std::string(141, 'x'));
  bad.mutable_details()->set_sort_code("20-00");
  bad.mutable_details()->set_account_number("1234567a");
  bad.set_request_id(Next());
  grpc::Status s =
      Pay()->ChangeBankAccount(rig_.Ctx(rig_.kofi).get(), bad, &acc);
  attacks_.Refused("bank details that are not bank details", s,
                   StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(FieldsOf(s), Contains("details.account_name"));
  EXPECT_THAT(FieldsOf(s), Contains("details.sort_code"));
  EXPECT_THAT(FieldsOf(s), Contains("details.account_number"));
  bad.mutable_details()->set_account_name("Hackney\nFamily");
  bad.mutable_details()->set_sort_code("200000");
  bad.mutable_details()->set_account_number("12345678");
  attacks_.Refused(
      "an account name with a line break",
      Pay()->ChangeBankAccount(rig_.Ctx(rig_.kofi).get(), bad, &acc),
      StatusCode::INVALID_ARGUMENT);
  attacks_.Refused("another organisation's signatory",
                   ChangeAccount(rig_.tom, org, "12345678"),
                   StatusCode::PERMISSION_DENIED);
  attacks_.Refused(
      "an organisation that does not exist",
      ChangeAccount(rig_.finance, "organisations/nowhere", "12345678"),
      StatusCode::NOT_FOUND);
  rig_.AsEveryOtherRole(attacks_, "recording bank details",
                        {"signatory", "finance_officer"},
                        [&](const std::string& token) {
                          return ChangeAccount(token, org, "12345678");
                        });
  ppb::GetBankAccountRequest get;
  get.set_name("bankAccounts/hackney-families");
  attacks_.Refused("bank details before any are recorded",
                   Pay()->GetBankAccount(rig_.Ctx(officer_).get(), get, &acc),
                   StatusCode::NOT_FOUND);

  // The organisation's signatory records them; they wait for a second
  // person.
  ASSERT_TRUE(ChangeAccount(rig_.kofi, org, "1234 5678", "", &acc).ok());
  EXPECT_EQ(acc.state(), ppb::BankAccount::PENDING_VERIFICATION);
  EXPECT_EQ(acc.proposed().account_number(), "12345678");
  EXPECT_EQ(acc.proposed().sort_code(), "200000");
  EXPECT_FALSE(acc.has_verified());
  attacks_.Refused("another organisation reading them",
                   Pay()->GetBankAccount(rig_.Ctx(rig_.tom).get(), get, &acc),
                   StatusCode::NOT_FOUND);
  ppb::VerifyBankAccountRequest stale;
  stale.set_name(get.name());
  stale.set_etag("0");
  stale.set_request_id(Next());
  attacks_.Refused(
      "verifying details other than those checked",
      Pay()->VerifyBankAccount(rig_.Ctx(approver_).get(), stale, &acc),
      StatusCode::ABORTED);
  rig_.AsEveryOtherRole(
      attacks_, "verifying bank details", {"finance_approver"},
      [&](const std::string& token) { return Verify(token, org); });
  ASSERT_TRUE(Verify(approver_, org, &acc).ok());
  EXPECT_EQ(acc.state(), ppb::BankAccount::VERIFIED);
  EXPECT_EQ(acc.verified().account_number(), "12345678");
  EXPECT_EQ(acc.verified_by(), "fatima");

  // A change of verified details needs a reason, and the recorder may not
  // verify it, whatever roles they hold.
  attacks_.Refused("changing verified details without a reason",
                   ChangeAccount(rig_.finance, org, "87654321"),
                   StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(ChangeAccount(rig_.finance, org, "87654321",
                            "New account letter, confirmed by phone", &acc)
                  .ok());
  EXPECT_EQ(acc.state(), ppb::BankAccount::PENDING_VERIFICATION);
  EXPECT_EQ(acc.verified().account_number(), "12345678") << "still in force";
  const std::string etag = Account(get.name()).etag();
  attacks_.Refused("verifying one's own change", Verify(rig_.finance, org),
                   StatusCode::FAILED_PRECONDITION, "SEPARATION_OF_DUTIES");
  EXPECT_EQ(Account(get.name()).etag(), etag);
  ppb::RejectBankAccountChangeRequest reject;
  reject.set_name(get.name());
  reject.set_reason("The letter's account name does not match.");
  reject.set_request_id(Next());
  ASSERT_TRUE(
      Pay()
          ->RejectBankAccountChange(rig_.Ctx(approver_).get(), reject, &acc)
          .ok());
  EXPECT_EQ(acc.state(), ppb::BankAccount::VERIFIED);
  EXPECT_EQ(acc.verified().account_number(), "12345678");
  EXPECT_FALSE(acc.has_proposed());
  attacks_.Refused("verifying when nothing is proposed", Verify(approver_, org),
                   StatusCode::FAILED_PRECONDITION, "NOTHING_TO_VERIFY");
  EXPECT_GT(attacks_.made(), 30);
}

TEST_F(PaymentsTest, OneGrantFromRecommendationToClosure) {
  // An award beyond its budget line is refused: three awards of £70,000
  // leave £5,000 of grants-b's £215,000.
  for (int i = 0; i < 3; ++i) {
    const std::string c = rig_.NewCase(7'000'000, absl::StrCat("big", i));
    rig_.ToRecommended(c);
    ASSERT_TRUE(
        rig_.Decide(rig_.approver, c, rig_.Award(7'000'000, kLineB)).ok());
  }
  const std::string over = rig_.NewCase(1'000'000, "over");
  rig_.ToRecommended(over);
  Unchanged(
      "an award beyond its budget line", over,
      [&] {
        return rig_.Decide(rig_.approver, over, rig_.Award(1'000'000, kLineB));
      },
      StatusCode::FAILED_PRECONDITION, "BUDGET_EXCEEDED");

  // The grant: £30,000 in three instalments, a due diligence condition
  // raised before the agreement.
  const std::string c = rig_.NewCase(3'000'000, "walk");
  Unchanged(
      "a payment before the award", c,
      [&] { return Request(officer_, c, "i1"); },
      StatusCode::FAILED_PRECONDITION, "AGREEMENT_NOT_EXECUTED");
  rig_.ToChecksPassed(c, 3'000'000);
  wpb::FactPayload cond;
  cond.set_condition_id("insurance");
  cond.set_description("public liability insurance certificate");
  cond.set_condition_source("DUE_DILIGENCE");
  ASSERT_TRUE(rig_.ServiceFact("grace", c, "CONDITION_RAISED", "", cond).ok());
  gpb::DraftAgreementRequest d;
  d.set_case_(c);
  *d.mutable_terms() = ThreeInstalments();
  d.set_request_id(Next());
  gpb::Agreement a;
  ASSERT_TRUE(Ag()->DraftAgreement(rig_.Ctx(rig_.officer).get(), d, &a).ok());
  const std::string name = a.name();
  Unchanged(
      "a payment on a draft agreement", c,
      [&] { return Request(officer_, c, "i1"); },
      StatusCode::FAILED_PRECONDITION, "AGREEMENT_NOT_EXECUTED");
  ASSERT_TRUE(Issue(name, &a).ok());
  Unchanged(
      "a payment before the recipient signs", c,
      [&] { return Request(officer_, c, "i1"); },
      StatusCode::FAILED_PRECONDITION, "AGREEMENT_NOT_EXECUTED");
  ASSERT_TRUE(Sign(rig_.kofi, SignReq(a), &a).ok());
  Unchanged(
      "a payment signed but not countersigned", c,
      [&] { return Request(officer_, c, "i1"); },
      StatusCode::FAILED_PRECONDITION, "AGREEMENT_NOT_EXECUTED");
  // Both signatures by one person: kofi, now holding an approver's role,
  // cannot countersign what he signed for the recipient.
  const std::string kofi_approver =
      rig_.minter().For({.user = "Kofi",
                         .roles = {"approver"},
                         .organisation = "",
                         .limits_pence = {{"approve", 10'000'000}},
                         .role_funds = {}});
  Unchanged(
      "both signatures by one person", c,
      [&] { return Countersign(kofi_approver, SignReq(a)); },
      StatusCode::FAILED_PRECONDITION, "SEPARATION_OF_DUTIES");
  ASSERT_TRUE(Countersign(rig_.approver, SignReq(a), &a).ok());
  ASSERT_EQ(a.state(), gpb::Agreement::EXECUTED);

  // Executed, but the condition is open.
  Unchanged(
      "a payment with a condition open", c,
      [&] { return Request(officer_, c, "i1"); },
      StatusCode::FAILED_PRECONDITION, "CONDITIONS_OPEN");
  ASSERT_TRUE(rig_.ServiceFact("grace", c, "CONDITION_CLEARED", "", cond).ok());

  // Requests: only finance officers, only what is due, never beyond the
  // award or the instalment.
  rig_.AsEveryOtherRole(
      attacks_, "requesting a payment", {"finance_officer"},
      [&](const std::string& token) { return Request(token, c, "i1"); });
  Unchanged(
      "a payment beyond the award", c,
      [&] { return Request(officer_, c, "i1", 3'000'001); },
      StatusCode::FAILED_PRECONDITION, "EXCEEDS_AWARD");
  Unchanged(
      "the largest amount there is", c,
      [&] { return Request(officer_, c, "i1", kMaxAmountPence); },
      StatusCode::FAILED_PRECONDITION, "EXCEEDS_AWARD");
  Unchanged(
      "more than the instalment", c,
      [&] { return Request(officer_, c, "i1", 1'200'001); },
      StatusCode::FAILED_PRECONDITION, "EXCEEDS_INSTALMENT");
  Unchanged(
      "an instalment not yet due", c,
      [&] { return Request(officer_, c, "i2"); },
      StatusCode::FAILED_PRECONDITION, "INSTALMENT_NOT_DUE");
  Unchanged(
      "an instalment waiting for its report", c,
      [&] { return Request(officer_, c, "i3"); },
      StatusCode::FAILED_PRECONDITION, "REPORT_OUTSTANDING");
  Unchanged(
      "an instalment the schedule does not have", c,
      [&] { return Request(officer_, c, "bonus"); },
      StatusCode::FAILED_PRECONDITION, "PAYMENT_NOT_SCHEDULED");
  for (int64_t bad : {int64_t{-1}, kMaxAmountPence + 1,
                      std::numeric_limits<int64_t>::min()}) {
    Unchanged(
        absl::StrCat("an amount of ", bad), c,
        [&] { return Request(officer_, c, "i1", bad); },
        StatusCode::INVALID_ARGUMENT);
  }
  ppb::RequestPaymentRequest huge;
  huge.set_case_(c);
  huge.set_instalment_id("i1");
  huge.set_note(std::string(100'000, 'n'));
  huge.set_request_id(Next());
  ppb::Payment p1;
  Unchanged(
      "a 100 kB note", c,
      [&] {
        return Pay()->RequestPayment(rig_.Ctx(officer_).get(), huge, &p1);
      },
      StatusCode::INVALID_ARGUMENT);

  // Eight finance officers race for the first instalment: one request.
  std::atomic<int> won{0}, lost{0};
  std::vector<std::thread> racers;
  std::vector<std::string> names(8);
  for (int i = 0; i < 8; ++i) {
    racers.emplace_back([&, i] {
      ppb::Payment got;
      grpc::Status s = Request(officer_, c, "i1", 0, &got);
      if (s.ok()) {
        ++won;
        names[i] = got.name();
      } else if (ReasonOf(s) == "INSTALMENT_REQUESTED") {
        ++lost;
      }
    });
  }
  for (auto& t : racers) t.join();
  EXPECT_EQ(won.load(), 1);
  attacks_.Raced("eight requests for one instalment", 7, lost.load());
  for (const std::string& n : names) {
    if (!n.empty()) p1 = Payment(n);
  }
  EXPECT_EQ(p1.amount_pence(), 1'200'000);
  EXPECT_EQ(p1.state(), ppb::Payment::REQUESTED);
  EXPECT_EQ(p1.requested_by(), "fola");
  EXPECT_EQ(p1.agreement_version(), 1);
  EXPECT_EQ(p1.agreement_sha256(), a.versions(0).document_sha256());

  // Approval: not by the requester, within the limit, to verified details.
  rig_.AsEveryOtherRole(
      attacks_, "approving a payment", {"finance_approver"},
      [&](const std::string& token) { return Approve(token, p1.name()); });
  const std::string fola_approver =
      rig_.minter().For({.user = "FOLA",
                         .roles = {"finance_approver"},
                         .organisation = "",
                         .limits_pence = {{"pay", kMaxAmountPence}},
                         .role_funds = {}});
  Unchanged(
      "a payment approved by its own requester", c,
      [&] { return Approve(fola_approver, p1.name()); },
      StatusCode::FAILED_PRECONDITION, "SEPARATION_OF_DUTIES");
  Unchanged(
      "a payment above the approver's limit", c,
      [&] { return Approve(small_, p1.name()); },
      StatusCode::FAILED_PRECONDITION, "DELEGATED_LIMIT_EXCEEDED");
  Unchanged(
      "a payment with no bank details recorded", c,
      [&] { return Approve(approver_, p1.name()); },
      StatusCode::FAILED_PRECONDITION, "BANK_DETAILS_UNVERIFIED");
  ASSERT_TRUE(ChangeAccount(rig_.kofi, kHackney, "12345678").ok());
  Unchanged(
      "a payment to unverified bank details", c,
      [&] { return Approve(approver_, p1.name()); },
      StatusCode::FAILED_PRECONDITION, "BANK_DETAILS_UNVERIFIED");
  ASSERT_TRUE(Verify(rig_.finance, kHackney).ok());
  EXPECT_EQ(Payment(p1.name()).state(), ppb::Payment::REQUESTED);
  ASSERT_TRUE(Approve(approver_, p1.name(), &p1).ok());
  EXPECT_EQ(p1.state(), ppb::Payment::AUTHORIZED);
  EXPECT_EQ(p1.approved_by(), "fatima");
  wpb::Case kase = rig_.Case(c);
  ASSERT_EQ(kase.payments_size(), 1);
  EXPECT_EQ(kase.payments(0).payment_id(),
            p1.name().substr(std::string("payments/").size()));
  EXPECT_EQ(kase.payments(0).authorized_by(), "fatima");
  EXPECT_EQ(kase.payments(0).requested_by(), "fola");
  EXPECT_EQ(kase.payments(0).instalment_id(), "i1");
  EXPECT_EQ(kase.pending_pence(), 1'200'000);
  attacks_.Refused("approving it twice", Approve(approver_, p1.name()),
                   StatusCode::FAILED_PRECONDITION, "PAYMENT_STATE");

  // Release: one batch, the CSV a finance system imports.
  rig_.AsEveryOtherRole(
      attacks_, "releasing payments", {"finance_officer", "finance_approver"},
      [&](const std::string& token) { return Release(token); });
  ppb::RemittanceBatch batch;
  ASSERT_TRUE(Release(officer_, &batch).ok());
  ASSERT_EQ(batch.lines_size(), 1);
  EXPECT_EQ(batch.total_pence(), 1'200'000);
  EXPECT_EQ(batch.lines(0).payee().account_number(), "12345678");
  attacks_.Refused("releasing again with nothing waiting", Release(officer_),
                   StatusCode::FAILED_PRECONDITION, "NOTHING_TO_RELEASE");
  ppb::ExportRemittanceRequest ex;
  ex.set_name(batch.name());
  ppb::RemittanceFile csv;
  ASSERT_TRUE(Pay()->ExportRemittance(rig_.Ctx(officer_).get(), ex, &csv).ok());
  std::vector<std::string> rows = absl::StrSplit(csv.content(), "\r\n");
  ASSERT_EQ(rows.size(), 3u);  // header, one line, the final empty piece
  EXPECT_THAT(rows[0], HasSubstr("sort_code,account_number,amount_gbp"));
  EXPECT_THAT(rows[1], HasSubstr("\"200000\",\"12345678\",12000.00"));
  EXPECT_EQ(csv.sha256(), storage::Sha256Hex(csv.content()));
  p1 = Payment(p1.name());
  EXPECT_EQ(p1.state(), ppb::Payment::RELEASED);
  EXPECT_EQ(p1.batch(), batch.name());
  ASSERT_TRUE(Confirm(p1.name(), &p1).ok());
  EXPECT_EQ(p1.state(), ppb::Payment::PAID);
  kase = rig_.Case(c);
  EXPECT_EQ(kase.paid_pence(), 1'200'000);
  EXPECT_EQ(kase.pending_pence(), 0);
  EXPECT_EQ(rig_.Ledger(kLineA).paid_pence(), 1'200'000);
  attacks_.Refused("confirming it twice", Confirm(p1.name()),
                   StatusCode::FAILED_PRECONDITION, "PAYMENT_STATE");
  Unchanged(
      "the first instalment again", c,
      [&] { return Request(officer_, c, "i1"); },
      StatusCode::FAILED_PRECONDITION, "INSTALMENT_REQUESTED");

  // June: the second instalment is due. A bank details change holds it.
  rig_.clock().Advance(absl::Hours(24 * 32));
  ppb::Payment p2;
  ASSERT_TRUE(Request(rig_.finance, c, "i2", 0, &p2).ok());
  EXPECT_EQ(p2.amount_pence(), 900'000);
  Unchanged(
      "a payment approved by its requester (both roles held)", c,
      [&] { return Approve(rig_.finance, p2.name()); },
      StatusCode::FAILED_PRECONDITION, "SEPARATION_OF_DUTIES");
  ASSERT_TRUE(ChangeAccount(rig_.kofi, kHackney, "11112222",
                            "Moved to a community bank")
                  .ok());
  Unchanged(
      "a payment while a bank details change awaits verification", c,
      [&] { return Approve(approver_, p2.name()); },
      StatusCode::FAILED_PRECONDITION, "BANK_DETAILS_UNVERIFIED");
  ASSERT_TRUE(Verify(approver_, kHackney).ok());
  Unchanged(
      "£9,000 approved by someone who may approve £5,000", c,
      [&] { return Approve(small_, p2.name()); },
      StatusCode::FAILED_PRECONDITION, "DELEGATED_LIMIT_EXCEEDED");
  ASSERT_TRUE(Approve(approver_, p2.name(), &p2).ok());
  // A change after approval holds the release instead.
  ASSERT_TRUE(
      ChangeAccount(rig_.kofi, kHackney, "33334444", "Second new account")
          .ok());
  ppb::RemittanceBatch held;
  grpc::Status none = Release(officer_, &held);
  attacks_.Refused("releasing to unverified bank details", none,
                   StatusCode::FAILED_PRECONDITION, "NOTHING_TO_RELEASE");
  EXPECT_THAT(none.error_message(), HasSubstr(p2.name()));
  EXPECT_EQ(Payment(p2.name()).state(), ppb::Payment::AUTHORIZED);
  ASSERT_TRUE(Verify(approver_, kHackney).ok());
  ASSERT_TRUE(Release(approver_, &batch).ok());
  ASSERT_EQ(batch.lines_size(), 1);
  EXPECT_EQ(batch.lines(0).payee().account_number(), "33334444");
  // The bank returns it: failed, voided in the ledger, requested again.
  ppb::FailPaymentRequest fail;
  fail.set_name(p2.name());
  fail.set_reason("Returned by the bank: account closed");
  fail.set_request_id(Next());
  ASSERT_TRUE(Pay()->FailPayment(rig_.Ctx(officer_).get(), fail, &p2).ok());
  EXPECT_EQ(p2.state(), ppb::Payment::FAILED);
  kase = rig_.Case(c);
  EXPECT_EQ(kase.pending_pence(), 0);
  EXPECT_EQ(kase.paid_pence(), 1'200'000);
  ppb::Payment p2b;
  ASSERT_TRUE(Request(officer_, c, "i2", 0, &p2b).ok());
  EXPECT_EQ(p2b.amount_pence(), 900'000);

  // July: the interim report is overdue; the approval waiting is refused by
  // the engine, and so is any new request.
  rig_.clock().Advance(absl::Hours(24 * 32));
  rig_.Background();
  rig_.Background();
  Unchanged(
      "a payment approved while a report is overdue", c,
      [&] { return Approve(approver_, p2b.name()); },
      StatusCode::FAILED_PRECONDITION, "REPORT_OUTSTANDING");
  EXPECT_EQ(Payment(p2b.name()).state(), ppb::Payment::REQUESTED);
  ASSERT_TRUE(SubmitAndAccept(name, "interim").ok());
  ASSERT_TRUE(Approve(approver_, p2b.name(), &p2b).ok());

  // A variation: half the third instalment becomes a summer programme paid
  // on execution, which is not payable until the variation is executed.
  gpb::DraftAgreementRequest vr;
  vr.set_case_(c);
  vr.set_variation_reason("A summer programme from the same sum");
  gpb::Terms t = ThreeInstalments();
  t.mutable_instalments(2)->set_share_bp(1500);
  auto* summer = t.add_instalments();
  summer->set_id("summer");
  summer->set_share_bp(1500);
  summer->set_due(gpb::Instalment::ON_EXECUTION);
  *vr.mutable_terms() = t;
  vr.set_request_id(Next());
  ASSERT_TRUE(Ag()->DraftAgreement(rig_.Ctx(rig_.officer).get(), vr, &a).ok());
  ASSERT_TRUE(Issue(name, &a).ok());
  Unchanged(
      "a payment on a variation not yet executed", c,
      [&] { return Request(officer_, c, "summer"); },
      StatusCode::FAILED_PRECONDITION, "PAYMENT_NOT_SCHEDULED");
  ASSERT_TRUE(Sign(rig_.kofi, SignReq(a), &a).ok());
  Unchanged(
      "a payment on a variation signed, not countersigned", c,
      [&] { return Request(officer_, c, "summer"); },
      StatusCode::FAILED_PRECONDITION, "PAYMENT_NOT_SCHEDULED");
  ASSERT_TRUE(Countersign(rig_.approver, SignReq(a), &a).ok());
  ASSERT_EQ(a.executed_version(), 2);
  ppb::Payment p3, p4;
  Unchanged(
      "the third instalment at its old size", c,
      [&] { return Request(officer_, c, "i3", 900'000); },
      StatusCode::FAILED_PRECONDITION, "EXCEEDS_INSTALMENT");
  ASSERT_TRUE(Request(officer_, c, "summer", 0, &p4).ok());
  EXPECT_EQ(p4.amount_pence(), 450'000);
  EXPECT_EQ(p4.agreement_version(), 2);
  ASSERT_TRUE(Request(officer_, c, "i3", 0, &p3).ok());
  EXPECT_EQ(p3.amount_pence(), 450'000);
  ASSERT_TRUE(Approve(small_, p3.name()).ok());
  ASSERT_TRUE(Approve(small_, p4.name()).ok());
  ASSERT_TRUE(Release(officer_, &batch).ok());
  EXPECT_EQ(batch.lines_size(), 3);
  EXPECT_EQ(batch.total_pence(), 1'800'000);
  for (const auto& line : batch.lines()) {
    ASSERT_TRUE(Confirm(line.payment()).ok()) << line.payment();
  }
  kase = rig_.Case(c);
  EXPECT_EQ(kase.paid_pence(), 3'000'000);
  EXPECT_EQ(kase.pending_pence(), 0);
  Unchanged(
      "a payment beyond the award once all is paid", c,
      [&] { return Request(officer_, c, "i3", 1); },
      StatusCode::FAILED_PRECONDITION, "EXCEEDS_AWARD");

  // The final report closes the grant; the underspend is to be recovered.
  rig_.clock().Advance(absl::Hours(24 * 30));
  ASSERT_TRUE(SubmitAndAccept(name, "final", 2'900'000).ok());
  a = Get(name);
  EXPECT_EQ(a.state(), gpb::Agreement::CLOSED);
  EXPECT_EQ(a.recover_pence(), 100'000);
  EXPECT_EQ(rig_.Case(c).state(), "CLOSED");
  Unchanged(
      "a payment after closure", c, [&] { return Request(officer_, c, "i3"); },
      StatusCode::FAILED_PRECONDITION, "AGREEMENT_ENDED");
  // Everything survives a restart.
  rig_.Restart();
  EXPECT_EQ(Payment(p1.name()).state(), ppb::Payment::PAID);
  EXPECT_EQ(Count(), 5);  // p1, p2 (failed), its repeat, i3, summer
  EXPECT_GT(attacks_.made(), 60);
}

}  // namespace
}  // namespace grantflow::testing
