// The host wires services from their modules' declarations alone: two
// test-only services (notes, which sends each note to the inbox through its
// outbox, and inbox, which receives them), registered from this test, are
// hosted, served, routed and run in the background with no change to the
// host; declarations that do not add up stop it from starting.
#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grantflow/testing/notes/v1/notes.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "platform/status_macros.h"
#include "services/common/grpc_status.h"
#include "services/common/service_module.h"
#include "services/grantflowd/server.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/matchers.h"
#include "tests/testing/temp_dir.h"

namespace grantflow {
namespace {

namespace npb = ::grantflow::testing::notes::v1;
using ::grantflow::testing::IsOk;
using ::grantflow::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kDeliverNote[] = "inbox.deliver";

// The caller, from the bearer token (the test services authenticate but
// keep no authorisation table of their own).
absl::StatusOr<auth::Principal> Caller(const grpc::ServerContext& ctx,
                                       const CallEnv& env) {
  auto it = ctx.client_metadata().find("authorization");
  if (it == ctx.client_metadata().end()) {
    return absl::UnauthenticatedError("no token");
  }
  const std::string header(it->second.data(), it->second.size());
  if (header.rfind("Bearer ", 0) != 0) {
    return absl::UnauthenticatedError("not a bearer token");
  }
  return env.verifier->Verify(header.substr(7), env.clock->Now());
}

absl::StatusOr<npb::Note> ReadNote(storage::Store* store,
                                   absl::string_view table,
                                   const std::string& id) {
  ASSIGN_OR_RETURN(storage::Record r, store->Get(table, id));
  npb::Note note;
  if (!note.ParseFromString(r.value)) {
    return absl::DataLossError(absl::StrCat(table, "/", id, " is corrupt"));
  }
  return note;
}

// Keeps notes; each new note goes to the inbox as an outbox task written
// with it.
class NotesService final : public npb::NotesService::Service,
                           public HostedService {
 public:
  explicit NotesService(const HostContext& host)
      : store_(host.store), env_(host.env), outbox_(host.store, host.name) {}

  grpc::Service* service() override { return this; }
  Outbox* outbox() override { return &outbox_; }
  std::vector<std::string> sends() const override { return {kDeliverNote}; }
  absl::Status Background(absl::Time, bool force) override {
    ++(force ? forced_passes : passes);
    return absl::OkStatus();
  }

  grpc::Status AddNote(grpc::ServerContext* ctx, const npb::AddNoteRequest* req,
                       npb::Note* out) override {
    auto caller = Caller(*ctx, env_);
    if (!caller.ok()) return ToGrpcStatus(caller.status());
    if (req->id().empty()) {
      return ToGrpcStatus(absl::InvalidArgumentError("id is required"));
    }
    out->set_id(req->id());
    out->set_text(req->text());
    storage::WriteSet w;
    w.ExpectAbsent("notes", req->id());
    w.Put("notes", req->id(), out->SerializeAsString());
    opb::Task task;
    task.set_id("deliver:" + req->id());
    task.set_kind(kDeliverNote);
    task.set_payload(out->SerializeAsString());
    Outbox::Enqueue(w, task, env_.clock->Now());
    return ToGrpcStatus(store_->Commit(w).status());
  }

  grpc::Status GetNote(grpc::ServerContext* ctx, const npb::GetNoteRequest* req,
                       npb::Note* out) override {
    auto caller = Caller(*ctx, env_);
    if (!caller.ok()) return ToGrpcStatus(caller.status());
    auto note = ReadNote(store_, "notes", req->id());
    if (!note.ok()) return ToGrpcStatus(note.status());
    *out = *note;
    return grpc::Status::OK;
  }

  static inline std::atomic<int> passes{0};
  static inline std::atomic<int> forced_passes{0};

 private:
  storage::Store* store_;
  CallEnv env_;
  Outbox outbox_;
};

// Receives notes; only the host's service identity may deliver.
class InboxService final : public npb::InboxService::Service,
                           public HostedService {
 public:
  explicit InboxService(const HostContext& host)
      : store_(host.store), env_(host.env) {}

  grpc::Service* service() override { return this; }

  grpc::Status Deliver(grpc::ServerContext* ctx, const npb::Note* req,
                       npb::Note* out) override {
    auto caller = Caller(*ctx, env_);
    if (!caller.ok()) return ToGrpcStatus(caller.status());
    if (caller->roles != std::vector<std::string>{"service"}) {
      return ToGrpcStatus(absl::PermissionDeniedError("service only"));
    }
    *out = *req;
    out->set_delivered_by(caller->user);
    storage::WriteSet w;
    w.Put("inbox", req->id(), out->SerializeAsString());
    return ToGrpcStatus(store_->Commit(w).status());
  }

  grpc::Status GetDelivered(grpc::ServerContext* ctx,
                            const npb::GetNoteRequest* req,
                            npb::Note* out) override {
    auto caller = Caller(*ctx, env_);
    if (!caller.ok()) return ToGrpcStatus(caller.status());
    auto note = ReadNote(store_, "inbox", req->id());
    if (!note.ok()) return ToGrpcStatus(note.status());
    *out = *note;
    return grpc::Status::OK;
  }

 private:
  storage::Store* store_;
  CallEnv env_;
};

ServiceModule NotesModule() {
  ServiceModule m;
  m.name = "notes";
  m.grpc_name = npb::NotesService::service_full_name();
  m.make = [](const HostContext& host)
      -> absl::StatusOr<std::unique_ptr<HostedService>> {
    return std::make_unique<NotesService>(host);
  };
  return m;
}

ServiceModule InboxModule() {
  ServiceModule m;
  m.name = "inbox";
  m.grpc_name = npb::InboxService::service_full_name();
  m.receives = {{kDeliverNote, [](const Peer& inbox, const opb::Task& t) {
                   npb::Note note;
                   if (!note.ParseFromString(t.payload())) {
                     return absl::InvalidArgumentError("not a Note");
                   }
                   return CallPeer<npb::InboxService>(
                              inbox, &npb::InboxService::Stub::Deliver, note)
                       .status();
                 }}};
  m.make = [](const HostContext& host)
      -> absl::StatusOr<std::unique_ptr<HostedService>> {
    return std::make_unique<InboxService>(host);
  };
  return m;
}

class HostTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::unique_ptr<GrantflowServer>> Start(
      const std::string& data_dir, std::vector<std::string> services,
      std::vector<ServiceModule> modules,
      std::map<std::string, std::string> peers = {}) {
    ServerOptions o;
    o.data_dir = data_dir;
    o.listen = "127.0.0.1:0";
    o.clock = &clock_;
    o.services = std::move(services);
    o.extra_modules = std::move(modules);
    o.peers = std::move(peers);
    o.background_interval = absl::ZeroDuration();
    return GrantflowServer::Start(o);
  }

