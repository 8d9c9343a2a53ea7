// End-to-end tests with real grantflowd processes: acknowledged writes
// survive SIGKILL, and the services run as separate processes that reach each
// other only over gRPC.
#include <signal.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "grantflow/agreements/v1/agreements.grpc.pb.h"
#include "grantflow/assessment/v1/assessment.grpc.pb.h"
#include "grantflow/payments/v1/payments.grpc.pb.h"
#include "grantflow/workflow/v1/workflow.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "platform/resources.h"
#include "services/common/tls.h"
#include "storage/store.h"
#include "tests/adversarial/rig.h"
#include "tests/testing/daemon.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/process.h"
#include "tests/testing/split_deployment.h"
#include "tests/testing/temp_dir.h"

namespace grantflow {
namespace {

namespace ppb = ::grantflow::programmes::v1;
namespace apb = ::grantflow::applications::v1;

using testing::SetClock;

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
    // Every acknowledged submission reaches assessment, through the outbox
    // the crashes interrupted.
    auto assess = assessment::v1::AssessmentService::NewStub(d.Channel());
    const std::string grace = minter.Token("grace", {"grants_officer"});
    std::set<std::string> missing = acknowledged;
    for (int i = 0; i < 300 && !missing.empty(); ++i) {
      for (auto it = missing.begin(); it != missing.end();) {
        grpc::ClientContext ctx;
        testing::Authorise(&ctx, grace);
        assessment::v1::GetAssessmentRequest get;
        get.set_name("assessments/" + it->substr(13));
        assessment::v1::Assessment got;
        it = assess->GetAssessment(&ctx, get, &got).ok() ? missing.erase(it)
                                                         : std::next(it);
      }
      if (!missing.empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    EXPECT_TRUE(missing.empty())
        << missing.size() << " acknowledged submissions never reached "
        << "assessment";
    d.Kill(SIGTERM);
  }
  for (const char* service : {"programmes", "applications", "assessment"}) {
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

// The split deployment: programmes, applications, assessment, due diligence,
// safeguarding, awards, agreements, payments and the engine in nine processes,
// each with its own data directory, reaching each other only over gRPC, seeded
// by grantctl sending each section to the service that owns it.
TEST(GrantflowdTest, ServicesRunAsSeparateProcesses) {
  testing::TempDir dir;
  SetClock(dir, testing::TestEpoch());
  SplitDeployment split(dir);
  ASSERT_TRUE(split.Up());
  const std::string admin = split.minter->Token("root", {"admin"});
  std::string out;
  ASSERT_EQ(split.Grantctl(admin, {"seed", split.seed_file}, &out), 0) << out;
  EXPECT_THAT(out, ::testing::HasSubstr("6 records loaded"));
  // Seeding again changes nothing.
  ASSERT_EQ(split.Grantctl(admin, {"seed", split.seed_file}, &out), 0) << out;

  auto apps = apb::ApplicationService::NewStub(split.Channel("applications"));
  const std::string amira = split.minter->Token(
      "amira", {"applicant"}, "organisations/hackney-families");
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

  // The submission reaches the engine in its own process through the
  // applications outbox; the budget lines reached its ledger synchronously.
  auto engine =
      workflow::v1::WorkflowService::NewStub(split.Channel("workflow"));
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
  EXPECT_EQ(started.organisation(), "organisations/hackney-families");
  EXPECT_EQ(started.amount_requested_pence(), 2'000'000);
  EXPECT_TRUE(started.safeguarding_required())
      << "the project works with children";
  {
    grpc::ClientContext c;
    testing::Authorise(&c, admin);
    workflow::v1::GetLedgerLineRequest get;
    get.set_name("funds/lff/budgetLines/grants-a");
    workflow::v1::LedgerLine line;
    ASSERT_TRUE(engine->GetLedgerLine(&c, get, &line).ok());
    EXPECT_EQ(line.ceiling_pence(), 21'500'000);
    EXPECT_EQ(line.source_generation(), 1);
  }

  // The applications process does not serve ProgrammeService itself.
  auto wrong = ppb::ProgrammeService::NewStub(split.Channel("applications"));
  grpc::ClientContext ctx4;
  testing::Authorise(&ctx4, admin);
  ppb::ListFundsResponse funds;
  EXPECT_EQ(wrong->ListFunds(&ctx4, {}, &funds).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);

  // With programmes gone, drafting fails cleanly instead of guessing.
  split.Kill("programmes");
  grpc::ClientContext ctx5;
  testing::Authorise(&ctx5, amira);
  draft.set_request_id("d3");
  EXPECT_EQ(apps->CreateApplication(&ctx5, draft, &created).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

namespace wpb = ::grantflow::workflow::v1;
namespace opb = ::grantflow::outbox::v1;

// Drafts and submits one application for amira; true when acknowledged.
bool SubmitOne(apb::ApplicationService::Stub& apps, const std::string& token,
               const std::string& id, std::string* name) {
  grpc::ClientContext ctx;
  testing::Authorise(&ctx, token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  apb::CreateApplicationRequest draft;
  *draft.mutable_application() = testing::CompleteApplication(
      "funds/lff/rounds/open", "organisations/hackney-families", 2'000'000);
  draft.set_request_id("d-" + id);
  apb::Application created;
  if (!apps.CreateApplication(&ctx, draft, &created).ok()) return false;
  grpc::ClientContext ctx2;
  testing::Authorise(&ctx2, token);
  ctx2.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  apb::SubmitApplicationRequest submit;
  submit.set_name(created.name());
  submit.set_request_id("s-" + id);
  apb::Application done;
  if (!apps.SubmitApplication(&ctx2, submit, &done).ok()) return false;
  *name = done.name();
  return true;
}

// Every task waiting (or parked) in the applications service's outbox.
int OutboxTasks(SplitDeployment& split, const std::string& token, bool parked,
                int* max_attempts = nullptr) {
  auto apps = apb::ApplicationService::NewStub(split.Channel("applications"));
  grpc::ClientContext ctx;
  testing::Authorise(&ctx, token);
  opb::ListTasksRequest req;
  req.set_parked(parked);
  req.set_page_size(500);
  opb::ListTasksResponse resp;
  if (!apps->ListTasks(&ctx, req, &resp).ok()) return -1;
  for (const auto& t : resp.tasks()) {
    if (max_attempts) *max_attempts = std::max(*max_attempts, t.attempts());
  }
  return resp.tasks_size();
}

// Applications whose case the engine does not have.
std::vector<std::string> WithoutCase(SplitDeployment& split,
                                     const std::string& token,
                                     const std::set<std::string>& apps) {
  auto engine = wpb::WorkflowService::NewStub(split.Channel("workflow"));
  std::vector<std::string> missing;
  for (const std::string& a : apps) {
    grpc::ClientContext ctx;
    testing::Authorise(&ctx, token);
    wpb::GetCaseRequest get;
    get.set_name("cases/" + a.substr(std::string("applications/").size()));
    wpb::Case c;
    if (!engine->GetCase(&ctx, get, &c).ok()) missing.push_back(a);
  }
  return missing;
}

// The split deployment over mutual TLS, with certificates made by the
// deploy script: the services find each other by certificate, people by
// token; plaintext, a token claiming to be a service, and a certificate from
// another CA are all turned away.
TEST(GrantflowdTest, SplitDeploymentOverMutualTls) {
  testing::TempDir dir;
  SetClock(dir, testing::TestEpoch());
  std::string out;
  ASSERT_EQ(testing::RunCommand(
                {"/bin/bash", GRANTFLOW_MAKE_CERTS, dir.Sub("tls")}, &out),
            0)
      << out;
  ASSERT_EQ(testing::RunCommand({"/bin/bash", GRANTFLOW_MAKE_CERTS,
                                 dir.Sub("rogue"), "workflow"},
                                &out),
            0)
      << out;
  SplitDeployment split(dir);
  split.tls_dir = dir.Sub("tls");
  ASSERT_TRUE(split.Up());
  const std::string admin = split.minter->Token("root", {"admin"});
  ASSERT_EQ(split.Grantctl(admin, {"seed", split.seed_file}, &out), 0) << out;

  // A bid crosses three processes: the round from programmes, the case to
  // the engine through the applications outbox, all peer calls by
  // certificate.
  const std::string amira = split.minter->Token(
      "amira", {"applicant"}, "organisations/hackney-families");
  auto apps = apb::ApplicationService::NewStub(split.Channel("applications"));
  std::string name;
  ASSERT_TRUE(SubmitOne(*apps, amira, "tls", &name));
  auto engine = wpb::WorkflowService::NewStub(split.Channel("workflow"));
  wpb::GetCaseRequest get;
  get.set_name("cases/" + name.substr(std::string("applications/").size()));
  wpb::Case started;
  grpc::Status got;
  for (int i = 0; i < 100; ++i) {
    grpc::ClientContext c;
    testing::Authorise(&c, admin);
    got = engine->GetCase(&c, get, &started);
    if (got.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(got.ok()) << got.error_message();
  EXPECT_EQ(started.state(), "SUBMITTED");

  testing::Attacks attacks("mutual TLS between services");
  // Plaintext to a TLS port.
  {
    auto plain = wpb::WorkflowService::NewStub(grpc::CreateChannel(
        split.Addr("workflow"), grpc::InsecureChannelCredentials()));
    grpc::ClientContext c;
    testing::Authorise(&c, admin);
    c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    wpb::Case ignored;
    attacks.Refused("plaintext", plain->GetCase(&c, get, &ignored),
                    grpc::StatusCode::UNAVAILABLE);
  }
  // A token claiming to be a service, signed with a trusted key, over TLS
  // without a client certificate: the engine's service-only StartCase.
  wpb::StartCaseRequest start;
  start.set_application("applications/forged");
  start.set_round("funds/lff/rounds/open");
  start.set_request_id("forged");
  {
    grpc::ClientContext c;
    testing::Authorise(&c, split.minter->Token("grantflowd", {"service"}));
    wpb::Case ignored;
    grpc::Status s = engine->StartCase(&c, start, &ignored);
    attacks.Refused("a service token without a certificate", s,
                    grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_THAT(s.error_message(), ::testing::HasSubstr("client certificate"));
  }
  // A certificate from another CA, even one naming a grantflowd.
  {
    TlsFiles rogue{.cert = dir.Sub("rogue") + "/workflow.pem",
                   .key = dir.Sub("rogue") + "/workflow.key",
                   .ca = split.tls_dir + "/ca.pem"};
    auto stub = wpb::WorkflowService::NewStub(grpc::CreateChannel(
        split.Addr("workflow"), *ChannelCredentialsFor(rogue)));
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    wpb::Case ignored;
    attacks.Refused("a certificate from another CA",
                    stub->StartCase(&c, start, &ignored),
                    grpc::StatusCode::UNAVAILABLE);
  }
  // The deployment's own certificate is a service's identity, no token
  // needed; with a person's token on it, the call is that person's.
  {
    TlsFiles peer{.cert = split.tls_dir + "/awards.pem",
                  .key = split.tls_dir + "/awards.key",
                  .ca = split.tls_dir + "/ca.pem"};
    auto stub = wpb::WorkflowService::NewStub(grpc::CreateChannel(
        split.Addr("workflow"), *ChannelCredentialsFor(peer)));
    grpc::ClientContext c;
    wpb::Case seen;
    EXPECT_TRUE(stub->GetCase(&c, get, &seen).ok());
    grpc::ClientContext c2;
    testing::Authorise(&c2, amira);
    attacks.Refused("a person's token on a service's certificate",
                    stub->GetCase(&c2, get, &seen),
                    grpc::StatusCode::PERMISSION_DENIED);
  }
  // grantctl over TLS, and refusing plaintext.
  ASSERT_EQ(split.Grantctl(admin, {"cases", "get", started.name()}, &out), 0)
      << out;
  EXPECT_THAT(out, ::testing::HasSubstr("SUBMITTED"));
}

// A split deployment under tight overload settings, and amira's calls to
// its ApplicationService.
struct Overloaded {
  Overloaded(const testing::TempDir& dir, int max_peer_calls, int max_threads,
             int peer_deadline_s = 3)
      : split(dir) {
    split.extra_flags = {absl::StrCat("--peer_deadline=", peer_deadline_s, "s"),
                         absl::StrCat("--max_peer_calls=", max_peer_calls),
                         absl::StrCat("--max_threads=", max_threads)};
  }
  void Up() {
    split.UpAndSeeded();
    amira = split.minter->Token("amira", {"applicant"},
                                "organisations/hackney-families");
    apps = apb::ApplicationService::NewStub(split.Channel("applications"));
  }
  // A draft (it needs the round from programmes).
  grpc::Status Draft(const std::string& request_id) {
    grpc::ClientContext ctx;
    testing::Authorise(&ctx, amira);
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(20));
    apb::CreateApplicationRequest draft;
    *draft.mutable_application() = testing::CompleteApplication(
        "funds/lff/rounds/open", "organisations/hackney-families", 2'000'000);
    draft.set_request_id(request_id);
    apb::Application created;
    return apps->CreateApplication(&ctx, draft, &created);
  }
  // A read that needs no peer.
  grpc::Status Get(const std::string& name) {
    grpc::ClientContext ctx;
    testing::Authorise(&ctx, amira);
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(2));
    apb::GetApplicationRequest get;
    get.set_name(name);
    apb::Application got;
    return apps->GetApplication(&ctx, get, &got);
  }

  SplitDeployment split;
  std::string amira;
  std::unique_ptr<apb::ApplicationService::Stub> apps;
};

// A hung peer (programmes stopped with SIGSTOP: it accepts connections and
// never answers): calls that need it end at the peer deadline or, beyond
// the calls allowed to wait on it, at once with RESOURCE_EXHAUSTED; nothing
// hangs, and RPCs that do not need it are answered meanwhile.
TEST(GrantflowdTest, AHungPeerNeverBlocksUnrelatedRpcs) {
  testing::TempDir dir;
  SetClock(dir, testing::TestEpoch());
  Overloaded o(dir, /*max_peer_calls=*/4, /*max_threads=*/12);
  ASSERT_NO_FATAL_FAILURE(o.Up());
  std::string first;
  ASSERT_TRUE(SubmitOne(*o.apps, o.amira, "before", &first));

  o.split.procs["programmes"]->Signal(SIGSTOP);
  // Twelve drafts at once: each needs the round from programmes.
  std::vector<grpc::StatusCode> codes(12);
  std::vector<std::thread> drafts;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 12; ++i) {
    drafts.emplace_back(
        [&, i] { codes[i] = o.Draft(absl::StrCat("hung-", i)).error_code(); });
  }
  // Meanwhile, what does not need programmes is answered.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int answered = 0;
  for (int i = 0; i < 5; ++i) {
    grpc::Status s = o.Get(first);
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    answered += s.ok();
  }
  for (auto& t : drafts) t.join();
  const auto waited = std::chrono::steady_clock::now() - t0;
  o.split.procs["programmes"]->Signal(SIGCONT);
  EXPECT_EQ(answered, 5);
  int deadline = 0, exhausted = 0;
  for (grpc::StatusCode c : codes) {
    EXPECT_TRUE(c == grpc::StatusCode::DEADLINE_EXCEEDED ||
                c == grpc::StatusCode::RESOURCE_EXHAUSTED)
        << c;
    deadline += c == grpc::StatusCode::DEADLINE_EXCEEDED;
    exhausted += c == grpc::StatusCode::RESOURCE_EXHAUSTED;
  }
  // Four waited out the peer deadline; the rest were turned away at once.
  EXPECT_EQ(deadline, 4);
  EXPECT_EQ(exhausted, 8);
  EXPECT_LT(waited, std::chrono::seconds(15)) << "a call outlived its deadline";
  std::cout << "hung peer: " << deadline
            << " calls ended at the peer deadline, " << exhausted
            << " refused at once (RESOURCE_EXHAUSTED), " << answered
            << "/5 unrelated reads answered meanwhile\n";
  // With programmes back, drafting works again.
  std::string after;
  EXPECT_TRUE(SubmitOne(*o.apps, o.amira, "after", &after));
}

// Every thread of a server busy (two peers hung, each call within the
// per-peer limit): a new call is answered RESOURCE_EXHAUSTED at once rather
// than queued, and the server answers again once the calls holding its
// threads end at their deadline.
TEST(GrantflowdTest, AServerWithEveryThreadBusyTurnsCallsAwayAtOnce) {
  testing::TempDir dir;
  SetClock(dir, testing::TestEpoch());
  Overloaded o(dir, /*max_peer_calls=*/3, /*max_threads=*/7,
               /*peer_deadline_s=*/8);
  ASSERT_NO_FATAL_FAILURE(o.Up());
  std::vector<std::string> submitted(3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        SubmitOne(*o.apps, o.amira, absl::StrCat("busy-", i), &submitted[i]));
  }
  o.split.procs["programmes"]->Signal(SIGSTOP);
  o.split.procs["workflow"]->Signal(SIGSTOP);
  // Three drafts wait on programmes, three withdrawals on the engine: six
  // of the seven threads; the seventh polls.
  std::vector<std::thread> hung;
  std::vector<grpc::StatusCode> waited(6);
  for (int i = 0; i < 3; ++i) {
    hung.emplace_back([&, i] {
      waited[2 * i] = o.Draft(absl::StrCat("busy-draft-", i)).error_code();
    });
    hung.emplace_back([&, i] {
      grpc::ClientContext ctx;
      testing::Authorise(&ctx, o.amira);
      apb::WithdrawApplicationRequest w;
      w.set_name(submitted[i]);
      w.set_reason("changed our plans");
      w.set_request_id(absl::StrCat("busy-withdraw-", i));
      apb::Application out;
      waited[2 * i + 1] =
          o.apps->WithdrawApplication(&ctx, w, &out).error_code();
    });
  }
  // Time for all six to take their threads, well inside the 8 s deadline
  // (polling meanwhile would itself take a thread from one of them).
  std::this_thread::sleep_for(std::chrono::seconds(2));
  int exhausted = 0;
  std::string message;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    grpc::Status s = o.Get(submitted[0]);
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << s.error_message();
    // Refused at once: a queued call would wait out the 8 s peer deadline.
    EXPECT_LT(took, std::chrono::seconds(1)) << "queued, not refused";
    exhausted += s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
    message = s.error_message();
  }
  for (auto& t : hung) t.join();
  o.split.procs["programmes"]->Signal(SIGCONT);
  o.split.procs["workflow"]->Signal(SIGCONT);
  // The six did hold their threads: none was itself turned away.
  for (grpc::StatusCode c : waited) {
    EXPECT_NE(c, grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_NE(c, grpc::StatusCode::OK);
  }
  std::cout << "busy server: " << exhausted
            << "/5 calls refused at once (RESOURCE_EXHAUSTED: \"" << message
            << "\") while six waited on hung peers\n";
  // The threads are free again.
  grpc::Status s = o.Get(submitted[0]);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// The engine was down far longer than the outbox's old parking time (eight
// attempts, about two minutes): every submission's StartCase task waited,
// none parked, and all were delivered once it came back.
TEST(GrantflowdTest, TasksWaitThroughAnEngineOutageOfHours) {
  testing::TempDir dir;
  absl::Time now = testing::TestEpoch();
  SetClock(dir, now);
  SplitDeployment split(dir);
  ASSERT_NO_FATAL_FAILURE(split.UpAndSeeded());
  const std::string admin = split.admin;
  split.Kill("workflow");
  auto apps = apb::ApplicationService::NewStub(split.Channel("applications"));
  const std::string amira = split.minter->Token(
      "amira", {"applicant"}, "organisations/hackney-families");
  std::set<std::string> submitted;
  for (int i = 0; i < 6; ++i) {
    std::string name;
    ASSERT_TRUE(SubmitOne(*apps, amira, absl::StrCat("outage-", i), &name));
    submitted.insert(name);
  }
  // Three hours and twenty minutes pass with the engine down.
  for (int step = 0; step < 40; ++step) {
    now += absl::Minutes(5);
    SetClock(dir, now);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  int attempts = 0;
  EXPECT_EQ(OutboxTasks(split, admin, /*parked=*/true), 0);
  EXPECT_EQ(OutboxTasks(split, admin, /*parked=*/false, &attempts), 6);
  EXPECT_GT(attempts, 8) << "more attempts than the old parking limit";
  // grantctl shows the waiting tasks across services, and says which one
  // could not answer.
  std::string view;
  EXPECT_EQ(split.Grantctl(admin, {"outbox", "waiting"}, &view), 1);
  EXPECT_EQ(std::count_if(submitted.begin(), submitted.end(),
                          [&](const std::string& a) {
                            return view.find("cases/" + a.substr(13)) !=
                                   std::string::npos;
                          }),
            6)
      << view;
  EXPECT_THAT(view, ::testing::HasSubstr("workflow.start_case"));
  EXPECT_THAT(view, ::testing::HasSubstr("workflow (127.0.0.1:"));
  ASSERT_TRUE(split.Start("workflow"));
  std::vector<std::string> missing;
  for (int i = 0; i < 100; ++i) {
    now += absl::Minutes(1);
    SetClock(dir, now);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    missing = WithoutCase(split, admin, submitted);
    if (missing.empty() && OutboxTasks(split, admin, false) == 0) break;
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " submissions have no case";
  EXPECT_EQ(OutboxTasks(split, admin, false), 0);
  std::cout << "engine outage: " << submitted.size()
            << " StartCase tasks waited 3h20m (up to " << attempts
            << " attempts each), none parked, all delivered after restart\n";
}

// Each process of a split deployment is killed and restarted while groups
// submit and the grants team changes ceilings. Afterwards every
// acknowledged submission has exactly one case, no case lacks a submitted
// application, and ProgrammeService's ceilings equal the ledger's.
TEST(GrantflowdTest, SplitDeploymentSurvivesKillsOfEachProcess) {
  testing::TempDir dir;
  absl::Time now = testing::TestEpoch();
  SetClock(dir, now);
  SplitDeployment split(dir);
  ASSERT_NO_FATAL_FAILURE(split.UpAndSeeded());
  const std::string admin = split.admin;
  const std::string officer = split.minter->Token("grace", {"grants_officer"});
  const std::string amira = split.minter->Token(
      "amira", {"applicant"}, "organisations/hackney-families");
  const std::vector<std::string> lines = {"funds/lff/budgetLines/grants-a",
                                          "funds/lff/budgetLines/grants-b"};
  std::mutex mu;
  std::set<std::string> acknowledged;
  std::map<std::string, int64_t> last_acked;             // per line
  std::map<std::string, std::set<int64_t>> tried_since;  // per line
  const int cycles = std::getenv("GRANTFLOW_SOAK") ? 12 : 3;
  const std::vector<std::string> victims = {"workflow", "programmes",
                                            "applications"};
  int n = 0;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < 2; ++c) {
      clients.emplace_back([&, c] {
        auto apps =
            apb::ApplicationService::NewStub(split.Channel("applications"));
        for (int i = 0; !stop; ++i) {
          std::string name;
          if (SubmitOne(*apps, amira, absl::StrCat(cycle, "-", c, "-", i),
                        &name)) {
            std::lock_guard<std::mutex> l(mu);
            acknowledged.insert(name);
          } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }
      });
    }
    clients.emplace_back([&] {
      auto prog = ppb::ProgrammeService::NewStub(split.Channel("programmes"));
      std::mt19937 rng(cycle);
      for (int i = 0; !stop; ++i) {
        const std::string& line = lines[i % 2];
        const int64_t ceiling = 21'500'000 + (rng() % 100) * 10'000;
        {
          std::lock_guard<std::mutex> l(mu);
          tried_since[line].insert(ceiling);
        }
        grpc::ClientContext ctx;
        testing::Authorise(&ctx, officer);
        ctx.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
        ppb::UpdateBudgetLineRequest up;
        up.mutable_budget_line()->set_name(line);
        up.mutable_budget_line()->set_ceiling_pence(ceiling);
        up.mutable_update_mask()->add_paths("ceiling_pence");
        up.set_request_id(absl::StrCat("ceiling-", cycle, "-", i));
        ppb::BudgetLine done;
        if (prog->UpdateBudgetLine(&ctx, up, &done).ok()) {
          std::lock_guard<std::mutex> l(mu);
          last_acked[line] = ceiling;
          tried_since[line].clear();
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
    const std::string& victim = victims[cycle % victims.size()];
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    split.Kill(victim);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_TRUE(split.Start(victim)) << victim << " did not restart";
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    stop = true;
    for (auto& t : clients) t.join();
    now += absl::Minutes(2);  // outbox backoffs elapse
    SetClock(dir, now);
    ++n;
  }

  // Let deliveries and reconciliation finish, with time moving on.
  auto engine = wpb::WorkflowService::NewStub(split.Channel("workflow"));
  auto prog = ppb::ProgrammeService::NewStub(split.Channel("programmes"));
  auto ceilings_agree = [&](std::string* why) {
    for (const std::string& line : lines) {
      grpc::ClientContext c1, c2;
      testing::Authorise(&c1, admin);
      testing::Authorise(&c2, admin);
      ppb::GetBudgetLineRequest g1;
      g1.set_name(line);
      ppb::BudgetLine local;
      wpb::GetLedgerLineRequest g2;
      g2.set_name(line);
      wpb::LedgerLine held;
      if (!prog->GetBudgetLine(&c1, g1, &local).ok() ||
          !engine->GetLedgerLine(&c2, g2, &held).ok()) {
        *why = "unreachable";
        return false;
      }
      if (local.ceiling_pence() != held.ceiling_pence() ||
          local.ledger_generation() != held.source_generation()) {
        *why =
            absl::StrCat(line, ": programmes ", local.ceiling_pence(), " g",
                         local.ledger_generation(), ", ledger ",
                         held.ceiling_pence(), " g", held.source_generation());
        return false;
      }
      auto acked = last_acked.find(line);
      if (acked != last_acked.end() && local.ceiling_pence() != acked->second &&
          !tried_since[line].contains(local.ceiling_pence())) {
        *why = absl::StrCat(line, ": acknowledged ceiling ", acked->second,
                            " lost");
        return false;
      }
    }
    return true;
  };
  std::vector<std::string> missing;
  std::string why;
  bool agree = false;
  for (int i = 0; i < 100; ++i) {
    now += absl::Minutes(1);
    SetClock(dir, now);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    missing = WithoutCase(split, admin, acknowledged);
    agree = ceilings_agree(&why);
    if (missing.empty() && agree && OutboxTasks(split, admin, false) == 0) {
      break;
    }
  }
  EXPECT_TRUE(missing.empty())
      << missing.size() << " of " << acknowledged.size()
      << " acknowledged submissions have no case";
  EXPECT_TRUE(agree) << why;
  EXPECT_EQ(OutboxTasks(split, admin, true), 0) << "nothing parked";

  // Exactly one case per submitted application, and none without one.
  std::set<std::string> submitted, cased;
  {
    auto apps = apb::ApplicationService::NewStub(split.Channel("applications"));
    apb::ListApplicationsRequest list;
    list.set_round("funds/lff/rounds/open");
    list.set_state(apb::Application::SUBMITTED);
    list.set_page_size(500);
    do {
      grpc::ClientContext ctx;
      testing::Authorise(&ctx, admin);
      apb::ListApplicationsResponse page;
      ASSERT_TRUE(apps->ListApplications(&ctx, list, &page).ok());
      for (const auto& a : page.applications()) submitted.insert(a.name());
      list.set_page_token(page.next_page_token());
    } while (!list.page_token().empty());
    wpb::ListCasesRequest cases;
    cases.set_round("funds/lff/rounds/open");
    cases.set_page_size(500);
    do {
      grpc::ClientContext ctx;
      testing::Authorise(&ctx, admin);
      wpb::ListCasesResponse page;
      ASSERT_TRUE(engine->ListCases(&ctx, cases, &page).ok());
      for (const auto& c : page.cases()) {
        EXPECT_TRUE(cased.insert(c.application()).second)
            << "two cases for " << c.application();
      }
      cases.set_page_token(page.next_page_token());
    } while (!cases.page_token().empty());
  }
  EXPECT_EQ(cased, submitted);
  for (const std::string& a : acknowledged) {
    EXPECT_TRUE(submitted.contains(a)) << a << " acknowledged, then lost";
  }
  std::cout << "split deployment kill -9 cycles: " << n
            << " (each process killed and restarted), acknowledged "
               "submissions: "
            << acknowledged.size() << ", cases: " << cased.size()
            << ", ceilings agree: " << (agree ? "yes" : "no") << "\n";
  EXPECT_GT(acknowledged.size(), 10u);
}

// An assessor's day, through grantctl against the split deployment: three
// bids screened, assessed by two each (one assessor conflicted and
// replaced), one moderated, all interviewed, ranked, and recommended or not;
// the engine's cases follow, and the applicant reads the feedback.
TEST(GrantflowdTest, FromBidToClosedGrantThroughGrantctl) {
  namespace spb = ::grantflow::assessment::v1;
  testing::TempDir dir;
  SetClock(dir, testing::TestEpoch());
  SplitDeployment split(dir);
  split.UpAndSeeded();
  auto& m = *split.minter;
  const std::string grace = m.Token("grace", {"grants_officer"});
  const std::string mo = m.Token("mo", {"moderator"});
  const std::string amira =
      m.Token("amira", {"applicant"}, "organisations/hackney-families");
  std::map<std::string, std::string> assessor;
  for (const char* u : {"sam", "tom", "uma", "vic"}) {
    assessor[u] = m.Token(u, {"assessor"});
  }
  // Runs grantctl; fails the test unless it exits 0.
  auto ctl = [&](const std::string& token, std::vector<std::string> args) {
    std::string out;
    const int rc = split.Grantctl(token, args, &out);
    EXPECT_EQ(rc, 0) << absl::StrJoin(args, " ") << "\n" << out;
    return out;
  };
  auto json = [&](const std::string& token, std::vector<std::string> args,
                  google::protobuf::Message* msg) {
    args.push_back("--json");
    const std::string out = ctl(token, args);
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(out, msg).ok())
        << out;
  };

  // Three bids from Hackney Families: £25,000, £30,000, £20,000.
  auto apps = apb::ApplicationService::NewStub(split.Channel("applications"));
  std::vector<std::string> ids;
  for (int64_t pence : {2'500'000, 3'000'000, 2'000'000}) {
    apb::CreateApplicationRequest draft;
    *draft.mutable_application() = testing::CompleteApplication(
        "funds/lff/rounds/open", "organisations/hackney-families", pence);
    draft.set_request_id(absl::StrCat("draft-", pence));
    apb::Application a;
    grpc::ClientContext c1;
    testing::Authorise(&c1, amira);
    ASSERT_TRUE(apps->CreateApplication(&c1, draft, &a).ok());
    apb::SubmitApplicationRequest submit;
    submit.set_name(a.name());
    submit.set_request_id(absl::StrCat("submit-", pence));
    grpc::ClientContext c2;
    testing::Authorise(&c2, amira);
    ASSERT_TRUE(apps->SubmitApplication(&c2, submit, &a).ok());
    ids.push_back(a.name().substr(13));
  }
  const std::string a1 = ids[0], a2 = ids[1], a3 = ids[2];

  // The bids reach assessment (and their cases the engine) on their own.
  spb::ListAssessmentsResponse listed;
  for (int i = 0; i < 100 && listed.assessments_size() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    listed.Clear();
    json(grace, {"assess", "list", "--round", "funds/lff/rounds/open"},
         &listed);
  }
  ASSERT_EQ(listed.assessments_size(), 3);

  for (const std::string& id : ids) {
    std::string out;
    for (int i = 0; i < 100; ++i) {  // until the case has reached the engine
      if (split.Grantctl(grace, {"assess", "screen", id, "--eligible"}, &out) ==
          0) {
        break;
      }
      ASSERT_THAT(out, ::testing::HasSubstr("CASE_NOT_STARTED"));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_THAT(out, ::testing::HasSubstr("IN_ASSESSMENT"));
    ctl(grace,
        {"assess", "assign", id, "--assessor", "sam", "--assessor", "tom"});
  }
  // tom knows the third bid's organisation: recused, replaced by uma.
  ctl(assessor["tom"],
      {"assess", "declare", a3, "--conflict", "I volunteer there"});
  std::string out;
  EXPECT_EQ(split.Grantctl(assessor["tom"], {"assess", "get", a3}, &out), 1);
  EXPECT_THAT(out, ::testing::HasSubstr("CONFLICT_DECLARED"));
  EXPECT_THAT(ctl(grace, {"assess", "get", a3}),
              ::testing::HasSubstr("needs:         1 more"));
  EXPECT_THAT(ctl(grace, {"assess", "assign", a3, "--pool", "tom", "--pool",
                          "uma", "--pool", "sam"}),
              ::testing::HasSubstr("assessor:      uma"));

  // Written scores (bringing-together, safeguarding), each out of 5:
  // a1: 100% and 92%; a2: 80% and 20% (moderation); a3: 80% and 72%.
  auto score = [&](const std::string& who, const std::string& id, int bt,
                   int sg, const std::string& stage = "written") {
    ctl(assessor[who],
        {"assess", "declare", id, "--no-conflict", "--stage", stage});
    ctl(assessor[who],
        {"assess", "score", id, "--stage", stage, "--score",
         absl::StrCat("bringing-together=", bt, ":seen in the plan"), "--score",
         absl::StrCat("safeguarding=", sg, ":policy attached")});
    ctl(assessor[who], {"assess", "submit", id, "--stage", stage});
  };
  EXPECT_THAT(ctl(assessor["sam"], {"assess", "queue"}),
              ::testing::HasSubstr(a1));
  score("sam", a1, 5, 5);
  score("tom", a1, 5, 4);
  score("sam", a2, 4, 4);
  score("tom", a2, 1, 1);
  score("sam", a3, 4, 4);
  score("uma", a3, 4, 3);
  spb::Assessment got;
  json(grace, {"assess", "get", a2}, &got);
  EXPECT_EQ(got.state(), spb::Assessment::MODERATION);
  EXPECT_THAT(ctl(grace, {"cases", "get", a2}),
              ::testing::HasSubstr("MODERATION"));
  ctl(mo, {"assess", "moderate", a2, "--score", "70", "--rationale",
           "Read together: a sound plan with thin evidence of reach"});

  // Shortlisted and interviewed by uma and vic; the interviews reorder the
  // bids. Combined at 50%: a1 (96 + 20)/2 = 58; a2 (70 + 100)/2 = 85;
  // a3 (76 + 60)/2 = 68.
  const std::string at = absl::FormatTime(
      absl::RFC3339_sec, testing::TestEpoch() + absl::Hours(72),
      absl::UTCTimeZone());
  EXPECT_THAT(
      ctl(grace, {"assess", "shortlist", "--round", "funds/lff/rounds/open",
                  "--above", "50", "--feedback", "Other bids scored higher"}),
      ::testing::HasSubstr("3 shortlisted, 0 not"));
  for (const std::string& id : ids) {
    ctl(grace, {"assess", "interview", id, "--at", at, "--panel", "uma",
                "--panel", "vic", "--location", "City Hall"});
  }
  for (const char* who : {"uma", "vic"}) {
    score(who, a1, 1, 1, "interview");
    score(who, a2, 5, 5, "interview");
    score(who, a3, 3, 3, "interview");
  }
  if (std::getenv("GRANTFLOW_SHOW")) {
    std::cout << ctl(grace,
                     {"assess", "ranking", "--round", "funds/lff/rounds/open"})
              << ctl(grace, {"assess", "get", a2});
  }
  spb::Ranking ranking;
  json(grace, {"assess", "ranking", "--round", "funds/lff/rounds/open"},
       &ranking);
  ASSERT_EQ(ranking.entries_size(), 3);
  EXPECT_EQ(ranking.entries(0).assessment(), "assessments/" + a2);
  EXPECT_EQ(ranking.entries(0).combined_score_bp(), 8500);
  EXPECT_TRUE(ranking.entries(0).moderated());
  EXPECT_EQ(ranking.entries(1).assessment(), "assessments/" + a3);
  EXPECT_EQ(ranking.entries(1).combined_score_bp(), 6800);
  EXPECT_EQ(ranking.entries(2).assessment(), "assessments/" + a1);
  EXPECT_EQ(ranking.entries(2).combined_score_bp(), 5800);
  EXPECT_EQ(ranking.entries(2).running_total_pence(), 7'500'000);

  ctl(grace, {"assess", "recommend", a2, "--recommend", "--amount-pence",
              "3000000", "--rationale", "Strongest at interview"});
  ctl(grace, {"assess", "recommend", a3, "--reserve"});
  ctl(grace, {"assess", "recommend", a1, "--not-recommended", "--feedback",
              "The panel was not convinced the sessions would reach new "
              "families"});
  EXPECT_THAT(ctl(grace, {"cases", "get", a2}),
              ::testing::HasSubstr("RECOMMENDED"));
  EXPECT_THAT(ctl(grace, {"cases", "get", a1}),
              ::testing::HasSubstr("DECLINED"));
  EXPECT_THAT(ctl(grace, {"cases", "get", a3}),
              ::testing::HasSubstr("INTERVIEW"));

  // Amira reads the outcome and the feedback; no names, no scores.
  const std::string feedback = ctl(amira, {"assess", "feedback", a1});
  EXPECT_THAT(feedback, ::testing::HasSubstr("not recommended"));
  EXPECT_THAT(feedback, ::testing::HasSubstr("reach new families"));
  for (const char* secret : {"sam", "tom", "uma", "vic", "%"}) {
    EXPECT_EQ(feedback.find(secret), std::string::npos) << secret;
  }

  // The award, and its due diligence worked through item by item: the
  // approval reaches DueDiligenceService (its own process) through the
  // engine's outbox.
  const std::string ade = m.Approver("ade", 7'500'000);
  const std::string awarded =
      ctl(ade, {"award", "approve", a2, "--amount-pence", "3000000", "--line",
                "funds/lff/budgetLines/grants-a", "--rationale",
                "strong reach into new families"});
  EXPECT_THAT(awarded, ::testing::HasSubstr("APPROVED"));
  EXPECT_THAT(awarded, ::testing::HasSubstr("£30,000.00"));
  EXPECT_THAT(ctl(grace, {"award", "list", "--state", "approved"}),
              ::testing::HasSubstr("awards/" + a2));
  std::string check;
  for (int i = 0; i < 100; ++i) {
    std::string out;
    if (split.Grantctl(grace, {"dd", "get", a2}, &out) == 0) {
      check = out;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_THAT(check, ::testing::HasSubstr("OPEN  STANDARD tier"));
  EXPECT_THAT(check, ::testing::HasSubstr("charity 1180001"));
  EXPECT_THAT(ctl(grace, {"dd", "list", "--state", "open"}),
              ::testing::HasSubstr("dueDiligenceChecks/" + a2));
  const std::string fola = m.Token("fola", {"finance_officer"});
  ctl(grace, {"dd", "record", a2, "--item", "legal_status", "--satisfactory",
              "--registration", "1180001", "--evidence", "charity-register"});
  ctl(grace, {"dd", "record", a2, "--item", "governance", "--satisfactory",
              "--board", "6", "--evidence", "trustee-list-2026"});
  ctl(grace, {"dd", "record", a2, "--item", "accounts", "--satisfactory",
              "--year-end", "2026-03-31", "--income-pence", "21000000",
              "--evidence", "accounts-2026"});
  ctl(fola, {"dd", "record", a2, "--item", "bank_account", "--unsatisfactory",
             "--evidence", "statement-oct", "--notes",
             "the statement shows an old account name"});
  ctl(grace, {"dd", "record", a2, "--item", "fraud_risk", "--satisfactory",
              "--risk", "green"});
  // A mistyped item is refused with the field named.
  std::string refused;
  EXPECT_EQ(split.Grantctl(grace,
                           {"dd", "record", a2, "--item", "financial_health",
                            "--satisfactory", "--reserves-months", "3"},
                           &refused),
            1);
  EXPECT_THAT(refused, ::testing::HasSubstr("item.kind"));
  const std::string concluded = ctl(
      grace, {"dd", "conclude", a2, "--conditions", "--condition",
              "bank-letter:finance_officer:a bank letter in the charity's name",
              "--reason", "bank account name to be confirmed"});
  EXPECT_THAT(concluded, ::testing::HasSubstr("PASSED_WITH_CONDITIONS"));
  const std::string kase = ctl(grace, {"cases", "get", a2});
  EXPECT_THAT(kase, ::testing::HasSubstr("PRE_AGREEMENT_CHECKS"));
  EXPECT_THAT(kase, ::testing::HasSubstr("dd-bank-letter"));
  EXPECT_EQ(split.Grantctl(grace,
                           {"dd", "clear", a2, "--condition", "bank-letter",
                            "--note", "letter received"},
                           &refused),
            1);
  EXPECT_THAT(refused, ::testing::HasSubstr("finance_officer"));
  EXPECT_THAT(ctl(fola, {"dd", "clear", a2, "--condition", "bank-letter",
                         "--note", "letter received"}),
              ::testing::HasSubstr("cleared by fola"));

  // The project works with children: sam works its safeguarding check
  // through, in its own process; grace may not read it.
  const std::string sam = m.Token("sam", {"safeguarding_officer"});
  std::string sg;
  for (int i = 0; i < 100; ++i) {
    if (split.Grantctl(sam, {"safeguarding", "get", a2}, &sg) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_THAT(sg, ::testing::HasSubstr("OPEN"));
  EXPECT_THAT(sg, ::testing::HasSubstr("works with children"));
  EXPECT_EQ(split.Grantctl(grace, {"safeguarding", "get", a2}, &refused), 1);
  EXPECT_THAT(refused, ::testing::HasSubstr("PERMISSION_DENIED"));
  ctl(sam, {"safeguarding", "dbs", "add", a2, "--id", "lead", "--certificate",
            "001234567890", "--issued", "2025-10-02", "--level",
            "enhanced_with_barred_lists", "--role", "Session lead",
            "--decision", "suitable"});
  ctl(sam, {"safeguarding", "record", a2, "--item", "policy", "--satisfactory",
            "--reviewed", "2025-11-01", "--evidence", "policy-2025"});
  ctl(sam, {"safeguarding", "record", a2, "--item", "designated_lead",
            "--satisfactory", "--lead-name", "Halima Yusuf", "--lead-role",
            "Coordinator"});
  ctl(sam,
      {"safeguarding", "record", a2, "--item", "dbs_checks", "--satisfactory"});
  ctl(sam, {"safeguarding", "record", a2, "--item", "training",
            "--satisfactory", "--trained", "2025-12-12"});
  ctl(sam, {"safeguarding", "record", a2, "--item", "incident_reporting",
            "--satisfactory", "--notes", "to the lead the same day"});
  EXPECT_THAT(ctl(sam, {"safeguarding", "conclude", a2, "--passed"}),
              ::testing::HasSubstr("PASSED"));
  EXPECT_THAT(ctl(sam, {"safeguarding", "access", a2}),
              ::testing::HasSubstr("GetCheck"));
  const std::string done = ctl(grace, {"cases", "get", a2});
  EXPECT_THAT(
      done, ::testing::HasSubstr("due diligence passed; safeguarding passed"));

  // The funding agreement, each step in its own service's process: the
  // fund's template; 60% on execution and 40% once the interim report is
  // accepted; issued, read and signed by Hackney's signatory, countersigned
  // by ade.
  namespace gpb = ::grantflow::agreements::v1;
  namespace ypb = ::grantflow::payments::v1;
  ctl(grace, {"agreement", "template", "set", "lff", "--data",
              R"({"funderName": "Greater London Authority",
           "programmeTitle": "London Family Fund",
           "clauses": ["The grant is spent only on the project."],
           "recoveryClause": "Money not spent as agreed is repaid.",
           "indicators": ["families reached"]})"});
  const std::string drafted =
      ctl(grace, {"agreement", "draft", a2, "--instalment", "first=60%",
                  "--instalment", "second=40%@report:interim", "--report",
                  "interim:2027-02-28:Mid-year report", "--report",
                  "final:2027-09-30:End of grant report"});
  EXPECT_THAT(drafted, ::testing::HasSubstr("DRAFTING"));
  EXPECT_THAT(drafted, ::testing::HasSubstr("first £18,000.00 (60.00%)"));
  EXPECT_THAT(drafted, ::testing::HasSubstr(
                           "second £12,000.00 (40.00%) once report 'interim'"));
  EXPECT_EQ(split.Grantctl(grace,
                           {"agreement", "update", a2, "--instalment",
                            "first=60%@someday"},
                           &refused),
            1);
  EXPECT_THAT(refused, ::testing::HasSubstr("due_date"));
  EXPECT_THAT(ctl(grace, {"agreement", "issue", a2}),
              ::testing::HasSubstr("AWAITING_SIGNATURE"));
  const std::string kofi =
      m.Token("kofi", {"signatory"}, "organisations/hackney-families");
  gpb::Document doc;
  json(kofi, {"agreement", "document", a2}, &doc);
  EXPECT_THAT(doc.content(), ::testing::HasSubstr("London Family Fund"));
  EXPECT_THAT(doc.content(), ::testing::HasSubstr("£30,000.00"));
  EXPECT_EQ(
      split.Grantctl(kofi, {"agreement", "sign", a2, "--position", "Chair"},
                     &refused),
      2);  // a signature names the document it binds to
  EXPECT_EQ(split.Grantctl(kofi,
                           {"agreement", "sign", a2, "--position", "Chair",
                            "--sha256", std::string(64, 'a')},
                           &refused),
            1);
  EXPECT_THAT(refused, ::testing::HasSubstr("DOCUMENT_MISMATCH"));
  EXPECT_THAT(
      ctl(kofi, {"agreement", "sign", a2, "--position", "Chair of trustees",
                 "--sha256", doc.document_sha256()}),
      ::testing::HasSubstr("AWAITING_COUNTERSIGNATURE"));
  EXPECT_EQ(
      split.Grantctl(grace,
                     {"agreement", "countersign", a2, "--position",
                      "Grants officer", "--sha256", doc.document_sha256()},
                     &refused),
      1);
  EXPECT_THAT(refused, ::testing::HasSubstr("PERMISSION_DENIED"));
  const std::string executed =
      ctl(ade, {"agreement", "countersign", a2, "--position", "Head of grants",
                "--sha256", doc.document_sha256()});
  EXPECT_THAT(executed, ::testing::HasSubstr("EXECUTED"));
  EXPECT_THAT(executed, ::testing::HasSubstr("kofi (Chair of trustees)"));
  EXPECT_THAT(ctl(grace, {"cases", "get", a2}),
              ::testing::HasSubstr("recipient: kofi  funder: ade  EXECUTED"));

  // Money: fola requests the first instalment; the bank details kofi gives
  // wait for a finance approver who did not record them.
  auth::Principal fin_person{.user = "fin",
                             .roles = {"finance_approver"},
                             .organisation = "",
                             .limits_pence = {{"pay", 5'000'000}},
                             .role_funds = {}};
  const std::string fin = m.For(fin_person);
  ypb::Payment first;
  json(fola, {"payment", "request", a2, "--instalment", "first"}, &first);
  EXPECT_EQ(first.amount_pence(), 1'800'000);
  EXPECT_EQ(split.Grantctl(fin, {"payment", "approve", first.name()}, &refused),
            1);
  EXPECT_THAT(refused, ::testing::HasSubstr("BANK_DETAILS_UNVERIFIED"));
  ypb::BankAccount account;
  json(kofi,
       {"bank", "change", "organisations/hackney-families", "--account-name",
        "Hackney Families", "--sort-code", "12-34-56", "--account-number",
        "12345678"},
       &account);
  EXPECT_THAT(ctl(fin, {"bank", "get", "hackney-families"}),
              ::testing::HasSubstr("12-34-56, ****5678 by kofi"));
  EXPECT_THAT(ctl(fin, {"bank", "verify", "hackney-families", "--etag",
                        account.etag()}),
              ::testing::HasSubstr("VERIFIED"));
  EXPECT_EQ(
      split.Grantctl(fin, {"payment", "request", a2, "--instalment", "second"},
                     &refused),
      1);  // fin approves; requests are a finance officer's
  EXPECT_THAT(refused, ::testing::HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(ctl(fin, {"payment", "approve", first.name()}),
              ::testing::HasSubstr("AUTHORIZED"));
  ypb::RemittanceBatch batch;
  json(fola, {"payment", "release"}, &batch);
  ASSERT_EQ(batch.payment_count(), 1);
  EXPECT_EQ(batch.total_pence(), 1'800'000);
  const std::string csv_path = dir.Sub("remittance.csv");
  ctl(fola, {"remittance", "export", batch.name(), "--out", csv_path});
  std::stringstream csv_file;
  csv_file << std::ifstream(csv_path).rdbuf();
  const std::string csv = csv_file.str();
  EXPECT_THAT(csv,
              ::testing::HasSubstr(
                  "\"Hackney Families\",\"123456\",\"12345678\",18000.00"));
  EXPECT_THAT(ctl(fola, {"payment", "confirm", first.name()}),
              ::testing::HasSubstr("PAID"));

  // A variation: £3,000 of the second instalment brought forward as a third,
  // payable once the variation is executed and not before.
  const std::string varied =
      ctl(grace, {"agreement", "vary", a2, "--reason",
                  "venue deposit due before the interim report", "--instalment",
                  "first=60%", "--instalment", "second=30%@report:interim",
                  "--instalment", "third=10%", "--report",
                  "interim:2027-02-28:Mid-year report", "--report",
                  "final:2027-09-30:End of grant report"});
  EXPECT_THAT(varied, ::testing::HasSubstr(
                          "version 2:     DRAFT  variation: venue deposit"));
  ctl(grace, {"agreement", "issue", a2});
  EXPECT_EQ(
      split.Grantctl(fola, {"payment", "request", a2, "--instalment", "third"},
                     &refused),
      1);
  EXPECT_THAT(refused, ::testing::HasSubstr("PAYMENT_NOT_SCHEDULED"));
  json(kofi, {"agreement", "document", a2}, &doc);
  EXPECT_EQ(doc.version(), 2);
  ctl(kofi, {"agreement", "sign", a2, "--position", "Chair of trustees",
             "--sha256", doc.document_sha256()});
  EXPECT_THAT(ctl(ade, {"agreement", "countersign", a2, "--position",
                        "Head of grants", "--sha256", doc.document_sha256()}),
              ::testing::HasSubstr("in force:      version 2"));
  ypb::Payment third;
  json(fola, {"payment", "request", a2, "--instalment", "third"}, &third);
  EXPECT_EQ(third.amount_pence(), 300'000);
  EXPECT_EQ(third.agreement_version(), 2);
  ctl(fin, {"payment", "approve", third.name()});
  json(fola, {"payment", "release"}, &batch);
  ctl(fola, {"payment", "confirm", third.name()});

  // The second instalment waits for the interim report.
  EXPECT_EQ(
      split.Grantctl(fola, {"payment", "request", a2, "--instalment", "second"},
                     &refused),
      1);
  EXPECT_THAT(refused, ::testing::HasSubstr("REPORT_OUTSTANDING"));
  ctl(amira, {"report", "submit", a2, "interim", "--progress",
              "families reached=42:through the school gate", "--narrative",
              "Sessions running weekly in two schools"});
  EXPECT_THAT(ctl(grace, {"report", "accept", a2, "interim"}),
              ::testing::HasSubstr("interim ACCEPTED"));
  ypb::Payment second;
  json(fola, {"payment", "request", a2, "--instalment", "second"}, &second);
  EXPECT_EQ(second.amount_pence(), 900'000);
  ctl(fin, {"payment", "approve", second.name()});
  json(fola, {"payment", "release"}, &batch);
  ctl(fola, {"payment", "confirm", second.name()});
  EXPECT_THAT(ctl(fola, {"payment", "list", "--state", "paid"}),
              ::testing::HasSubstr(second.name()));
  EXPECT_THAT(ctl(fola, {"remittance", "list"}),
              ::testing::HasSubstr(batch.name()));

  // The final report closes the grant.
  ctl(amira,
      {"report", "submit", a2, "final", "--progress", "families reached=97",
       "--narrative", "All sessions delivered", "--spent-pence", "3000000"});
  EXPECT_THAT(ctl(grace, {"report", "accept", a2, "final"}),
              ::testing::HasSubstr("CLOSED"));
  const std::string closed = ctl(grace, {"cases", "get", a2});
  EXPECT_THAT(closed, ::testing::HasSubstr("  CLOSED  "));
  EXPECT_THAT(closed, ::testing::HasSubstr("paid:          £30,000.00"));
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
