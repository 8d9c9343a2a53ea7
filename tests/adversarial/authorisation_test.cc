// The authorisation matrix, attacked from outside: every RPC of every
// service is called over gRPC as every role (and with no token), and the
// answer is checked against the one authorisation table
// (services/common/authz.cc). Then the resource rules the table cannot say:
// an organisation's people reach only their own organisation's records,
// roles scoped to a fund act only in that fund, equality answers appear in
// no answer but the applicant's own and the aggregate report.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "grantflow/agreements/v1/agreements.pb.h"
#include "grantflow/assessment/v1/assessment.pb.h"
#include "grantflow/awards/v1/awards.pb.h"
#include "grantflow/duediligence/v1/duediligence.pb.h"
#include "grantflow/payments/v1/payments.pb.h"
#include "grantflow/reports/v1/reports.pb.h"
#include "grantflow/safeguarding/v1/safeguarding.pb.h"
#include "gtest/gtest.h"
#include "platform/auth.h"
#include "platform/money.h"
#include "services/common/authz.h"
#include "services/grantflowd/server.h"
#include "tests/adversarial/agreement_steps.h"
#include "tests/adversarial/over_grpc.h"
#include "tests/adversarial/rig.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/temp_dir.h"

namespace grantflow {
namespace {

using testing::CallRaw;
using testing::EveryMethod;
using testing::IdOf;
using testing::Ok;
using testing::OverGrpcTest;
using testing::Rig;
namespace ppb = ::grantflow::programmes::v1;

// The audit entries of every service's store: every state change writes one
// in the same batch (R8), so equal counts mean nothing was written.
std::map<std::string, uint64_t> AuditCounts(const std::string& data_dir) {
  std::map<std::string, uint64_t> out;
  for (const auto& [name, full] : HostableServices()) {
    auto store = testing::OpenStore(absl::StrCat(data_dir, "/", name));
    if (store != nullptr) out[name] = testing::AuditCount(*store);
  }
  return out;
}

bool Allowed(const std::string& method, const std::string& role) {
  auto it = authz::Table().find(method);
  if (it == authz::Table().end()) return false;
  return std::find(it->second.begin(), it->second.end(), role) !=
         it->second.end();
}

TEST(AuthorisationMatrixTest, EveryRpcAsEveryRoleFollowsTheTable) {
  testing::TempDir dir;
  const std::map<std::string, uint64_t> before = [&] {
    Rig seeded(dir.path(), "seed-", /*seed=*/true);
    seeded.Stop();
    return AuditCounts(dir.path());
  }();
  ASSERT_FALSE(before.empty());

  Rig rig(dir.path(), "matrix-", /*seed=*/false);
  const auto methods = EveryMethod();
  const auto roles = rig.EveryRole();
  int pairs = 0, allowed = 0, denied = 0;
  for (const auto& [method, descriptor] : methods) {
    // Every RPC is in the table (default deny would hide a forgotten one).
    EXPECT_TRUE(authz::Table().contains(method)) << method;
    for (const auto& [role, token] : roles) {
      // An empty request: whatever the role may do, it names nothing, so an
      // allowed call is refused for its fields, never for its caller.
      grpc::Status s = CallRaw(rig.channel(), method, "", token);
      const std::string who = role.empty() ? "no token" : role;
      ++pairs;
      if (role.empty()) {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << method << " as " << who;
        ++denied;
      } else if (Allowed(method, role)) {
        EXPECT_FALSE(s.error_code() == grpc::StatusCode::PERMISSION_DENIED &&
                     testing::ReasonOf(s) == "ROLE_NOT_PERMITTED")
            << method << " as " << who << ": " << s.error_message();
        EXPECT_NE(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << method << " as " << who;
        ++allowed;
      } else {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << method << " as " << who << ": " << s.error_message();
        EXPECT_EQ(testing::ReasonOf(s), "ROLE_NOT_PERMITTED")
            << method << " as " << who;
        ++denied;
      }
    }
  }
  rig.Stop();
  EXPECT_EQ(AuditCounts(dir.path()), before)
      << "a refused or empty call wrote something";
  EXPECT_EQ(methods.size(), authz::Table().size())
      << "the table lists a method no service has";
  EXPECT_EQ(roles.size(), auth::KnownRoles().size() + 1);
  std::cout << "authorisation matrix: " << pairs << " (RPC, role) pairs ("
            << methods.size() << " RPCs x " << roles.size() - 1
            << " roles + no token): " << allowed << " allowed, " << denied
            << " refused, as the table says\n";
}

constexpr char kCsFund[] = "funds/culture-seeds";
constexpr char kCsRound[] = "funds/culture-seeds/rounds/open";
constexpr char kCsLine[] = "funds/culture-seeds/budgetLines/cs-a";

// Two funds (the family fund and Culture Seeds) with an executed agreement
// in each, and funder staff whose roles hold in the family fund only.
class FundScopeTest : public OverGrpcTest {
 protected:
  FundScopeTest() : OverGrpcTest("roles scoped to funds") {}

  void SetUp() override {
    ppb::Fund fund = testing::ValidFund();
    fund.set_display_name("Culture Seeds");
    ASSERT_TRUE(Ok(Call("programmes.v1.ProgrammeService/CreateFund",
                        "fund_id: 'culture-seeds' request_id: 'cs'", rig_.admin,
                        nullptr, &fund)));
    ppb::BudgetLine line = testing::ValidBudgetLine(21'500'000);
    ASSERT_TRUE(
        Ok(Call("programmes.v1.ProgrammeService/CreateBudgetLine",
                absl::StrCat("parent: '", kCsFund,
                             "' budget_line_id: 'cs-a' request_id: 'l'"),
                rig_.admin, nullptr, &line)));
    ppb::Round round = testing::ValidRound(
        testing::TestEpoch() - absl::Hours(24),
        testing::TestEpoch() + absl::Hours(24 * 30), {kCsLine});
    ASSERT_TRUE(Ok(Call("programmes.v1.ProgrammeService/CreateRound",
                        absl::StrCat("parent: '", kCsFund,
                                     "' round_id: 'open' request_id: 'r'"),
                        rig_.admin, nullptr, &round)));
    SetTemplate();
    SetTemplate(kCsFund);
    auto lff_only = [&](const std::string& user, std::vector<std::string> roles,
                        std::map<std::string, int64_t> limits = {}) {
      auth::Principal p{.user = user,
                        .roles = roles,
                        .organisation = "",
                        .limits_pence = std::move(limits),
                        .role_funds = {}};
      for (const std::string& r : roles) p.role_funds[r] = {"funds/lff"};
      return rig_.minter().For(p);
    };
    officer_ = lff_only("gill", {"grants_officer"});
    approver_ = lff_only("abe", {"approver"}, {{"approve", kMaxAmountPence}});
    finance_officer_ = lff_only("flo", {"finance_officer"});
    finance_approver_ =
        lff_only("fay", {"finance_approver"}, {{"pay", kMaxAmountPence}});
    safeguarding_ = lff_only("sue", {"safeguarding_officer"});
    auditor_ = lff_only("aud", {"auditor"});
    assessor_ = lff_only("asa", {"assessor"});
  }

  // An attempt on the other fund's records: PERMISSION_DENIED,
  // ROLE_NOT_IN_FUND.
  void Denied(const std::string& what, const grpc::Status& s) {
    attacks_.Refused(what, s, grpc::StatusCode::PERMISSION_DENIED,
                     "ROLE_NOT_IN_FUND");
  }
  std::string officer_, approver_, finance_officer_, finance_approver_,
      safeguarding_, auditor_, assessor_;
};

TEST_F(FundScopeTest, StaffOfOneFundReachNothingOfAnother) {
  agreements::v1::Agreement lff_a, cs_a;
  const std::string lff = Drafted(2'000'000, "lff", &lff_a);
  const std::string cs =
      Drafted(2'000'000, "cs", &cs_a, nullptr, kCsRound, kCsLine);
  Executed(lff);
  Executed(cs);
  rig_.Background();
  const std::string lff_case = CaseOf(lff), cs_case = CaseOf(cs);
  const auto name = [](const std::string& n) {
    return absl::StrCat("name: '", n, "'");
  };

  // The engine: cases, history, ledger.
  for (const std::string* who : {&officer_, &auditor_, &approver_}) {
    Denied("a case of another fund",
           Call("workflow.v1.WorkflowService/GetCase", name(cs_case), *who));
    EXPECT_TRUE(
        Ok(Call("workflow.v1.WorkflowService/GetCase", name(lff_case), *who)));
  }
  Denied(
      "another fund's case history",
      Call("workflow.v1.WorkflowService/GetHistory", name(cs_case), auditor_));
  Denied("another fund's ledger line",
         Call("workflow.v1.WorkflowService/GetLedgerLine", name(kCsLine),
              auditor_));
  EXPECT_TRUE(Ok(Call("workflow.v1.WorkflowService/GetLedgerLine",
                      name(testing::kLineA), auditor_)));
  Denied("another fund's dashboard",
         Call("workflow.v1.WorkflowService/GetFundDashboard",
              absl::StrCat("fund: '", kCsFund, "'"), auditor_));
  EXPECT_TRUE(Ok(Call("workflow.v1.WorkflowService/GetFundDashboard",
                      "fund: 'funds/lff'", auditor_)));
  Denied("another fund's outcomes",
         Call("agreements.v1.AgreementService/GetOutcomes",
              absl::StrCat("fund: '", kCsFund, "'"), auditor_));
  EXPECT_TRUE(Ok(Call("agreements.v1.AgreementService/GetOutcomes",
                      "fund: 'funds/lff'", auditor_)));
  for (const char* m :
       {"ListGrants", "ExportGrantRegister", "Export360Giving"}) {
    Denied(absl::StrCat("another fund's ", m),
           Call(absl::StrCat("reports.v1.ReportService/", m),
                absl::StrCat("fund: '", kCsFund, "'"), auditor_));
  }
  reports::v1::ListGrantsResponse grants;
  ASSERT_TRUE(Ok(Call("reports.v1.ReportService/ListGrants",
                      "fund: 'funds/lff'", auditor_, &grants)));
  ASSERT_EQ(grants.grants_size(), 1);
  EXPECT_EQ(grants.grants(0).grant(), "awards/" + IdOf(lff_case));
  EXPECT_EQ(grants.grants(0).status(), "ACTIVE");
  workflow::v1::ListCasesResponse cases;
  ASSERT_TRUE(
      Ok(Call("workflow.v1.WorkflowService/ListCases", "", auditor_, &cases)));
  EXPECT_GE(cases.cases_size(), 1);
  for (const auto& c : cases.cases()) EXPECT_EQ(c.fund(), "funds/lff");
  workflow::v1::ListLedgerResponse ledger;
  ASSERT_TRUE(Ok(
      Call("workflow.v1.WorkflowService/ListLedger", "", auditor_, &ledger)));
  for (const auto& l : ledger.lines()) {
    EXPECT_TRUE(absl::StartsWith(l.name(), "funds/lff/")) << l.name();
  }

  // Programmes: the other fund's terms are not theirs to change.
  Denied("changing another fund",
         Call("programmes.v1.ProgrammeService/UpdateFund",
              absl::StrCat("fund { name: '", kCsFund,
                           "' display_name: 'Mine now' } update_mask { paths: "
                           "'display_name' } request_id: 'f1'"),
              officer_));
  Denied("changing another fund's round",
         Call("programmes.v1.ProgrammeService/UpdateRound",
              absl::StrCat("round { name: '", kCsRound,
                           "' display_name: 'Mine now' } update_mask { paths: "
                           "'display_name' } request_id: 'r1'"),
              officer_));
  EXPECT_TRUE(Ok(Call("programmes.v1.ProgrammeService/UpdateRound",
                      absl::StrCat("round { name: '", testing::kOpenRound,
                                   "' display_name: 'Family Fund, open' } "
                                   "update_mask { paths: 'display_name' } "
                                   "request_id: 'r2'"),
                      officer_)));

  // Applications and assessments.
  Denied("another fund's application",
         Call("applications.v1.ApplicationService/GetApplication",
              name("applications/" + IdOf(cs_case)), officer_));
  applications::v1::ListApplicationsResponse apps;
  ASSERT_TRUE(Ok(Call("applications.v1.ApplicationService/ListApplications", "",
                      officer_, &apps)));
  EXPECT_GE(apps.applications_size(), 1);
  for (const auto& a : apps.applications()) {
    EXPECT_TRUE(absl::StartsWith(a.round(), "funds/lff/")) << a.round();
  }
  Denied("another fund's assessment",
         Call("assessment.v1.AssessmentService/GetAssessment",
              name("assessments/" + IdOf(cs_case)), officer_));
  Denied("another fund's assessments listed",
         Call("assessment.v1.AssessmentService/ListAssessments",
              absl::StrCat("round: '", kCsRound, "'"), officer_));
  Denied("another fund's ranking",
         Call("assessment.v1.AssessmentService/GetRanking",
              absl::StrCat("round: '", kCsRound, "'"), approver_));

  // Checks: due diligence and safeguarding, open on an award in each fund.
  const std::string lff_chk = rig_.NewCase(2'000'000, "lff-c");
  const std::string cs_chk = rig_.NewCase(2'000'000, "cs-c", kCsRound);
  rig_.ToRecommended(lff_chk);
  rig_.ToRecommended(cs_chk);
  ASSERT_TRUE(Ok(rig_.Decide(rig_.approver, lff_chk,
                             rig_.Award(2'000'000, testing::kLineA))));
  ASSERT_TRUE(
      Ok(rig_.Decide(rig_.approver, cs_chk, rig_.Award(2'000'000, kCsLine))));
  rig_.Background();
  const std::string lff_id = IdOf(lff_chk), cs_id = IdOf(cs_chk);
  const auto dd = "duediligence.v1.DueDiligenceService/";
  const auto sg = "safeguarding.v1.SafeguardingService/";
  ASSERT_TRUE(Ok(Call(absl::StrCat(dd, "GetCheck"),
                      name("dueDiligenceChecks/" + cs_id), rig_.officer)));
  Denied("another fund's due diligence",
         Call(absl::StrCat(dd, "GetCheck"), name("dueDiligenceChecks/" + cs_id),
              officer_));
  EXPECT_TRUE(Ok(Call(absl::StrCat(dd, "GetCheck"),
                      name("dueDiligenceChecks/" + lff_id), officer_)));
  ASSERT_TRUE(Ok(Call(absl::StrCat(sg, "GetCheck"),
                      name("safeguardingChecks/" + cs_id), rig_.safeguarding)));
  Denied("another fund's safeguarding details",
         Call(absl::StrCat(sg, "GetCheck"), name("safeguardingChecks/" + cs_id),
              safeguarding_));
  Denied("another fund's DBS records",
         Call(absl::StrCat(sg, "ListDbsRecords"),
              absl::StrCat("check: 'safeguardingChecks/", cs_id, "'"),
              safeguarding_));
  EXPECT_TRUE(Ok(Call(absl::StrCat(sg, "GetCheck"),
                      name("safeguardingChecks/" + lff_id), safeguarding_)));

  // Awards and agreements.
  Denied("another fund's award", Call("awards.v1.AwardService/GetAward",
                                      name("awards/" + cs_id), auditor_));
  awards::v1::ListAwardsResponse awards;
  ASSERT_TRUE(Ok(Call("awards.v1.AwardService/ListAwards", "state: APPROVED",
                      auditor_, &awards)));
  ASSERT_EQ(awards.awards_size(), 2);  // the agreement's and the checks'
  for (const auto& a : awards.awards()) {
    EXPECT_EQ(a.round(), testing::kOpenRound);
  }
  const auto ag = "agreements.v1.AgreementService/";
  Denied("another fund's agreement",
         Call(absl::StrCat(ag, "GetAgreement"), name(cs), officer_));
  Denied("another fund's agreement document",
         Call(absl::StrCat(ag, "GetDocument"), name(cs), officer_));
  Denied("another fund's template",
         Call(absl::StrCat(ag, "GetTemplate"),
              name(absl::StrCat(kCsFund, "/agreementTemplate")), officer_));
  EXPECT_TRUE(Ok(Call(absl::StrCat(ag, "GetTemplate"),
                      name("funds/lff/agreementTemplate"), officer_)));
  Denied(
      "terminating another fund's agreement",
      Call(absl::StrCat(ag, "TerminateAgreement"),
           absl::StrCat(name(cs), " reason: 'no' request_id: 't'"), approver_));
  agreements::v1::ListAgreementsResponse agreements;
  ASSERT_TRUE(Ok(Call(absl::StrCat(ag, "ListAgreements"), "state: EXECUTED",
                      officer_, &agreements)));
  ASSERT_EQ(agreements.agreements_size(), 1);
  EXPECT_EQ(agreements.agreements(0).name(), lff);

  // Payments: bank details are the organisation's (every fund's), verified.
  const auto pay = "payments.v1.PaymentService/";
  ASSERT_TRUE(
      Ok(Call(absl::StrCat(pay, "ChangeBankAccount"),
              absl::StrCat("organisation: '", testing::kHackney,
                           "' details { account_name: 'Hackney Family "
                           "Network' sort_code: '20-00-00' "
                           "account_number: '55779911' } request_id: 'b'"),
              rig_.kofi)));
  payments::v1::BankAccount account;
  ASSERT_TRUE(
      Ok(Call(absl::StrCat(pay, "GetBankAccount"),
              name("bankAccounts/hackney-families"), rig_.finance, &account)));
  ASSERT_TRUE(Ok(Call(absl::StrCat(pay, "VerifyBankAccount"),
                      absl::StrCat(name(account.name()), " etag: '",
                                   account.etag(), "' request_id: 'v'"),
                      rig_.finance)));
  const auto request = [&](const std::string& c, const std::string& rid) {
    return absl::StrCat("case: '", c, "' instalment_id: 'i1' request_id: '",
                        rid, "'");
  };
  Denied("asking to pay another fund's grant",
         Call(absl::StrCat(pay, "RequestPayment"), request(cs_case, "p1"),
              finance_officer_));
  payments::v1::Payment lff_pay, cs_pay;
  ASSERT_TRUE(Ok(Call(absl::StrCat(pay, "RequestPayment"),
                      request(lff_case, "p2"), finance_officer_, &lff_pay)));
  ASSERT_TRUE(Ok(Call(absl::StrCat(pay, "RequestPayment"),
                      request(cs_case, "p3"), rig_.finance, &cs_pay)));
  Denied("approving another fund's payment",
         Call(absl::StrCat(pay, "ApprovePayment"),
              absl::StrCat(name(cs_pay.name()), " request_id: 'a1'"),
              finance_approver_));
  Denied("reading another fund's payment",
         Call(absl::StrCat(pay, "GetPayment"), name(cs_pay.name()),
              finance_approver_));
  payments::v1::ListPaymentsResponse requested;
  ASSERT_TRUE(Ok(Call(absl::StrCat(pay, "ListPayments"), "state: REQUESTED",
                      finance_approver_, &requested)));
  ASSERT_EQ(requested.payments_size(), 1);
  EXPECT_EQ(requested.payments(0).name(), lff_pay.name());
  // A remittance batch pays every fund's grants at once.
  Denied("releasing a batch across funds",
         Call(absl::StrCat(pay, "ReleasePayments"), "request_id: 'rel'",
              finance_officer_));
  Denied("listing batches across funds",
         Call(absl::StrCat(pay, "ListRemittanceBatches"), "state: RELEASED",
              finance_officer_));
  ASSERT_TRUE(Ok(Call(absl::StrCat(pay, "ApprovePayment"),
                      absl::StrCat(name(lff_pay.name()), " request_id: 'a2'"),
                      finance_approver_)));
  // The other fund's payment is untouched by all of it.
  payments::v1::Payment still;
  ASSERT_TRUE(Ok(Call(absl::StrCat(pay, "GetPayment"), name(cs_pay.name()),
                      rig_.finance, &still)));
  EXPECT_EQ(still.state(), payments::v1::Payment::REQUESTED);
  EXPECT_EQ(rig_.Case(cs_case).paid_pence(), 0);
  EXPECT_EQ(rig_.Case(cs_case).pending_pence(), 0);
}

TEST_F(FundScopeTest, DecisionsAndSignaturesStayInTheirFund) {
  // A recommendation in each fund: the family fund's approver decides only
  // the family fund's.
  const std::string lff_case = rig_.NewCase(2'000'000, "lff-d");
  const std::string cs_case = rig_.NewCase(2'000'000, "cs-d", kCsRound);
  rig_.ToRecommended(lff_case);
  rig_.ToRecommended(cs_case);
  const auto decide = [&](const std::string& c, const std::string& line,
                          const std::string& rid) {
    return absl::StrCat("case: '", c,
                        "' decision: AWARD amount_pence: 2000000 "
                        "allocations { budget_line: '",
                        line,
                        "' amount_pence: 2000000 } rationale: 'Strong bid' "
                        "request_id: '",
                        rid, "'");
  };
  const std::string cs_before = rig_.Case(cs_case).etag();
  Denied("deciding another fund's award",
         Call("awards.v1.AwardService/DecideAward",
              decide(cs_case, kCsLine, "d1"), approver_));
  EXPECT_EQ(rig_.Case(cs_case).state(), "RECOMMENDED");
  EXPECT_EQ(rig_.Case(cs_case).etag(), cs_before);
  ASSERT_TRUE(Ok(Call("awards.v1.AwardService/DecideAward",
                      decide(lff_case, testing::kLineA, "d2"), approver_)));
  EXPECT_EQ(rig_.Case(lff_case).state(), "AWARD_APPROVED");

  // The engine itself refuses the scoped approver's decision when a
  // service records it for them.
  const std::string cs2 = rig_.NewCase(2'000'000, "cs-e", kCsRound);
  rig_.ToRecommended(cs2);
  Denied("the engine, for a person scoped to another fund",
         rig_.ActingFact(approver_, cs2, "AWARD_APPROVED",
                         rig_.Award(2'000'000, kCsLine)));
  EXPECT_EQ(rig_.Case(cs2).state(), "RECOMMENDED");

  // The funder's countersignature on another fund's agreement.
  SetTemplate();
  SetTemplate(kCsFund);
  agreements::v1::Agreement a;
  const std::string cs =
      Drafted(2'000'000, "cs-s", &a, nullptr, kCsRound, kCsLine);
  ASSERT_TRUE(Issue(cs, &a).ok());
  ASSERT_TRUE(Sign(rig_.kofi, SignReq(a), &a).ok());
  Denied("countersigning another fund's agreement",
         Countersign(approver_, SignReq(a)));
  EXPECT_EQ(Get(cs).executed_version(), 0);
  ASSERT_TRUE(Countersign(rig_.approver, SignReq(a)).ok());
  EXPECT_EQ(Get(cs).executed_version(), 1);
}

TEST_F(FundScopeTest, AnAssessorForOneFundSeesOnlyItsBids) {
  const std::string lff_case = rig_.NewCase(2'000'000, "lff-a");
  const std::string cs_case = rig_.NewCase(2'000'000, "cs-a", kCsRound);
  rig_.Background();
  const auto as = "assessment.v1.AssessmentService/";
  for (const std::string& c : {lff_case, cs_case}) {
    const std::string a = "assessments/" + IdOf(c);
    ASSERT_TRUE(Ok(
        Call(absl::StrCat(as, "ScreenApplication"),
             absl::StrCat("name: '", a, "' decision: ELIGIBLE request_id: 's",
                          IdOf(c), "'"),
             rig_.officer)));
    ASSERT_TRUE(Ok(Call(absl::StrCat(as, "AssignAssessors"),
                        absl::StrCat("name: '", a,
                                     "' stage: WRITTEN assessors: 'asa' "
                                     "request_id: 'as",
                                     IdOf(c), "'"),
                        rig_.officer)));
  }
  assessment::v1::ListMyAssignmentsResponse queue;
  ASSERT_TRUE(
      Ok(Call(absl::StrCat(as, "ListMyAssignments"), "", assessor_, &queue)));
  ASSERT_EQ(queue.items_size(), 1);
  EXPECT_EQ(queue.items(0).assessment(), "assessments/" + IdOf(lff_case));
  const auto declare = [&](const std::string& c) {
    return absl::StrCat("name: 'assessments/", IdOf(c),
                        "' stage: WRITTEN declaration: NO_CONFLICT "
                        "request_id: 'd",
                        IdOf(c), "'");
  };
  Denied(
      "declaring on another fund's bid",
      Call(absl::StrCat(as, "DeclareInterest"), declare(cs_case), assessor_));
  Denied(
      "reading another fund's bid",
      Call(absl::StrCat(as, "GetAssessment"),
           absl::StrCat("name: 'assessments/", IdOf(cs_case), "'"), assessor_));
  Denied("another fund's score sheet",
         Call(absl::StrCat(as, "GetScoreSheet"),
              absl::StrCat("name: 'assessments/", IdOf(cs_case),
                           "/scoreSheets/written.asa'"),
              assessor_));
  ASSERT_TRUE(Ok(
      Call(absl::StrCat(as, "DeclareInterest"), declare(lff_case), assessor_)));
  EXPECT_TRUE(Ok(Call(absl::StrCat(as, "GetAssessment"),
                      absl::StrCat("name: 'assessments/", IdOf(lff_case), "'"),
                      assessor_)));
}

// The rows of the table open to any of `roles`, leaving out `public_rpcs`.
std::set<std::string> OpenTo(const std::set<std::string>& roles,
                             const std::set<std::string>& public_rpcs = {}) {
  std::set<std::string> out;
  for (const auto& [method, allowed] : authz::Table()) {
    if (public_rpcs.contains(method)) continue;
    for (const std::string& r : allowed) {
      if (roles.contains(r)) out.insert(method);
    }
  }
  return out;
}

// Funds, budget lines and rounds are published to applicants on purpose.
std::set<std::string> ProgrammeReads() {
  std::set<std::string> out;
  for (const char* m : {"GetFund", "ListFunds", "GetBudgetLine",
                        "ListBudgetLines", "GetRound", "ListRounds"}) {
    out.insert(absl::StrCat("/grantflow.programmes.v1.ProgrammeService/", m));
  }
  return out;
}

class OrganisationScopeTest : public OverGrpcTest {
 protected:
  OrganisationScopeTest()
      : OverGrpcTest("an organisation's people, another's records") {}
};

TEST_F(OrganisationScopeTest,
       EveryRpcOpenToApplicantsRefusesAnotherOrganisation) {
  // Hackney Family Network's records: a draft, a submitted bid with equality
  // answers, an issued agreement and an executed one, bank details.
  SetTemplate();
  agreements::v1::Agreement issued, executed;
  const std::string issued_name = Drafted(2'000'000, "issued", &issued);
  ASSERT_TRUE(Ok(Issue(issued_name, &issued)));
  const std::string executed_name = Drafted(2'000'000, "exec", &executed);
  executed = Executed(executed_name);
  const std::string submitted = rig_.NewCase(2'000'000, "eq");
  const std::string app = "applications/" + IdOf(submitted);
  const std::string equality = app + "/equalityMonitoring";
  ASSERT_TRUE(
      Ok(Call("applications.v1.ApplicationService/UpdateEqualityMonitoring",
              absl::StrCat("equality_monitoring { name: '", equality,
                           "' led_by: 'Women' } request_id: 'eq'"),
              rig_.amira)));
  applications::v1::Application draft;
  const applications::v1::Application body = testing::CompleteApplication(
      testing::kOpenRound, testing::kHackney, 2'000'000);
  ASSERT_TRUE(Ok(Call("applications.v1.ApplicationService/CreateApplication",
                      "request_id: 'draft'", rig_.amira, &draft, &body)));
  const auto pay = "payments.v1.PaymentService/";
  ASSERT_TRUE(Ok(Call(absl::StrCat(pay, "ChangeBankAccount"),
                      absl::StrCat("organisation: '", testing::kHackney,
                                   "' details { account_name: 'Hackney Family "
                                   "Network' sort_code: '20-00-00' "
                                   "account_number: '55779911' } "
                                   "request_id: 'b'"),
                      rig_.kofi)));
  // Snapshots to compare after the attacks.
  const auto snapshot = [&] {
    std::string out;
    for (const auto& [method, name] :
         std::vector<std::pair<std::string, std::string>>{
             {"applications.v1.ApplicationService/GetApplication", app},
             {"applications.v1.ApplicationService/GetApplication",
              draft.name()},
             {"applications.v1.ApplicationService/GetOrganisation",
              testing::kHackney},
             {"applications.v1.ApplicationService/GetEqualityMonitoring",
              equality},
             {"agreements.v1.AgreementService/GetAgreement", issued_name},
             {"agreements.v1.AgreementService/GetAgreement", executed_name},
             {"payments.v1.PaymentService/GetBankAccount",
              "bankAccounts/hackney-families"}}) {
      // Equality answers are the applicant's alone to read.
      const std::string& owner =
          absl::StrContains(method, "Equality") ? rig_.amira : rig_.kofi;
      std::string answer;
      EXPECT_TRUE(
          Ok(Call(method, absl::StrCat("name: '", name, "'"),
                  absl::StrContains(method, "Application") ? rig_.amira : owner,
                  nullptr, nullptr, &answer)))
          << method;
      absl::StrAppend(&out, answer.size(), ":", answer);
    }
    return out;
  };
  const std::string before = snapshot();

  // tom is Peckham Arts' applicant and signatory.
  const std::string& tom = rig_.tom;
  const auto nm = [](const std::string& n) {
    return absl::StrCat("name: '", n, "'");
  };
  const std::map<std::string, std::string> attacks = {
      {"applications.v1.ApplicationService/GetOrganisation",
       nm(testing::kHackney)},
      {"applications.v1.ApplicationService/UpdateOrganisation",
       absl::StrCat("organisation { name: '", testing::kHackney,
                    "' display_name: 'Ours now' } update_mask { paths: "
                    "'display_name' } request_id: 'o'")},
      {"applications.v1.ApplicationService/CreateApplication",
       absl::StrCat("application { round: '", testing::kOpenRound,
                    "' organisation: '", testing::kHackney,
                    "' title: 'In their name' } request_id: 'c'")},
      {"applications.v1.ApplicationService/GetApplication", nm(app)},
      {"applications.v1.ApplicationService/ListApplications",
       absl::StrCat("organisation: '", testing::kHackney, "'")},
      {"applications.v1.ApplicationService/UpdateApplication",
       absl::StrCat("application { name: '", draft.name(),
                    "' title: 'Changed' } update_mask { paths: 'title' } "
                    "request_id: 'u'")},
      {"applications.v1.ApplicationService/SubmitApplication",
       absl::StrCat(nm(draft.name()), " request_id: 's'")},
      {"applications.v1.ApplicationService/WithdrawApplication",
       absl::StrCat(nm(app), " reason: 'Not ours' request_id: 'w'")},
      {"applications.v1.ApplicationService/GetEqualityMonitoring",
       nm(equality)},
      {"applications.v1.ApplicationService/UpdateEqualityMonitoring",
       absl::StrCat("equality_monitoring { name: '", equality,
                    "' prefer_not_to_say: true } request_id: 'e'")},
      {"assessment.v1.AssessmentService/GetApplicantFeedback",
       absl::StrCat("application: '", app, "'")},
      {"agreements.v1.AgreementService/GetAgreement", nm(executed_name)},
      {"agreements.v1.AgreementService/GetDocument", nm(executed_name)},
      {"agreements.v1.AgreementService/SignAgreement",
       absl::StrCat(nm(issued_name), " version: 1 document_sha256: '",
                    issued.versions(0).document_sha256(),
                    "' position: 'Chair' request_id: 'sig'")},
      {"agreements.v1.AgreementService/SubmitReport",
       absl::StrCat("agreement: '", executed_name,
                    "' report_id: 'final' narrative: 'Done' spent_pence: 1 "
                    "request_id: 'rep'")},
      {"payments.v1.PaymentService/ChangeBankAccount",
       absl::StrCat("organisation: '", testing::kHackney,
                    "' details { account_name: 'Peckham Arts' sort_code: "
                    "'20-00-00' account_number: '11111111' } request_id: 'x'")},
      {"payments.v1.PaymentService/GetBankAccount",
       nm("bankAccounts/hackney-families")},
      {"workflow.v1.WorkflowService/RecordFact",
       absl::StrCat(nm(CaseOf(issued_name)),
                    " fact: 'AGREEMENT_SIGNED_BY_RECIPIENT' payload { "
                    "document_sha256: '",
                    issued.versions(0).document_sha256(),
                    "' } request_id: 'f'")},
  };
  for (const auto& [method, text] : attacks) {
    grpc::Status st = Call(method, text, tom);
    // Reads of another's records answer as if there were none, or refuse.
    const grpc::StatusCode code = st.error_code() == grpc::StatusCode::NOT_FOUND
                                      ? grpc::StatusCode::NOT_FOUND
                                      : grpc::StatusCode::PERMISSION_DENIED;
    attacks_.Refused(method + " on Hackney's records as Peckham's", st, code);
  }
  // Lists show their own organisation's records only.
  applications::v1::ListOrganisationsResponse orgs;
  ASSERT_TRUE(Ok(Call("applications.v1.ApplicationService/ListOrganisations",
                      "", tom, &orgs)));
  for (const auto& o : orgs.organisations()) {
    EXPECT_EQ(o.name(), testing::kPeckham);
  }
  applications::v1::ListApplicationsResponse apps;
  ASSERT_TRUE(Ok(Call("applications.v1.ApplicationService/ListApplications", "",
                      tom, &apps)));
  for (const auto& a : apps.applications()) {
    EXPECT_EQ(a.organisation(), testing::kPeckham);
  }
  // Payments: Hackney's people see their executed grant's payment, without
  // the bank details it goes to; Peckham's see none of it.
  payments::v1::Payment hackney_pay;
  ASSERT_TRUE(Ok(Call(absl::StrCat(pay, "RequestPayment"),
                      absl::StrCat("case: '", CaseOf(executed_name),
                                   "' instalment_id: 'i1' request_id: 'hp'"),
                      rig_.finance, &hackney_pay)));
  payments::v1::ListPaymentsResponse theirs, own;
  ASSERT_TRUE(Ok(Call(absl::StrCat(pay, "ListPayments"), "state: REQUESTED",
                      tom, &theirs)));
  for (const auto& p : theirs.payments()) {
    EXPECT_EQ(p.organisation(), testing::kPeckham);
  }
  ASSERT_TRUE(Ok(Call(absl::StrCat(pay, "ListPayments"), "state: REQUESTED",
                      rig_.kofi, &own)));
  ASSERT_EQ(own.payments_size(), 1);
  EXPECT_EQ(own.payments(0).name(), hackney_pay.name());
  EXPECT_FALSE(own.payments(0).has_payee());
  EXPECT_EQ(own.payments(0).approver_limit_pence(), 0);
  EXPECT_EQ(snapshot(), before) << "an attack changed Hackney's records";

  // Every RPC open to an organisation's people is attacked above, or is a
  // list (checked above), or creates their own organisation.
  std::set<std::string> covered = {
      "/grantflow.payments.v1.PaymentService/ListPayments",
      "/grantflow.applications.v1.ApplicationService/ListOrganisations",
      "/grantflow.applications.v1.ApplicationService/CreateOrganisation"};
  for (const auto& [method, text] : attacks)
    covered.insert("/grantflow." + method);
  for (const std::string& m :
       OpenTo({"applicant", "signatory"}, ProgrammeReads())) {
    EXPECT_TRUE(covered.contains(m)) << m << " is open to applicants or "
                                     << "signatories but not attacked here";
  }
}

class AssessorScopeTest : public OverGrpcTest {
 protected:
  AssessorScopeTest()
      : OverGrpcTest("assessors: assigned and unconflicted only (R6)") {}
};

TEST_F(AssessorScopeTest,
       EveryRpcOpenToAssessorsRefusesTheUnassignedAndTheConflicted) {
  const std::string c = rig_.NewCase(2'000'000, "r6");
  rig_.Background();
  const std::string a = "assessments/" + IdOf(c);
  const auto as = "assessment.v1.AssessmentService/";
  ASSERT_TRUE(Ok(
      Call(absl::StrCat(as, "ScreenApplication"),
           absl::StrCat("name: '", a, "' decision: ELIGIBLE request_id: 's'"),
           rig_.officer)));
  ASSERT_TRUE(Ok(Call(absl::StrCat(as, "AssignAssessors"),
                      absl::StrCat("name: '", a,
                                   "' stage: WRITTEN assessors: 'cora' "
                                   "assessors: 'sid' request_id: 'as'"),
                      rig_.officer)));
  const std::string cora = rig_.minter().Token("cora", {"assessor"});
  const std::string sid = rig_.minter().Token("sid", {"assessor"});
  const std::string uma = rig_.minter().Token("uma", {"assessor"});
  ASSERT_TRUE(Ok(Call(absl::StrCat(as, "DeclareInterest"),
                      absl::StrCat("name: '", a,
                                   "' stage: WRITTEN declaration: CONFLICT "
                                   "conflict_reason: 'I chair its board' "
                                   "request_id: 'd'"),
                      cora)));
  // sid, assigned and free of conflict, may do all of it: the requests
  // below are good ones.
  ASSERT_TRUE(Ok(Call(absl::StrCat(as, "DeclareInterest"),
                      absl::StrCat("name: '", a,
                                   "' stage: WRITTEN declaration: NO_CONFLICT "
                                   "request_id: 'd'"),
                      sid)));
  assessment::v1::Assessment seen;
  ASSERT_TRUE(Ok(Call(absl::StrCat(as, "GetAssessment"),
                      absl::StrCat("name: '", a, "'"), sid, &seen)));
  ASSERT_FALSE(seen.bid().summary().empty());
  const auto sheet = [&](const std::string& who) {
    return absl::StrCat("name: '", a, "/scoreSheets/written.", who, "'");
  };
  // For each person who must not: every RPC an assessor may call.
  for (const auto& [who, token] :
       std::vector<std::pair<std::string, std::string>>{{"uma", uma},
                                                        {"cora", cora}}) {
    const std::map<std::string, std::string> attacks = {
        {"GetAssessment", absl::StrCat("name: '", a, "'")},
        {"DeclareInterest",
         absl::StrCat("name: '", a,
                      "' stage: WRITTEN declaration: NO_CONFLICT "
                      "request_id: 'd2'")},
        {"GetScoreSheet", sheet(who)},
        {"SaveScores", absl::StrCat(sheet(who), " request_id: 'sv'")},
        {"SubmitScores", absl::StrCat(sheet(who), " request_id: 'sb'")},
    };
    for (const auto& [method, text] : attacks) {
      grpc::Status st = Call(absl::StrCat(as, method), text, token);
      // Refused for who they are (not assigned, conflicted): PERMISSION_DENIED;
      // a second declaration is refused as already made.
      const bool redeclare = who == "cora" && method == "DeclareInterest";
      attacks_.Refused(absl::StrCat(method, " as ", who), st,
                       redeclare ? grpc::StatusCode::FAILED_PRECONDITION
                                 : grpc::StatusCode::PERMISSION_DENIED,
                       redeclare ? "ALREADY_DECLARED" : "");
    }
    // Nor someone else's sheet.
    attacks_.Refused(
        absl::StrCat("sid's sheet as ", who),
        Call(absl::StrCat(as, "GetScoreSheet"), sheet("sid"), token),
        grpc::StatusCode::PERMISSION_DENIED);
  }
  assessment::v1::ListMyAssignmentsResponse queue;
  ASSERT_TRUE(Ok(Call(absl::StrCat(as, "ListMyAssignments"), "", uma, &queue)));
  EXPECT_EQ(queue.items_size(), 0);
  // The conflicted assessor's view of the bid never includes it.
  assessment::v1::Assessment after;
  ASSERT_TRUE(Ok(Call(absl::StrCat(as, "GetAssessment"),
                      absl::StrCat("name: '", a, "'"), rig_.officer, &after)));
  EXPECT_EQ(after.assessors_needed(), 1) << "cora's recusal still counts";

  // Every RPC open to assessors is attacked above (ListMyAssignments is
  // the caller's own queue, checked above).
  std::set<std::string> covered = {
      "/grantflow.assessment.v1.AssessmentService/ListMyAssignments"};
  for (const char* m : {"GetAssessment", "DeclareInterest", "GetScoreSheet",
                        "SaveScores", "SubmitScores"}) {
    covered.insert(
        absl::StrCat("/grantflow.assessment.v1.AssessmentService/", m));
  }
  for (const std::string& m : OpenTo({"assessor"}, ProgrammeReads())) {
    EXPECT_TRUE(covered.contains(m))
        << m << " is open to assessors but not attacked here";
  }
}

// Every message a method answers with, and every message inside it.
void Contained(const google::protobuf::Descriptor* d,
               std::set<const google::protobuf::Descriptor*>* seen) {
  if (d == nullptr || !seen->insert(d).second) return;
  for (int i = 0; i < d->field_count(); ++i) {
    Contained(d->field(i)->message_type(), seen);
  }
}

std::set<std::string> MethodsAnswering(const std::string& message) {
  std::set<std::string> out;
  for (const auto& [method, md] : EveryMethod()) {
    std::set<const google::protobuf::Descriptor*> seen;
    Contained(md->output_type(), &seen);
    for (const auto* d : seen) {
      if (d->full_name() == message) out.insert(method);
    }
  }
  return out;
}

TEST(SensitiveDataTest,
     EqualityAnswersAndSafeguardingDetailsAnswerOnlyTheirReaders) {
  const std::string app = "/grantflow.applications.v1.ApplicationService/";
  // R7: equality answers reach the applicant only; staff get the report.
  EXPECT_EQ(MethodsAnswering("grantflow.applications.v1.EqualityMonitoring"),
            (std::set<std::string>{app + "GetEqualityMonitoring",
                                   app + "UpdateEqualityMonitoring"}));
  for (const char* m : {"GetEqualityMonitoring", "UpdateEqualityMonitoring"}) {
    EXPECT_EQ(authz::Table().at(app + m),
              std::vector<std::string>{"applicant"});
  }
  const auto& report = authz::Table().at(app + "GetEqualityReport");
  for (const char* never : {"assessor", "approver", "moderator"}) {
    EXPECT_EQ(std::count(report.begin(), report.end(), never), 0) << never;
  }
  // R7: safeguarding details (the check's items, DBS records) reach
  // safeguarding officers only, wherever they would be carried.
  for (const char* detail : {"grantflow.safeguarding.v1.SafeguardingCheck",
                             "grantflow.safeguarding.v1.DbsRecord",
                             "grantflow.safeguarding.v1.Item"}) {
    const std::set<std::string> methods = MethodsAnswering(detail);
    EXPECT_FALSE(methods.empty()) << detail;
    for (const std::string& m : methods) {
      // (grantflowd's own identity delivers the engine's tasks.)
      for (const std::string& role : authz::Table().at(m)) {
        EXPECT_TRUE(role == "safeguarding_officer" || role == "service")
            << m << " answers " << role << " with " << detail;
      }
    }
  }
}

class EqualityReportTest : public OverGrpcTest {
 protected:
  EqualityReportTest() : OverGrpcTest("equality answers (R7)") {}
};

TEST_F(EqualityReportTest, OnlyAggregatesWithSmallNumbersSuppressed) {
  // Seven bids: five led by women (shown), two by disabled people
  // (suppressed), one preferring not to say (suppressed), one with no
  // answers. The five led by women are funded; so was the one preferring
  // not to say, but it withdrew after its award, so it does not count.
  const auto set = [&](const std::string& c, const std::string& answers) {
    ASSERT_TRUE(
        Ok(Call("applications.v1.ApplicationService/UpdateEqualityMonitoring",
                absl::StrCat("equality_monitoring { name: 'applications/",
                             IdOf(c), "/equalityMonitoring' ", answers,
                             " } request_id: 'e", IdOf(c), "'"),
                rig_.amira)));
  };
  for (int i = 0; i < 5; ++i) {
    const std::string c = rig_.NewCase(2'000'000, absl::StrCat("w", i));
    set(c, i < 2 ? "led_by: 'Women' led_by: 'Disabled people'"
                 : "led_by: 'Women' mainly_serves: 'Young people'");
    rig_.ToChecksPassed(c, 2'000'000);
  }
  const std::string pnts = rig_.NewCase(2'000'000, "pnts");
  set(pnts, "prefer_not_to_say: true");
  rig_.ToChecksPassed(pnts, 2'000'000);
  ASSERT_TRUE(Ok(Call("applications.v1.ApplicationService/WithdrawApplication",
                      absl::StrCat("name: 'applications/", IdOf(pnts),
                                   "' reason: 'the venue closed' "
                                   "request_id: 'withdraw-pnts'"),
                      rig_.amira)));
  ASSERT_EQ(rig_.Case(pnts).state(), "WITHDRAWN");
  rig_.NewCase(2'000'000, "none");
  applications::v1::EqualityReport report;
  ASSERT_TRUE(Ok(Call("applications.v1.ApplicationService/GetEqualityReport",
                      absl::StrCat("round: '", testing::kOpenRound, "'"),
                      rig_.officer, &report)));
  const applications::v1::EqualityGroup& all = report.applicants();
  EXPECT_EQ(all.total(), 7);
  EXPECT_EQ(all.answered().count(), 5);
  EXPECT_TRUE(all.prefer_not_to_say().suppressed());
  EXPECT_EQ(all.prefer_not_to_say().count(), 0);
  EXPECT_EQ(report.suppress_below(), 5);
  auto by_answer = [](const auto& counts) {
    std::map<std::string, applications::v1::EqualityCount> out;
    for (const auto& c : counts) out[c.answer()] = c;
    return out;
  };
  auto led = by_answer(all.led_by());
  EXPECT_EQ(led.at("Women").count(), 5);
  EXPECT_FALSE(led.at("Women").suppressed());
  EXPECT_TRUE(led.at("Disabled people").suppressed());
  EXPECT_EQ(led.at("Disabled people").count(), 0);
  EXPECT_EQ(led.at("Young people").count(), 0);
  EXPECT_FALSE(led.at("Young people").suppressed());
  // Funded projects: the five led by women; the withdrawn award is not one.
  const applications::v1::EqualityGroup& funded = report.funded();
  EXPECT_EQ(funded.total(), 5);
  EXPECT_EQ(funded.answered().count(), 5);
  EXPECT_EQ(funded.prefer_not_to_say().count(), 0);
  EXPECT_FALSE(funded.prefer_not_to_say().suppressed());
  auto funded_led = by_answer(funded.led_by());
  EXPECT_EQ(funded_led.at("Women").count(), 5);
  EXPECT_TRUE(funded_led.at("Disabled people").suppressed());
  auto funded_serves = by_answer(funded.mainly_serves());
  EXPECT_TRUE(funded_serves.at("Young people").suppressed());
  EXPECT_EQ(funded_serves.at("Young people").count(), 0);
  // Nobody else reads it: not the assessors nor the decision makers.
  for (const auto& [role, token] : rig_.EveryRole()) {
    if (role == "grants_officer" || role == "auditor" || role == "admin") {
      continue;
    }
    attacks_.Refused(
        absl::StrCat("the equality report as ", role.empty() ? "nobody" : role),
        Call("applications.v1.ApplicationService/GetEqualityReport",
             absl::StrCat("round: '", testing::kOpenRound, "'"), token),
        role.empty() ? grpc::StatusCode::UNAUTHENTICATED
                     : grpc::StatusCode::PERMISSION_DENIED);
  }
}

}  // namespace
}  // namespace grantflow