  static std::shared_ptr<grpc::Channel> Channel(const GrantflowServer& s) {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", s.port()),
                               grpc::InsecureChannelCredentials());
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& data_dir) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    testing::TokenMinter minter(data_dir);
    testing::Authorise(ctx.get(), minter.Token("grace", {"grants_officer"}));
    return ctx;
  }

  FakeClock clock_{testing::TestEpoch()};
  testing::TempDir dir_;
};

TEST_F(HostTest, ATestOnlyServiceIsHostedRoutedAndRunFromItsModule) {
  NotesService::passes = 0;
  NotesService::forced_passes = 0;
  auto server =
      Start(dir_.path(), {"notes", "inbox"}, {NotesModule(), InboxModule()});
  ASSERT_THAT(server.status(), IsOk());
  auto channel = Channel(**server);

  // Health, per service: the host took the gRPC names from the modules.
  auto health = grpc::health::v1::Health::NewStub(channel);
  for (const char* name : {npb::NotesService::service_full_name(),
                           npb::InboxService::service_full_name()}) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    req.set_service(name);
    ASSERT_TRUE(health->Check(&ctx, req, &resp).ok()) << name;
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
  // Built-in services not asked for are not hosted.
  {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    req.set_service(HostableServices().at("workflow"));
    EXPECT_EQ(health->Check(&ctx, req, &resp).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }

  auto notes = npb::NotesService::NewStub(channel);
  auto inbox = npb::InboxService::NewStub(channel);
  npb::AddNoteRequest add;
  add.set_id("n1");
  add.set_text("hello");
  npb::Note note;
  ASSERT_TRUE(notes->AddNote(Ctx(dir_.path()).get(), add, &note).ok());

  // Not delivered until the background pass runs the outbox.
  npb::GetNoteRequest get;
  get.set_id("n1");
  npb::Note delivered;
  EXPECT_EQ(
      inbox->GetDelivered(Ctx(dir_.path()).get(), get, &delivered).error_code(),
      grpc::StatusCode::NOT_FOUND);
  ASSERT_THAT((*server)->RunBackgroundOnce(), IsOk());
  EXPECT_EQ(NotesService::forced_passes, 1);
  ASSERT_TRUE(
      inbox->GetDelivered(Ctx(dir_.path()).get(), get, &delivered).ok());
  EXPECT_EQ(delivered.text(), "hello");
  // Through the inbox's own RPC, as the host's service identity.
  EXPECT_EQ(delivered.delivered_by(), "grantflowd:inbox+notes");

  // Each service has its own store under the data directory, and what it
  // acknowledged is there after a restart.
  server->reset();
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("notes")));
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("inbox")));
  auto again =
      Start(dir_.path(), {"notes", "inbox"}, {NotesModule(), InboxModule()});
  ASSERT_THAT(again.status(), IsOk());
  auto channel2 = Channel(**again);
  npb::Note kept;
  ASSERT_TRUE(npb::NotesService::NewStub(channel2)
                  ->GetNote(Ctx(dir_.path()).get(), get, &kept)
                  .ok());
  EXPECT_EQ(kept.text(), "hello");
}

