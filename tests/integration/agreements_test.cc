// AgreementService through gRPC on a real port, with every service hosted:
// a fund's template, a draft from the application, issue only once the
// checks pass, the recipient's signatory signing the document's hash and a
// funder approver who did not issue it countersigning; each refusal writes
// nothing. Then the executed grant: a variation executed again before its
// terms are paid, monitoring reports returned and accepted, the final one
// closing the grant with the underspend to recover; termination; a lapse
// when the signature deadline passes.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grantflow/agreements/v1/agreements.grpc.pb.h"
#include "gtest/gtest.h"
#include "storage/digest.h"
#include "tests/adversarial/agreement_steps.h"
#include "tests/adversarial/rig.h"

namespace grantflow::testing {
namespace {

namespace gpb = ::grantflow::agreements::v1;
using ::grpc::StatusCode;
using ::testing::Contains;
using ::testing::HasSubstr;

class AgreementsTest : public ::testing::Test, protected AgreementSteps {
 protected:
  AgreementsTest() : AgreementSteps(&rig_) {}
  void SetUp() override {
    gpb::AgreementTemplate out = SetTemplate();
    EXPECT_EQ(out.signature_days(), 28);
  }

  // Refused with `code` (and `reason`), and neither the agreement nor its
  // case changed.
  void Unchanged(const std::string& what, const grpc::Status& s,
                 const std::string& name, StatusCode code,
                 const std::string& reason = "") {
    const std::string before = etags_[name];
    attacks_.Refused(what, s, code, reason);
    EXPECT_EQ(Get(name).etag(), before) << what;
    EXPECT_EQ(rig_.Case(CaseOf(name)).etag(), case_etags_[name]) << what;
  }
  void Remember(const std::string& name) {
    etags_[name] = Get(name).etag();
    case_etags_[name] = rig_.Case(CaseOf(name)).etag();
  }

  // Executes `name`'s latest issued version: kofi signs, ade countersigns.
  gpb::Agreement Executed(const std::string& name) {
    gpb::Agreement a;
    EXPECT_TRUE(Issue(name, &a).ok());
    EXPECT_TRUE(Sign(rig_.kofi, SignReq(a), &a).ok());
    grpc::Status s = Countersign(rig_.approver, SignReq(a), &a);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return a;
  }

