// Integration tests: the grantflowd host started in-process on port 0 with a
// temp data directory and a fake clock, called over real TCP through the
// generated stubs and a generic (descriptor-only) stub.
#include "services/grantflowd/server.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grantflow/audit/v1/audit.pb.h"
#include "grantflow/privacy/v1/privacy.pb.h"
#include "grantflow/workflow/v1/workflow.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace grantflow {
namespace {

namespace ppb = ::grantflow::programmes::v1;
namespace apb = ::grantflow::applications::v1;
using ::testing::HasSubstr;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.data_dir = dir_.path();
    o.listen = "127.0.0.1:0";
    o.clock = &clock_;
    auto server = GrantflowServer::Start(o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_GT(server_->port(), 0);
    addr_ = absl::StrCat("127.0.0.1:", server_->port());
    channel_ = grpc::CreateChannel(addr_, grpc::InsecureChannelCredentials());
    minter_ = std::make_unique<testing::TokenMinter>(dir_.path());
    admin_ = minter_->Token("root", {"admin"});
    amira_ = minter_->Token("amira", {"applicant"},
                            "organisations/hackney-families");
    programmes_ = ppb::ProgrammeService::NewStub(channel_);
    applications_ = apb::ApplicationService::NewStub(channel_);
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) testing::Authorise(ctx.get(), token);
    return ctx;
  }

  grpc::Status DraftAndSubmit(const std::string& round, apb::Application* out,
                              const std::string& id = "1") {
    apb::CreateApplicationRequest draft;
    *draft.mutable_application() = testing::CompleteApplication(
        round, "organisations/hackney-families", 2'500'000);
    draft.set_request_id("draft-" + id);
    apb::Application created;
    grpc::Status s =
        applications_->CreateApplication(Ctx(amira_).get(), draft, &created);
    if (!s.ok()) return s;
    apb::SubmitApplicationRequest submit;
    submit.set_name(created.name());
    submit.set_request_id("submit-" + id);
    return applications_->SubmitApplication(Ctx(amira_).get(), submit, out);
  }

  testing::TempDir dir_;
  FakeClock clock_{testing::TestEpoch()};
  std::unique_ptr<GrantflowServer> server_;
  std::string addr_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<testing::TokenMinter> minter_;
  std::string admin_, amira_;
  std::unique_ptr<ppb::ProgrammeService::Stub> programmes_;
  std::unique_ptr<apb::ApplicationService::Stub> applications_;
};