TEST_F(HostTest, TasksCrossHostsToWhereTheReceiverRuns) {
  testing::TempDir other;
  auto inbox_host =
      Start(other.path(), {"inbox"}, {NotesModule(), InboxModule()});
  ASSERT_THAT(inbox_host.status(), IsOk());
  // The notes host trusts nothing new: it signs as itself, and the inbox
  // host must trust its key to accept the delivery.
  ServerOptions o;
  o.data_dir = dir_.path();
  o.listen = "127.0.0.1:0";
  o.clock = &clock_;
  o.services = {"notes"};
  o.extra_modules = {NotesModule(), InboxModule()};
  o.peers = {{"inbox", absl::StrCat("127.0.0.1:", (*inbox_host)->port())}};
  o.background_interval = absl::ZeroDuration();
  auto notes_host = GrantflowServer::Start(o);
  ASSERT_THAT(notes_host.status(), IsOk());

  npb::AddNoteRequest add;
  add.set_id("n2");
  add.set_text("across");
  npb::Note note;
  ASSERT_TRUE(npb::NotesService::NewStub(Channel(**notes_host))
                  ->AddNote(Ctx(dir_.path()).get(), add, &note)
                  .ok());
  // The inbox host does not trust the notes host's key: the delivery fails
  // (UNAUTHENTICATED is transient) and the task waits in the outbox; the
  // pass itself reports only storage errors.
  ASSERT_THAT((*notes_host)->RunBackgroundOnce(), IsOk());
  npb::GetNoteRequest get;
  get.set_id("n2");
  npb::Note delivered;
  auto inbox = npb::InboxService::NewStub(Channel(**inbox_host));
  EXPECT_EQ(inbox->GetDelivered(Ctx(other.path()).get(), get, &delivered)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);

  // Restart the inbox host trusting the notes host's key; the task, still
  // waiting, is delivered over TCP on the next pass.
  const int port = (*inbox_host)->port();
  inbox_host->reset();
  ServerOptions io;
  io.data_dir = other.path();
  io.listen = absl::StrCat("127.0.0.1:", port);
  io.clock = &clock_;
  io.services = {"inbox"};
  io.extra_modules = {NotesModule(), InboxModule()};
  io.trusted_keys = {dir_.Sub("keys/token-signing.pub.pem")};
  io.background_interval = absl::ZeroDuration();
  auto trusting = GrantflowServer::Start(io);
  ASSERT_THAT(trusting.status(), IsOk());
  clock_.Advance(absl::Minutes(2));  // past the task's backoff
  ASSERT_THAT((*notes_host)->RunBackgroundOnce(), IsOk());
  ASSERT_TRUE(npb::InboxService::NewStub(Channel(**trusting))
                  ->GetDelivered(Ctx(other.path()).get(), get, &delivered)
                  .ok());
  EXPECT_EQ(delivered.text(), "across");
  EXPECT_EQ(delivered.delivered_by(), "grantflowd:notes");
}

