// The demo data scripts/run loads: deploy/demo/demo.json through `grantctl
// seed` into a real grantflowd, its demo grant played through every service
// as the people who would take each step.
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grantflow/agreements/v1/agreements.grpc.pb.h"
#include "grantflow/payments/v1/payments.grpc.pb.h"
#include "grantflow/workflow/v1/workflow.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/daemon.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace grantflow {
namespace {

namespace wpb = ::grantflow::workflow::v1;
namespace gpb = ::grantflow::agreements::v1;
namespace ypb = ::grantflow::payments::v1;

using ::testing::HasSubstr;

constexpr char kHfn[] = "organisations/hackney-family-network";

std::string Read(const std::string& path) {
  std::stringstream s;
  s << std::ifstream(path).rdbuf();
  return s.str();
}

class DemoSeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::SetClock(dir_, testing::TestEpoch());
    data_ = dir_.Sub("data");
    daemon_ = std::make_unique<testing::Daemon>(GRANTFLOWD_PATH, dir_, data_,
                                                "grantflowd");
    minter_ = std::make_unique<testing::TokenMinter>(data_);
  }

  // grantctl seed FILE as the demo admin, with the daemon's clock as now.
  int Seed(const std::string& file, std::string* out) {
    return testing::SeedWithGrantctl(GRANTCTL_PATH, *daemon_, data_, file, out);
  }

  // The organisation's cases in the demo round.
  std::vector<wpb::Case> Cases() {
    auto stub = wpb::WorkflowService::NewStub(daemon_->Channel());
    wpb::ListCasesRequest req;
    req.set_round("funds/lff/rounds/demo-open");
    wpb::ListCasesResponse resp;
    grpc::ClientContext ctx;
    testing::Authorise(&ctx, minter_->Token("grace", {"grants_officer"}));
    EXPECT_TRUE(stub->ListCases(&ctx, req, &resp).ok());
    std::vector<wpb::Case> out;
    for (const auto& c : resp.cases()) {
      if (c.organisation() == kHfn) out.push_back(c);
    }
    return out;
  }

  testing::TempDir dir_;
  std::string data_;
  std::unique_ptr<testing::Daemon> daemon_;
  std::unique_ptr<testing::TokenMinter> minter_;
};

TEST_F(DemoSeedTest,
       TheDemoGrantIsExecutedAndPartPaidAndSeedingTwiceChangesNothing) {
  std::string out;
  ASSERT_EQ(Seed(GRANTFLOW_DEMO_JSON, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("1 demo grant(s) played, 0 already there"));

  // One case: awarded £25,000 on md2192-grants, executed, £15,000 paid.
  std::vector<wpb::Case> cases = Cases();
  ASSERT_EQ(cases.size(), 1u);
  const wpb::Case c = cases[0];
  EXPECT_EQ(c.state(), "ACTIVE");
  EXPECT_EQ(c.awarded_pence(), 2'500'000);
  EXPECT_EQ(c.paid_pence(), 1'500'000);
  EXPECT_EQ(c.pending_pence(), 0);
  EXPECT_TRUE(c.agreement().executed());
  EXPECT_EQ(c.agreement().recipient().signer(), "kofi");
  EXPECT_EQ(c.agreement().funder().signer(), "ade");
  EXPECT_EQ(c.approved_by(), "ade");
  EXPECT_EQ(c.recommended_by(), "grace");

  // AgreementService and PaymentService keep the same story.
  const std::string id = c.name().substr(6);
  auto ag = gpb::AgreementService::NewStub(daemon_->Channel());
  gpb::GetAgreementRequest get;
  get.set_name("agreements/" + id);
  gpb::Agreement a;
  grpc::ClientContext c1;
  testing::Authorise(&c1, minter_->Token("grace", {"grants_officer"}));
  ASSERT_TRUE(ag->GetAgreement(&c1, get, &a).ok());
  EXPECT_EQ(a.state(), gpb::Agreement::EXECUTED);
  ASSERT_EQ(a.versions_size(), 1);
  ASSERT_EQ(a.versions(0).terms().instalments_size(), 2);
  EXPECT_EQ(a.versions(0).terms().instalments(0).resolved_pence(), 1'500'000);
  EXPECT_EQ(a.versions(0).terms().instalments(1).report_id(), "interim");
  EXPECT_EQ(a.reports(0).state(), gpb::MonitoringReport::DUE);
  auto pay = ypb::PaymentService::NewStub(daemon_->Channel());
  ypb::ListPaymentsRequest paid;
  paid.set_state(ypb::Payment::PAID);
  ypb::ListPaymentsResponse payments;
  grpc::ClientContext c2;
  testing::Authorise(&c2, minter_->Token("fola", {"finance_officer"}));
  ASSERT_TRUE(pay->ListPayments(&c2, paid, &payments).ok());
  ASSERT_EQ(payments.payments_size(), 1);
  EXPECT_EQ(payments.payments(0).case_(), c.name());
  EXPECT_EQ(payments.payments(0).requested_by(), "fola");
  EXPECT_EQ(payments.payments(0).approved_by(), "fin");
  EXPECT_EQ(payments.payments(0).amount_pence(), 1'500'000);
  EXPECT_FALSE(payments.payments(0).batch().empty());

  // Seeding again plays nothing and writes nothing to the case.
  ASSERT_EQ(Seed(GRANTFLOW_DEMO_JSON, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("0 demo grant(s) played, 1 already there"));
  cases = Cases();
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].etag(), c.etag());
}

TEST_F(DemoSeedTest, AnInterruptedSeedGoesOnWhereItStopped) {
  // The seed cut short after the agreement is issued (as if interrupted),
  // then the whole one: the steps already taken are replayed with their
  // request ids and answer as before; the rest are played once.
  const std::string full = Read(GRANTFLOW_DEMO_JSON);
  const size_t cut =
      full.find(R"({"as": "kofi", "run": ["agreement", "document")");
  ASSERT_NE(cut, std::string::npos);
  std::string part = full.substr(0, cut);
  part = part.substr(0, part.rfind(',')) + "\n      ]\n    }\n  ]\n}\n";
  const std::string part_file = dir_.Sub("part.json");
  std::ofstream(part_file) << part;
  std::string out;
  ASSERT_EQ(Seed(part_file, &out), 0) << out;
  std::vector<wpb::Case> cases = Cases();
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].state(), "AGREEMENT_ISSUED");

  ASSERT_EQ(Seed(GRANTFLOW_DEMO_JSON, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("1 demo grant(s) played"));
  cases = Cases();
  ASSERT_EQ(cases.size(), 1u) << "the replay made a second application";
  EXPECT_EQ(cases[0].state(), "ACTIVE");
  EXPECT_EQ(cases[0].paid_pence(), 1'500'000);
  // One agreement version, issued once.
  auto ag = gpb::AgreementService::NewStub(daemon_->Channel());
  gpb::GetAgreementRequest get;
  get.set_name("agreements/" + cases[0].name().substr(6));
  gpb::Agreement a;
  grpc::ClientContext ctx;
  testing::Authorise(&ctx, minter_->Token("grace", {"grants_officer"}));
  ASSERT_TRUE(ag->GetAgreement(&ctx, get, &a).ok());
  EXPECT_EQ(a.versions_size(), 1);
}

}  // namespace
}  // namespace grantflow
