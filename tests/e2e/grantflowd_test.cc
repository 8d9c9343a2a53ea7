// End-to-end tests with real grantflowd processes: acknowledged writes
// survive SIGKILL, and the services run as separate processes that reach each
// other only over gRPC.
#include <signal.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grantflow/workflow/v1/workflow.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/common/resources.h"
#include "storage/store.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace grantflow {
namespace {

namespace ppb = ::grantflow::programmes::v1;
namespace apb = ::grantflow::applications::v1;

// One grantflowd child on port 0 with its clock read from a file.
class Daemon {
 public:
  Daemon(const testing::TempDir& dir, const std::string& data_dir,
         const std::string& name, std::vector<std::string> extra = {})
      : port_file_(dir.Sub(name + ".port")) {
    std::remove(port_file_.c_str());
    std::vector<std::string> argv = {
        GRANTFLOWD_PATH, "--data_dir=" + data_dir, "--listen=127.0.0.1:0",
        "--port_file=" + port_file_, "--clock_file=" + dir.Sub("clock")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<testing::Process>(argv, dir.Sub(name + ".log"));
    port_ = testing::WaitForPortFile(port_file_, 20);
  }
  int port() const { return port_; }
  std::string addr() const { return absl::StrCat("127.0.0.1:", port_); }
  std::shared_ptr<grpc::Channel> Channel() const {
    return grpc::CreateChannel(addr(), grpc::InsecureChannelCredentials());
  }
  int Kill(int sig) { return process_->KillAndWait(sig); }

 private:
  std::string port_file_;
  std::unique_ptr<testing::Process> process_;
  int port_ = 0;
};

void SetClock(const testing::TempDir& dir, absl::Time t) {
  std::ofstream(dir.Sub("clock"))
      << absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

TEST(GrantflowdTest, AcknowledgedSubmissionsSurviveSigkill) {
  testing::TempDir dir;
  SetClock(dir, testing::TestEpoch());
  const std::string data = dir.Sub("data");
  const int cycles = std::getenv("GRANTFLOW_SOAK") ? 20 : 3;
  std::set<std::string> acknowledged;  // applications acknowledged SUBMITTED
  for (int cycle = 0; cycle < cycles; ++cycle) {
    Daemon d(dir, data, absl::StrCat("d", cycle));
    ASSERT_GT(d.port(), 0) << "grantflowd did not start";
    testing::TokenMinter minter(data);
    const std::string admin = minter.Token("root", {"admin"});
    const std::string amira =
        minter.Token("amira", {"applicant"}, "organisations/hackney-families");
    auto channel = d.Channel();
    auto apps = apb::ApplicationService::NewStub(channel);

    // Everything acknowledged before is still there, exactly as acknowledged.
    for (const std::string& name : acknowledged) {
      grpc::ClientContext ctx;
      testing::Authorise(&ctx, amira);
      apb::GetApplicationRequest get;
      get.set_name(name);
      apb::Application a;
      grpc::Status s = apps->GetApplication(&ctx, get, &a);
      ASSERT_TRUE(s.ok()) << name << ": " << s.error_message();
      EXPECT_EQ(a.state(), apb::Application::SUBMITTED) << name;
    }
    if (cycle == 0) {
      testing::SeedOverGrpc(channel.get(), admin, testing::TestEpoch());
    }

    // Four clients draft and submit until the process is killed under them.
    std::mutex mu;
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([&, c] {
        for (int i = 0; !stop; ++i) {
          grpc::ClientContext ctx;
          testing::Authorise(&ctx, amira);
          apb::CreateApplicationRequest draft;
          *draft.mutable_application() = testing::CompleteApplication(
              "funds/lff/rounds/open", "organisations/hackney-families",
              2'000'000);
          draft.set_request_id(absl::StrCat("c", cycle, "-", c, "-", i));
          apb::Application created;
          if (!apps->CreateApplication(&ctx, draft, &created).ok()) return;
          grpc::ClientContext ctx2;
          testing::Authorise(&ctx2, amira);
          apb::SubmitApplicationRequest submit;
          submit.set_name(created.name());
          submit.set_request_id(absl::StrCat("s", cycle, "-", c, "-", i));
          apb::Application done;
          if (!apps->SubmitApplication(&ctx2, submit, &done).ok()) return;
          std::lock_guard<std::mutex> l(mu);
          acknowledged.insert(done.name());
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    int status = d.Kill(SIGKILL);
    stop = true;
    for (auto& t : clients) t.join();
    EXPECT_TRUE(WIFSIGNALED(status));
  }
  // A last restart checks the final cycle's acknowledgements, then a clean
  // stop frees the stores so their audit chains can be verified directly.
  {
    Daemon d(dir, data, "final");
    ASSERT_GT(d.port(), 0);
    testing::TokenMinter minter(data);
    auto apps = apb::ApplicationService::NewStub(d.Channel());
    for (const std::string& name : acknowledged) {
      grpc::ClientContext ctx;
      testing::Authorise(&ctx, minter.Token("amira", {"applicant"},
                                            "organisations/hackney-families"));
      apb::GetApplicationRequest get;
      get.set_name(name);
      apb::Application a;
      ASSERT_TRUE(apps->GetApplication(&ctx, get, &a).ok()) << name;
      EXPECT_EQ(a.state(), apb::Application::SUBMITTED);
    }
    d.Kill(SIGTERM);
  }
  for (const char* service : {"programmes", "applications"}) {
    auto store = testing::OpenStore(data + "/" + service);
    auto report = store->VerifyAuditChain();
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok) << service << ": " << report->problem;
  }
  std::cout << "kill -9 cycles: " << cycles
            << ", acknowledged submissions checked: " << acknowledged.size()
            << "\n";
  EXPECT_GT(acknowledged.size(), 0u);
}

// The split deployment: programmes and applications in two processes, each
// with its own data directory, sharing only a token key.
TEST(GrantflowdTest, ServicesRunAsSeparateProcesses) {
  testing::TempDir dir;
  SetClock(dir, testing::TestEpoch());
  const std::string prog_data = dir.Sub("prog");
  const std::string app_data = dir.Sub("apps");
  testing::TokenMinter minter(prog_data);   // creates prog's key pair
  testing::TokenMinter app_keys(app_data);  // and the applications process's
  // Process 1: programmes and the engine. It trusts the applications
  // process's key, which signs that process's own calls to the engine.
  Daemon programmes(
      dir, prog_data, "programmes",
      {"--services=programmes,workflow",
       "--trusted_key=" + app_data + "/keys/token-signing.pub.pem"});
  ASSERT_GT(programmes.port(), 0);
  Daemon applications(
      dir, app_data, "applications",
      {"--services=applications",
       "--peer=programmes=" + programmes.addr() +
           ",workflow=" + programmes.addr(),
       "--trusted_key=" + prog_data + "/keys/token-signing.pub.pem"});
  ASSERT_GT(applications.port(), 0);

  const std::string admin = minter.Token("root", {"admin"});
  // Programme data through its own process, the organisation through the
  // other.
  testing::SeedOverGrpc(programmes.Channel().get(),
                        applications.Channel().get(), admin,
                        testing::TestEpoch());
  auto apps = apb::ApplicationService::NewStub(applications.Channel());
  const std::string amira =
      minter.Token("amira", {"applicant"}, "organisations/hackney-families");
  grpc::ClientContext ctx;
  testing::Authorise(&ctx, amira);
  apb::CreateApplicationRequest draft;
  *draft.mutable_application() = testing::CompleteApplication(
      "funds/lff/rounds/open", "organisations/hackney-families", 9'000'000);
  draft.set_request_id("d");
  apb::Application created;
  grpc::Status s = apps->CreateApplication(&ctx, draft, &created);
  // The round's limits came from the other process: £90,000 is above £75,000.
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << s.error_message();
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("£75,000.00"));

  grpc::ClientContext ctx2;
  testing::Authorise(&ctx2, amira);
  draft.mutable_application()->set_amount_requested_pence(2'000'000);
  *draft.mutable_application() = testing::CompleteApplication(
      "funds/lff/rounds/open", "organisations/hackney-families", 2'000'000);
  draft.set_request_id("d2");
  ASSERT_TRUE(apps->CreateApplication(&ctx2, draft, &created).ok());
  grpc::ClientContext ctx3;
  testing::Authorise(&ctx3, amira);
  apb::SubmitApplicationRequest submit;
  submit.set_name(created.name());
  submit.set_request_id("s");
  apb::Application done;
  ASSERT_TRUE(apps->SubmitApplication(&ctx3, submit, &done).ok());
  EXPECT_EQ(done.state(), apb::Application::SUBMITTED);

  // The submission reaches the engine in the other process through the
  // applications outbox, and the budget line reached its ledger the same way.
  auto engine = workflow::v1::WorkflowService::NewStub(programmes.Channel());
  const std::string case_name =
      "cases/" + created.name().substr(std::string("applications/").size());
  workflow::v1::Case started;
  for (int i = 0; i < 100; ++i) {
    grpc::ClientContext c;
    testing::Authorise(&c, admin);
    workflow::v1::GetCaseRequest get;
    get.set_name(case_name);
    if (engine->GetCase(&c, get, &started).ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(started.state(), "SUBMITTED");
  EXPECT_EQ(started.definition(), "standard");
  EXPECT_TRUE(started.safeguarding_required())
      << "the project works with children";
  // The line and the case travel through different outboxes (and
  // processes), so either may arrive first.
  workflow::v1::LedgerLine line;
  for (int i = 0; i < 100; ++i) {
    grpc::ClientContext c;
    testing::Authorise(&c, admin);
    workflow::v1::GetLedgerLineRequest get;
    get.set_name("funds/lff/budgetLines/grants-a");
    if (engine->GetLedgerLine(&c, get, &line).ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(line.ceiling_pence(), 21'500'000);

  // The applications process does not serve ProgrammeService itself.
  auto wrong = ppb::ProgrammeService::NewStub(applications.Channel());
  grpc::ClientContext ctx4;
  testing::Authorise(&ctx4, admin);
  ppb::ListFundsResponse funds;
  EXPECT_EQ(wrong->ListFunds(&ctx4, {}, &funds).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);

  // With programmes gone, submissions fail cleanly instead of guessing.
  programmes.Kill(SIGKILL);
  grpc::ClientContext ctx5;
  testing::Authorise(&ctx5, amira);
  draft.set_request_id("d3");
  EXPECT_EQ(apps->CreateApplication(&ctx5, draft, &created).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST(GrantflowdTest, RefusesToStartWithoutItsPeer) {
  testing::TempDir dir;
  std::string out;
  EXPECT_NE(
      testing::RunCommand({GRANTFLOWD_PATH, "--data_dir=" + dir.Sub("d"),
                           "--listen=127.0.0.1:0", "--services=applications"},
                          &out),
      0);
  EXPECT_THAT(out, ::testing::HasSubstr("--peer=programmes="));
}

}  // namespace
}  // namespace grantflow