TEST_F(HostTest, DeclarationsThatDoNotAddUpStopTheHostFromStarting) {
  // The notes service sends to an inbox that is neither hosted nor a peer.
  EXPECT_THAT(
      Start(dir_.path(), {"notes"}, {NotesModule(), InboxModule()}).status(),
      StatusIs(absl::StatusCode::kInvalidArgument));
  auto s = Start(dir_.path(), {"notes"}, {NotesModule(), InboxModule()});
  EXPECT_THAT(s.status().message(), HasSubstr("--peer=inbox="));

  // A kind nobody receives.
  EXPECT_THAT(Start(dir_.path(), {"notes"}, {NotesModule()}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Start(dir_.path(), {"notes"}, {NotesModule()}).status().message(),
              HasSubstr("'inbox.deliver' but no service receives it"));

  // Two receivers for one kind.
  ServiceModule second = InboxModule();
  second.name = "inbox2";
  EXPECT_THAT(
      Start(dir_.path(), {"inbox"}, {InboxModule(), second}).status().message(),
      HasSubstr("received by both inbox and inbox2"));

  // A name a built-in service already has.
  ServiceModule clash = InboxModule();
  clash.name = "workflow";
  EXPECT_THAT(
      Start(dir_.path(), {"inbox"}, {InboxModule(), clash}).status().message(),
      HasSubstr("two modules are named 'workflow'"));

  // A need nobody provides.
  ServiceModule needy = InboxModule();
  needy.needs = {"reporting"};
  EXPECT_THAT(Start(dir_.path(), {"inbox"}, {needy}).status().message(),
              HasSubstr("inbox needs unknown service 'reporting'"));

  // A built-in service still needs its peers.
  EXPECT_THAT(Start(dir_.path(), {"applications"}, {}).status().message(),
              HasSubstr("applications needs programmes"));

  // An unknown service.
  EXPECT_THAT(Start(dir_.path(), {"notes"}, {}).status().message(),
              HasSubstr("unknown service 'notes'"));
}

TEST_F(HostTest, BuiltInServicesAreModulesToo) {
  // The built-in services come from the same declarations: with no list,
  // the host runs every one of them and the test-only services together.
  // (Their tasks crossing between them is proved by the integration and
  // end-to-end suites: submissions start cases, withdrawals at the engine
  // reach applications.)
  auto server = Start(dir_.path(), {}, {NotesModule(), InboxModule()});
  ASSERT_THAT(server.status(), IsOk());
  auto health = grpc::health::v1::Health::NewStub(Channel(**server));
  std::map<std::string, std::string> all = HostableServices();
  all["notes"] = npb::NotesService::service_full_name();
  all["inbox"] = npb::InboxService::service_full_name();
  for (const auto& [name, grpc_name] : all) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    req.set_service(grpc_name);
    ASSERT_TRUE(health->Check(&ctx, req, &resp).ok()) << name;
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
  EXPECT_EQ(HostableServices().size(), 10u);
}

}  // namespace
}  // namespace grantflow