  Rig rig_;
  Attacks attacks_{"funding agreements (AgreementService)"};
  std::map<std::string, std::string> etags_, case_etags_;
};

TEST_F(AgreementsTest, DraftIssueSignCountersignWithEachRefusal) {
  // Drafting waits for an approved award.
  const std::string early = rig_.NewCase(3'000'000, "early");
  gpb::DraftAgreementRequest d;
  d.set_case_(early);
  d.set_request_id(Next());
  gpb::Agreement ignored;
  attacks_.Refused(
      "a draft before the award",
      Ag()->DraftAgreement(rig_.Ctx(rig_.officer).get(), d, &ignored),
      StatusCode::FAILED_PRECONDITION, "NOT_AWARDED");

  // The draft's terms come from the application and the template.
  const std::string c = rig_.NewCase(3'000'000, "walk");
  rig_.ToRecommended(c);
  ASSERT_TRUE(rig_.Decide(rig_.approver, c, rig_.Award(3'000'000)).ok());
  rig_.Background();
  d.set_case_(c);
  d.set_request_id(Next());
  gpb::Agreement a;
  ASSERT_TRUE(Ag()->DraftAgreement(rig_.Ctx(rig_.officer).get(), d, &a).ok());
  const std::string name = a.name();
  ASSERT_EQ(a.versions_size(), 1);
  const gpb::Terms& t = a.versions(0).terms();
  EXPECT_EQ(t.maximum_pence(), 3'000'000);
  EXPECT_EQ(t.start_date(), "2026-09-01");
  EXPECT_EQ(t.end_date(), "2027-08-31");
  ASSERT_EQ(t.instalments_size(), 1);
  EXPECT_EQ(t.instalments(0).resolved_pence(), 3'000'000);
  ASSERT_EQ(t.reports_size(), 1);
  EXPECT_EQ(t.reports(0).due_date(), "2027-09-30");
  EXPECT_THAT(t.reports(0).indicators(), Contains("families reached"));
  EXPECT_EQ(a.state(), gpb::Agreement::DRAFTING);

  // Terms that do not hold together are refused field by field.
  gpb::UpdateDraftRequest u;
  u.set_name(name);
  u.set_request_id(Next());
  gpb::Terms* bad = u.mutable_terms();
  bad->set_maximum_pence(3'000'001);
  bad->set_start_date("2027-02-30");
  auto* i1 = bad->add_instalments();
  i1->set_id("i1");
  i1->set_amount_pence(1'000'000);
  i1->set_share_bp(5000);
  i1->set_due(gpb::Instalment::ON_EXECUTION);
  grpc::Status refused =
      Ag()->UpdateDraft(rig_.Ctx(rig_.officer).get(), u, &ignored);
  Remember(name);
  Unchanged("terms that do not hold together", refused, name,
            StatusCode::INVALID_ARGUMENT);
  for (const char* field :
       {"terms.maximum_pence", "terms.start_date", "terms.instalments[0]"}) {
    EXPECT_THAT(FieldsOf(refused), Contains(field));
  }
  // Two instalments: 40% on execution, the rest once the interim report is
  // accepted.
  gpb::Terms* good = u.mutable_terms();
  good->Clear();
  auto* first = good->add_instalments();
  first->set_id("first");
  first->set_share_bp(4000);
  first->set_due(gpb::Instalment::ON_EXECUTION);
  auto* second = good->add_instalments();
  second->set_id("second");
  second->set_share_bp(6000);
  second->set_due(gpb::Instalment::ON_REPORT);
  second->set_report_id("interim");
  auto* interim = good->add_reports();
  interim->set_id("interim");
  interim->set_title("Interim report");
  interim->set_due_date("2027-03-31");
  auto* fin = good->add_reports();
  fin->set_id("final");
  fin->set_title("End of grant report");
  fin->set_due_date("2027-09-30");
  fin->set_final(true);
  u.set_request_id(Next());
  ASSERT_TRUE(Ag()->UpdateDraft(rig_.Ctx(rig_.officer).get(), u, &a).ok());
  EXPECT_EQ(a.versions(0).terms().instalments(0).resolved_pence(), 1'200'000);
  EXPECT_EQ(a.versions(0).terms().instalments(1).resolved_pence(), 1'800'000);

  // Issue waits for due diligence and safeguarding: the engine's reason.
  Remember(name);
  Unchanged("issue before the checks pass", Issue(name), name,
            StatusCode::FAILED_PRECONDITION, "CHECKS_INCOMPLETE");
  ASSERT_TRUE(rig_.ServiceFact("grace", c, "DUE_DILIGENCE_PASSED").ok());
  ASSERT_TRUE(rig_.ServiceFact("sam", c, "SAFEGUARDING_PASSED").ok());
  rig_.AsEveryOtherRole(attacks_, "issuing an agreement", {"grants_officer"},
                        [&](const std::string& token) {
                          gpb::IssueAgreementRequest req;
                          req.set_name(name);
                          req.set_request_id(Next());
                          gpb::Agreement none;
                          return Ag()->IssueAgreement(rig_.Ctx(token).get(),
                                                      req, &none);
                        });
  ASSERT_TRUE(Issue(name, &a).ok());
  const gpb::Version& issued = a.versions(0);
  EXPECT_EQ(issued.state(), gpb::Version::ISSUED);
  EXPECT_EQ(a.state(), gpb::Agreement::AWAITING_SIGNATURE);
  EXPECT_EQ(rig_.Case(c).state(), "AGREEMENT_ISSUED");
  EXPECT_EQ(rig_.Case(c).agreement().document_sha256(),
            issued.document_sha256());

  // The document the recipient reads hashes to what they sign; the HTML
  // carries the same hash.
  gpb::GetDocumentRequest dr;
  dr.set_name(name);
  gpb::Document text, html;
  ASSERT_TRUE(Ag()->GetDocument(rig_.Ctx(rig_.kofi).get(), dr, &text).ok());
  EXPECT_EQ(storage::Sha256Hex(text.content()), issued.document_sha256());
  EXPECT_THAT(text.content(), HasSubstr("£30,000.00"));
  EXPECT_THAT(text.content(), HasSubstr("on acceptance of report 'interim'"));
  EXPECT_THAT(text.content(), HasSubstr("repaid on demand"));
  dr.set_format(gpb::GetDocumentRequest::HTML);
  ASSERT_TRUE(Ag()->GetDocument(rig_.Ctx(rig_.officer).get(), dr, &html).ok());
  EXPECT_THAT(html.content(), HasSubstr(issued.document_sha256()));
  EXPECT_EQ(html.content_type(), "text/html; charset=utf-8");
  // Another organisation's people do not see it at all.
  attacks_.Refused("another organisation reading the agreement",
                   Ag()->GetDocument(rig_.Ctx(rig_.tom).get(), dr, &html),
                   StatusCode::NOT_FOUND);

  // Signatures: refusals first, each writing nothing.
  Remember(name);
  gpb::SignAgreementRequest sign = SignReq(a);
  Unchanged("a payment before the recipient signs",
            rig_.Authorize(rig_.finance, c, "first", 1'200'000), name,
            StatusCode::FAILED_PRECONDITION, "AGREEMENT_NOT_EXECUTED");
  Unchanged("a countersignature before the recipient's",
            Countersign(rig_.approver, sign), name,
            StatusCode::FAILED_PRECONDITION, "VERSION_NOT_SIGNED");
  Unchanged("another organisation's signatory signing", Sign(rig_.tom, sign),
            name, StatusCode::NOT_FOUND);
  Unchanged("an applicant who is not a signatory",
            Sign(rig_.minter().Token("amy", {"signatory"}, kHackney), sign),
            name, StatusCode::PERMISSION_DENIED, "NOT_RECIPIENT_SIGNATORY");
  gpb::SignAgreementRequest other = sign;
  other.set_document_sha256(std::string(64, 'a'));
  Unchanged("a signature on another document", Sign(rig_.kofi, other), name,
            StatusCode::FAILED_PRECONDITION, "DOCUMENT_MISMATCH");
  gpb::SignAgreementRequest no_position = sign;
  no_position.clear_position();
  Unchanged("a signature without the signer's position",
            Sign(rig_.kofi, no_position), name, StatusCode::INVALID_ARGUMENT);
  rig_.AsEveryOtherRole(
      attacks_, "signing for the recipient", {"signatory"},
      [&](const std::string& token) { return Sign(token, sign); });
  ASSERT_TRUE(Sign(rig_.kofi, sign, &a).ok());
  EXPECT_EQ(a.state(), gpb::Agreement::AWAITING_COUNTERSIGNATURE);
  EXPECT_EQ(a.versions(0).recipient().signer(), "kofi");
  EXPECT_EQ(a.versions(0).recipient().position(), "Chair of trustees");
  EXPECT_EQ(a.versions(0).recipient().document_sha256(),
            issued.document_sha256());

  Remember(name);
  Unchanged("a payment before the countersignature",
            rig_.Authorize(rig_.finance, c, "first", 1'200'000), name,
            StatusCode::FAILED_PRECONDITION, "AGREEMENT_NOT_EXECUTED");
  Unchanged("the recipient's signatory countersigning too",
            Countersign(rig_.kofi, sign), name, StatusCode::PERMISSION_DENIED);
  Unchanged("the recipient's signatory, as funder staff, countersigning",
            Countersign(rig_.minter().Approver("KOFI", 7'500'000), sign), name,
            StatusCode::FAILED_PRECONDITION, "SEPARATION_OF_DUTIES");
  const std::string issuer_approver =
      rig_.minter().Token("grace", {"approver", "grants_officer"});
  Unchanged("the issuer countersigning", Countersign(issuer_approver, sign),
            name, StatusCode::FAILED_PRECONDITION, "SEPARATION_OF_DUTIES");
  Unchanged("a countersignature on another document",
            Countersign(rig_.approver, other), name,
            StatusCode::FAILED_PRECONDITION, "DOCUMENT_MISMATCH");
  rig_.AsEveryOtherRole(
      attacks_, "countersigning", {"approver"},
      [&](const std::string& token) { return Countersign(token, sign); });
  ASSERT_TRUE(Countersign(rig_.approver, sign, &a).ok());
  EXPECT_EQ(a.state(), gpb::Agreement::EXECUTED);
  EXPECT_EQ(a.executed_version(), 1);
  EXPECT_EQ(a.versions(0).funder().signer(), "ade");
  ASSERT_EQ(a.reports_size(), 2);
  const wpb::Case executed = rig_.Case(c);
  EXPECT_EQ(executed.state(), "ACTIVE");
  EXPECT_TRUE(executed.agreement().executed());
  EXPECT_EQ(executed.schedule_size(), 2);
  EXPECT_EQ(rig_.Ledger(kLineA).committed_pence(), 3'000'000);
  // The first instalment is payable; the second waits for its report.
  EXPECT_TRUE(rig_.Authorize(rig_.finance, c, "first", 1'200'000).ok());
  attacks_.Refused("the second instalment before its report",
                   rig_.Authorize(rig_.finance, c, "second", 1'800'000),
                   StatusCode::FAILED_PRECONDITION, "REPORT_OUTSTANDING");
  // Kept across a restart, and the document still hashes the same.
  rig_.Restart();
  EXPECT_EQ(Get(name).SerializeAsString(), a.SerializeAsString());
  dr.set_format(gpb::GetDocumentRequest::TEXT);
  ASSERT_TRUE(Ag()->GetDocument(rig_.Ctx(rig_.kofi).get(), dr, &text).ok());
  EXPECT_EQ(storage::Sha256Hex(text.content()), issued.document_sha256());
}

TEST_F(AgreementsTest, VariationsReportsAndClosure) {
  gpb::Agreement a;
  const std::string name = Drafted(2'000'000, "vary", &a);
  const std::string c = CaseOf(name);
  a = Executed(name);
  ASSERT_TRUE(rig_.Authorize(rig_.finance, c, "i1", 1'000'000).ok());
  ASSERT_TRUE(rig_.Confirm(rig_.finance, c, "i1").ok());
  // A variation: a reason is required, payments made keep their places.
  gpb::DraftAgreementRequest vr;
  vr.set_case_(c);
  vr.set_request_id(Next());
  gpb::Agreement ignored;
  grpc::Status no_reason =
      Ag()->DraftAgreement(rig_.Ctx(rig_.officer).get(), vr, &ignored);
  attacks_.Refused("a variation without a reason", no_reason,
                   StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(FieldsOf(no_reason), Contains("variation_reason"));
  vr.set_variation_reason("A second instalment for the summer programme.");
  gpb::Terms* t = vr.mutable_terms();
  auto* kept = t->add_instalments();
  kept->set_id("i1");
  kept->set_amount_pence(1'000'000);
  kept->set_due(gpb::Instalment::ON_EXECUTION);
  auto* summer = t->add_instalments();
  summer->set_id("summer");
  summer->set_amount_pence(1'000'000);
  summer->set_due(gpb::Instalment::ON_EXECUTION);
  vr.set_request_id(Next());
  ASSERT_TRUE(Ag()->DraftAgreement(rig_.Ctx(rig_.officer).get(), vr, &a).ok());
  ASSERT_EQ(a.versions_size(), 2);
  ASSERT_TRUE(Issue(name, &a).ok());
  EXPECT_EQ(a.state(), gpb::Agreement::EXECUTED) << "v1 stays in force";
  // The variation's new instalment is not payable until it is executed.
  attacks_.Refused("a payment on a variation not yet executed",
                   rig_.Authorize(rig_.finance, c, "summer", 1'000'000),
                   StatusCode::FAILED_PRECONDITION, "PAYMENT_NOT_SCHEDULED");
  ASSERT_TRUE(Sign(rig_.kofi, SignReq(a), &a).ok());
  attacks_.Refused("a payment on a variation signed but not countersigned",
                   rig_.Authorize(rig_.finance, c, "summer", 1'000'000),
                   StatusCode::FAILED_PRECONDITION, "PAYMENT_NOT_SCHEDULED");
  ASSERT_TRUE(Countersign(rig_.approver, SignReq(a), &a).ok());
  EXPECT_EQ(a.executed_version(), 2);
  EXPECT_EQ(a.versions(0).state(), gpb::Version::SUPERSEDED);
  EXPECT_EQ(rig_.Case(c).agreement().version(), 2);

  // Reports: the recipient submits progress on exactly the indicators
  // asked; an officer returns it, then accepts it.
  gpb::SubmitReportRequest sub;
  sub.set_agreement(name);
  sub.set_report_id("final");
  sub.set_narrative("Forty families joined the Saturday sessions.");
  sub.set_spent_pence(1'500'000);
  sub.set_request_id(Next());
  grpc::Status missing =
      Ag()->SubmitReport(rig_.Ctx(rig_.amira).get(), sub, &ignored);
  attacks_.Refused("a report without its indicators", missing,
                   StatusCode::INVALID_ARGUMENT);
  auto* p = sub.add_progress();
  p->set_indicator("families reached");
  p->set_value(40);
  sub.set_request_id(Next());
  attacks_.Refused("another organisation submitting the report",
                   Ag()->SubmitReport(rig_.Ctx(rig_.tom).get(), sub, &ignored),
                   StatusCode::NOT_FOUND);
  sub.set_request_id(Next());
  ASSERT_TRUE(Ag()->SubmitReport(rig_.Ctx(rig_.amira).get(), sub, &a).ok());
  gpb::ReviewReportRequest rev;
  rev.set_agreement(name);
  rev.set_report_id("final");
  rev.set_outcome(gpb::ReviewReportRequest::RETURN);
  rev.set_request_id(Next());
  attacks_.Refused(
      "returning a report without a note",
      Ag()->ReviewReport(rig_.Ctx(rig_.officer).get(), rev, &ignored),
      StatusCode::INVALID_ARGUMENT);
  rev.set_note("Please say how many families were new to the borough.");
  rev.set_request_id(Next());
  ASSERT_TRUE(Ag()->ReviewReport(rig_.Ctx(rig_.officer).get(), rev, &a).ok());
  EXPECT_EQ(a.reports(0).state(), gpb::MonitoringReport::RETURNED);
  sub.set_request_id(Next());
  ASSERT_TRUE(Ag()->SubmitReport(rig_.Ctx(rig_.amira).get(), sub, &a).ok());
  EXPECT_EQ(a.reports(0).submissions(), 2);
  // Accepting the final report closes the grant; what was paid and not
  // spent is to be recovered; the unpaid remainder goes back to the line.
  rev.set_outcome(gpb::ReviewReportRequest::ACCEPT);
  rev.clear_note();
  rev.set_request_id(Next());
  ASSERT_TRUE(Ag()->ReviewReport(rig_.Ctx(rig_.officer).get(), rev, &a).ok());
  EXPECT_EQ(a.state(), gpb::Agreement::CLOSED);
  const wpb::Case closed = rig_.Case(c);
  EXPECT_EQ(closed.state(), "CLOSED");
  EXPECT_EQ(a.recover_pence(),
            std::max<int64_t>(0, closed.paid_pence() - 1'500'000));
  attacks_.Refused("a payment after closure",
                   rig_.Authorize(rig_.finance, c, "summer", 1'000'000),
                   StatusCode::FAILED_PRECONDITION, "CASE_CLOSED");
}

TEST_F(AgreementsTest, TerminationAndLapse) {
  const std::string name = Drafted(2'000'000, "stop");
  Executed(name);
  gpb::TerminateAgreementRequest term;
  term.set_name(name);
  term.set_reason("The project did not start.");
  term.set_recover_pence(1);
  term.set_request_id(Next());
  gpb::Agreement a;
  grpc::Status over =
      Ag()->TerminateAgreement(rig_.Ctx(rig_.approver).get(), term, &a);
  attacks_.Refused("recovering more than was paid", over,
                   StatusCode::INVALID_ARGUMENT);
  term.set_recover_pence(0);
  term.set_request_id(Next());
  rig_.AsEveryOtherRole(
      attacks_, "terminating", {"approver"}, [&](const std::string& token) {
        gpb::Agreement ignored;
        return Ag()->TerminateAgreement(rig_.Ctx(token).get(), term, &ignored);
      });
  term.set_request_id(Next());
  ASSERT_TRUE(
      Ag()->TerminateAgreement(rig_.Ctx(rig_.approver).get(), term, &a).ok());
  EXPECT_EQ(a.state(), gpb::Agreement::TERMINATED);
  EXPECT_EQ(rig_.Case(CaseOf(name)).state(), "TERMINATED");
  attacks_.Refused("a payment after termination",
                   rig_.Authorize(rig_.finance, CaseOf(name), "i1", 1),
                   StatusCode::FAILED_PRECONDITION, "CASE_CLOSED");

  // Not signed in time: a reminder a week before, then the engine lapses
  // the award and the agreement lapses with it.
  const std::string late = Drafted(1'500'000, "late");
  ASSERT_TRUE(Issue(late).ok());
  rig_.clock().Advance(absl::Hours(24 * 22));
  rig_.Background();
  a = Get(late);
  ASSERT_EQ(a.reminders_size(), 1);
  EXPECT_THAT(a.reminders(0).text(), HasSubstr("or the award lapses"));
  rig_.Background();
  EXPECT_EQ(Get(late).reminders_size(), 1) << "reminded once";
  rig_.clock().Advance(absl::Hours(24 * 7));
  rig_.Background();
  rig_.Background();
  EXPECT_EQ(rig_.Case(CaseOf(late)).state(), "LAPSED");
  a = Get(late);
  EXPECT_EQ(a.state(), gpb::Agreement::LAPSED);
  EXPECT_EQ(a.versions(0).state(), gpb::Version::SUPERSEDED);
  EXPECT_EQ(rig_.Ledger(kLineA).reserved_pence(), 0);
}

}  // namespace
}  // namespace grantflow::testing