TEST_F(ServerTest, CommunityGroupSubmitsToAnOpenRound) {
  testing::SeedOverGrpc(channel_.get(), admin_, testing::TestEpoch());
  apb::Application submitted;
  grpc::Status s = DraftAndSubmit("funds/lff/rounds/open", &submitted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(submitted.state(), apb::Application::SUBMITTED);

  apb::ListApplicationsRequest list;
  list.set_round("funds/lff/rounds/open");
  list.set_state(apb::Application::SUBMITTED);
  apb::ListApplicationsResponse resp;
  ASSERT_TRUE(applications_
                  ->ListApplications(
                      Ctx(minter_->Token("grace", {"grants_officer"})).get(),
                      list, &resp)
                  .ok());
  ASSERT_EQ(resp.applications_size(), 1);
  EXPECT_EQ(resp.applications(0).name(), submitted.name());
}

TEST_F(ServerTest, ClosedRoundGivesFailedPreconditionWithReason) {
  testing::SeedOverGrpc(channel_.get(), admin_, testing::TestEpoch());
  apb::Application out;
  grpc::Status s = DraftAndSubmit("funds/lff/rounds/closed", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(s.error_details()));
  google::rpc::ErrorInfo info;
  ASSERT_EQ(rpc.details_size(), 1);
  ASSERT_TRUE(rpc.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "ROUND_CLOSED");
  EXPECT_EQ(info.domain(), "grantflow");

  // The injected clock moves the open round past its close too.
  clock_.Advance(absl::Hours(24 * 31));
  s = DraftAndSubmit("funds/lff/rounds/open", &out, "2");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(ServerTest, InvalidFieldsComeBackAsBadRequestViolations) {
  ppb::CreateRoundRequest req;
  req.set_parent("funds/lff");
  req.set_round_id("Bad_Id");
  req.set_request_id("r");
  ppb::Round out;
  grpc::Status s = programmes_->CreateRound(Ctx(admin_).get(), req, &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(s.error_details()));
  google::rpc::BadRequest br;
  ASSERT_TRUE(rpc.details(0).UnpackTo(&br));
  std::set<std::string> fields;
  for (const auto& v : br.field_violations()) fields.insert(v.field());
  EXPECT_TRUE(fields.contains("round_id"));
  EXPECT_TRUE(fields.contains("round.display_name"));
  EXPECT_TRUE(fields.contains("round.open_time"));
  EXPECT_TRUE(fields.contains("round.lifecycle_definition"));
}

TEST_F(ServerTest, AuthenticationAndRoles) {
  ppb::ListFundsRequest req;
  ppb::ListFundsResponse resp;
  EXPECT_EQ(programmes_->ListFunds(Ctx("").get(), req, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      programmes_->ListFunds(Ctx("garbage").get(), req, &resp).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  std::string expired =
      minter_->Token("old", {"admin"}, "", -absl::Hours(24 * 365 * 10));
  EXPECT_EQ(programmes_->ListFunds(Ctx(expired).get(), req, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(programmes_->ListFunds(Ctx(amira_).get(), req, &resp).ok());

  ppb::CreateFundRequest create;
  create.set_fund_id("lff");
  *create.mutable_fund() = testing::ValidFund();
  create.set_request_id("c");
  ppb::Fund fund;
  grpc::Status denied =
      programmes_->CreateFund(Ctx(amira_).get(), create, &fund);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(denied.error_message(), HasSubstr("grants_officer"));
  EXPECT_TRUE(programmes_->ListFunds(Ctx(admin_).get(), req, &resp).ok());
  EXPECT_EQ(resp.funds_size(), 0) << "the refused create wrote nothing";
}

// Default deny, checked from the outside: every method of every hosted
// service refuses a call without a token, before reading its request.
TEST_F(ServerTest, EveryRpcRefusesAnonymousCalls) {
  (void)ppb::Fund::descriptor();
  (void)apb::Application::descriptor();
  (void)workflow::v1::Case::descriptor();
  (void)audit::v1::ChainReport::descriptor();
  (void)privacy::v1::Subject::descriptor();
  grpc::GenericStub generic(channel_);
  int methods = 0;
  for (const std::string& full : EveryServiceName()) {
    const auto* svc =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            full);
    ASSERT_NE(svc, nullptr);
    for (int i = 0; i < svc->method_count(); ++i) {
      grpc::ClientContext ctx;
      grpc::CompletionQueue cq;
      grpc::ByteBuffer request, response;
      grpc::Slice empty("");
      request = grpc::ByteBuffer(&empty, 1);
      auto call = generic.PrepareUnaryCall(
          &ctx, absl::StrCat("/", full, "/", svc->method(i)->name()), request,
          &cq);
      call->StartCall();
      grpc::Status status;
      call->Finish(&response, &status, reinterpret_cast<void*>(1));
      void* tag;
      bool ok;
      ASSERT_TRUE(cq.Next(&tag, &ok));
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
          << full << "/" << svc->method(i)->name();
      ++methods;
    }
  }
  EXPECT_EQ(methods, 126);
}

TEST_F(ServerTest, RetriedRequestIdReturnsTheFirstResult) {
  ppb::CreateFundRequest create;
  create.set_fund_id("lff");
  *create.mutable_fund() = testing::ValidFund();
  create.set_request_id("same-id");
  ppb::Fund first, second;
  ASSERT_TRUE(programmes_->CreateFund(Ctx(admin_).get(), create, &first).ok());
  clock_.Advance(absl::Minutes(5));
  ASSERT_TRUE(programmes_->CreateFund(Ctx(admin_).get(), create, &second).ok());
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  ppb::ListFundsResponse funds;
  ASSERT_TRUE(programmes_->ListFunds(Ctx(admin_).get(), {}, &funds).ok());
  EXPECT_EQ(funds.funds_size(), 1);
}

// Options for a server on a free port over `dir`, on `clock`, with no
// background passes but those the test runs.
ServerOptions QuietOptions(const testing::TempDir& dir, Clock* clock) {
  ServerOptions o;
  o.data_dir = dir.path();
  o.listen = "127.0.0.1:0";
  o.clock = clock;
  o.background_interval = absl::ZeroDuration();
  return o;
}

// Settings under which one hung peer could take every thread are refused.
TEST(ServerOptionsTest, APeerMayNeverHoldEveryThread) {
  testing::TempDir dir;
  FakeClock clock{testing::TestEpoch()};
  ServerOptions o = QuietOptions(dir, &clock);
  o.max_threads = 8;
  for (int calls : {0, 7, 8, 100}) {
    o.max_peer_calls = calls;
    auto refused = GrantflowServer::Start(o);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument)
        << calls;
  }
  o.max_peer_calls = 6;
  auto server = GrantflowServer::Start(o);
  EXPECT_TRUE(server.ok()) << server.status();
}

TEST(ServerRetentionTest, RequestIdsAreForgottenAfterTheConfiguredRetention) {
  testing::TempDir dir;
  FakeClock clock{testing::TestEpoch()};
  ServerOptions o = QuietOptions(dir, &clock);
  o.idempotency_retention = absl::Hours(1);
  auto server = GrantflowServer::Start(o);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                          grpc::InsecureChannelCredentials());
  auto programmes = ppb::ProgrammeService::NewStub(channel);
  const std::string admin = testing::TokenMinter(dir.path())
                                .Token("root", {"admin"}, "", absl::Hours(5));
  auto create = [&](const std::string& id) {
    ppb::CreateFundRequest req;
    req.set_fund_id(id);
    *req.mutable_fund() = testing::ValidFund();
    req.set_request_id("same-id");
    ppb::Fund out;
    grpc::ClientContext ctx;
    testing::Authorise(&ctx, admin);
    return programmes->CreateFund(&ctx, req, &out);
  };
  ASSERT_TRUE(create("lff").ok());
  // Within the hour the request id is remembered: another request under it
  // is refused.
  clock.Advance(absl::Minutes(30));
  ASSERT_TRUE((*server)->RunBackgroundOnce().ok());
  EXPECT_EQ(create("culture-seeds").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // After it, the background pass has forgotten it: the id is free again.
  clock.Advance(absl::Minutes(45));
  ASSERT_TRUE((*server)->RunBackgroundOnce().ok());
  EXPECT_TRUE(create("culture-seeds").ok());
  // A zero retention is refused at start.
  o.idempotency_retention = absl::ZeroDuration();
  testing::TempDir other;
  o.data_dir = other.path();
  EXPECT_FALSE(GrantflowServer::Start(o).ok());
}

TEST_F(ServerTest, HealthReportsServingForEachService) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  for (const std::string service :
       {"", "grantflow.programmes.v1.ProgrammeService",
        "grantflow.applications.v1.ApplicationService"}) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    ASSERT_TRUE(health->Check(&ctx, req, &resp).ok()) << service;
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING)
        << service;
  }
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckRequest req;
  req.set_service("grantflow.reporting.v1.ReportingService");
  grpc::health::v1::HealthCheckResponse resp;
  EXPECT_EQ(health->Check(&ctx, req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND)
      << "services not hosted here are not reported healthy";
}

// A reflection-only client (grantctl rpc, which compiles in none of
// grantflow's protos) lists and calls the services.
TEST_F(ServerTest, ReflectionClientListsAndCallsTheServices) {
  testing::SeedOverGrpc(channel_.get(), admin_, testing::TestEpoch());
  std::string out;
  ASSERT_EQ(testing::RunCommand({GRANTCTL_PATH, "--addr", addr_, "rpc", "list"},
                                &out),
            0)
      << out;
  for (const auto& [name, full] : HostableServices()) {
    EXPECT_THAT(out, HasSubstr(full)) << name;
  }
  ASSERT_EQ(
      testing::RunCommand({GRANTCTL_PATH, "--addr", addr_, "rpc", "describe",
                           "grantflow.assessment.v1.AssessmentService"},
                          &out),
      0)
      << out;
  EXPECT_THAT(out, HasSubstr("DeclareInterest(grantflow.assessment.v1."
                             "DeclareInterestRequest)"));
  ASSERT_EQ(
      testing::RunCommand({GRANTCTL_PATH, "--addr", addr_, "rpc", "describe",
                           "grantflow.applications.v1.ApplicationService"},
                          &out),
      0)
      << out;
  EXPECT_THAT(out, HasSubstr("SubmitApplication(grantflow.applications.v1."
                             "SubmitApplicationRequest)"));
  ASSERT_EQ(testing::RunCommand(
                {GRANTCTL_PATH, "--addr", addr_, "--token", admin_, "rpc",
                 "call", "grantflow.programmes.v1.ProgrammeService/GetRound",
                 R"({"name": "funds/lff/rounds/open"})"},
                &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("\"lifecycle_definition\": \"standard\""));
  // Errors through the generic client carry the field violations too.
  EXPECT_EQ(testing::RunCommand(
                {GRANTCTL_PATH, "--addr", addr_, "--token", admin_, "rpc",
                 "call", "grantflow.programmes.v1.ProgrammeService/CreateFund",
                 R"({"fund_id": "Not Valid"})"},
                &out),
            1);
  EXPECT_THAT(out, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(out, HasSubstr("- fund_id:"));
}

TEST_F(ServerTest, GrantctlShowsTablesJsonAndViolations) {
  testing::SeedOverGrpc(channel_.get(), admin_, testing::TestEpoch());
  std::string out;
  ASSERT_EQ(
      testing::RunCommand({GRANTCTL_PATH, "--addr", addr_, "--token", admin_,
                           "budget-lines", "list", "--fund", "funds/lff"},
                          &out),
      0)
      << out;
  EXPECT_THAT(out, HasSubstr("£215,000.00"));
  EXPECT_THAT(out, HasSubstr("MD2192"));
  ASSERT_EQ(testing::RunCommand({GRANTCTL_PATH, "--addr", addr_, "--token",
                                 admin_, "--json", "funds", "get", "funds/lff"},
                                &out),
            0);
  EXPECT_THAT(out, HasSubstr("\"name\": \"funds/lff\""));
  EXPECT_EQ(
      testing::RunCommand({GRANTCTL_PATH, "--addr", addr_, "--token", amira_,
                           "apps", "draft", "--round", "funds/lff/rounds/open",
                           "--org", "organisations/hackney-families",
                           "--amount-pence", "5", "--borough", "Atlantis"},
                          &out),
      1);
  EXPECT_THAT(out, HasSubstr("- application.amount_requested_pence:"));
  EXPECT_THAT(out, HasSubstr("- application.boroughs_served[0]:"));
}

TEST_F(ServerTest, SubmissionStartsACaseThatMovesThroughTheEngine) {
  testing::SeedOverGrpc(channel_.get(), admin_, testing::TestEpoch());
  apb::Application submitted;
  ASSERT_TRUE(DraftAndSubmit("funds/lff/rounds/open", &submitted).ok());
  const std::string case_name =
      "cases/" + submitted.name().substr(std::string("applications/").size());
  auto engine = workflow::v1::WorkflowService::NewStub(channel_);
  const std::string officer = minter_->Token("grace", {"grants_officer"});
  workflow::v1::Case c;
  for (int i = 0; i < 100; ++i) {
    workflow::v1::GetCaseRequest get;
    get.set_name(case_name);
    if (engine->GetCase(Ctx(officer).get(), get, &c).ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(c.state(), "SUBMITTED");

  // A fact the state does not accept (a service recording a grants
  // officer's issue of an agreement before any award): FAILED_PRECONDITION
  // naming the facts it accepts.
  workflow::v1::RecordFactRequest bad;
  bad.set_name(case_name);
  bad.set_fact("AGREEMENT_ISSUED");
  bad.mutable_payload()->set_document_sha256(std::string(64, 'a'));
  bad.set_on_behalf_of("grace");
  bad.mutable_acting()->add_roles("grants_officer");
  bad.set_request_id("bad");
  grpc::Status s = engine->RecordFact(
      Ctx(minter_->Token("grantflowd", {"service"})).get(), bad, &c);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("ELIGIBILITY_CHECK_STARTED"));
  // An applicant cannot drive the engine at all.
  EXPECT_EQ(engine->RecordFact(Ctx(amira_).get(), bad, &c).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  std::string out;
  // Screening is AssessmentService's: at the engine directly it is refused,
  // naming the way; through assessment it moves the case, on grace's behalf.
  ASSERT_EQ(testing::RunCommand(
                {GRANTCTL_PATH, "--addr", addr_, "--token", officer, "cases",
                 "fact", case_name, "ELIGIBILITY_CHECK_STARTED"},
                &out),
            1)
      << out;
  EXPECT_THAT(out, HasSubstr("RECORDED_BY_SERVICE"));
  EXPECT_THAT(out, HasSubstr("grantctl assess"));
  ASSERT_EQ(
      testing::RunCommand({GRANTCTL_PATH, "--addr", addr_, "--token", officer,
                           "assess", "screen", case_name.substr(6),
                           "--eligible", "--reason", "complete and in scope"},
                          &out),
      0)
      << out;
  EXPECT_THAT(out, HasSubstr("IN_ASSESSMENT"));
  ASSERT_EQ(testing::RunCommand({GRANTCTL_PATH, "--addr", addr_, "--token",
                                 officer, "cases", "history", case_name},
                                &out),
            0);
  EXPECT_THAT(out, HasSubstr("complete and in scope"));
  EXPECT_THAT(out, HasSubstr("CASE_STARTED"));
  // The seeded budget lines reached the ledger through the outbox.
  for (int i = 0; i < 100; ++i) {
    testing::RunCommand({GRANTCTL_PATH, "--addr", addr_, "--token", officer,
                         "ledger", "show", "--fund", "funds/lff"},
                        &out);
    if (out.find("grants-b") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_THAT(out, HasSubstr("funds/lff/budgetLines/grants-a"));
  EXPECT_THAT(out, HasSubstr("£215,000.00"));
  ASSERT_EQ(testing::RunCommand({GRANTCTL_PATH, "--addr", addr_, "--token",
                                 admin_, "outbox", "parked"},
                                &out),
            0);
  EXPECT_THAT(out, ::testing::Not(HasSubstr("workflow.")));
}

}  // namespace
}  // namespace grantflow
