#include "services/grantflowd/server.h"

#include <filesystem>
#include <iostream>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "grantflow/workflow/v1/workflow.grpc.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "platform/auth.h"
#include "platform/outbox.h"
#include "platform/status_macros.h"
#include "services/applications/application_service.h"
#include "services/common/grpc_status.h"
#include "services/programmes/programme_service.h"
#include "services/workflow/peer_directory.h"
#include "services/workflow/workflow_service.h"
#include "storage/store.h"
#include "workflows/definitions.h"
#include "workflows/engine.h"

namespace grantflow {
namespace {

constexpr char kProgrammes[] = "programmes";
constexpr char kApplications[] = "applications";
constexpr char kWorkflow[] = "workflow";

namespace wpb = ::grantflow::workflow::v1;
namespace opb = ::grantflow::outbox::v1;
namespace apb = ::grantflow::applications::v1;

class Host final : public GrantflowServer {
 public:
  int port() const override { return port_; }

  void Shutdown() override {
    {
      absl::MutexLock l(&mu_);
      if (shut_down_ || server_ == nullptr) return;
      shut_down_ = true;
    }
    if (!stop_.HasBeenNotified()) stop_.Notify();
    if (runner_.joinable()) runner_.join();
    server_->Shutdown();
  }

  void Wait() override {
    if (server_ != nullptr) server_->Wait();
  }

  ~Host() override {
    Shutdown();
    Wait();
  }

  absl::Status RunBackgroundOnce() override {
    return RunPass(/*reconcile_every=*/absl::ZeroDuration());
  }

  // Settles budget lines with the ledger; records whether it all worked, so
  // the runner knows when to try again.
  absl::Status ReconcileLedger(absl::Time now) {
    auto report = programmes_->ReconcileLedger(now);
    absl::MutexLock l(&mu_);
    last_reconcile_ = absl::Now();
    if (!report.ok()) {
      reconciled_ = false;
      return report.status();
    }
    reconciled_ = report->problems.empty();
    if (report->adopted + report->pushed > 0) {
      std::cerr << "grantflowd: budget lines settled with the ledger: "
                << report->adopted << " adopted its ceiling, " << report->pushed
                << " registered\n";
    }
    if (!report->problems.empty()) {
      return absl::UnavailableError(
          absl::StrCat("budget lines not yet settled with the ledger: ",
                       absl::StrJoin(report->problems, "; ")));
    }
    return absl::OkStatus();
  }

  absl::Status Init(const ServerOptions& o) {
    if (o.data_dir.empty()) {
      return absl::InvalidArgumentError("data_dir is required");
    }
    if (o.clock == nullptr)
      return absl::InvalidArgumentError("clock is required");
    clock_ = o.clock;
    std::vector<std::string> wanted = o.services;
    if (wanted.empty()) {
      for (const auto& [name, full] : HostableServices())
        wanted.push_back(name);
    }
    for (const std::string& s : wanted) {
      if (!HostableServices().contains(s)) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown service '", s, "'; known: ",
                         absl::StrJoin(HostableServices(), ", ",
                                       [](std::string* out, const auto& kv) {
                                         out->append(kv.first);
                                       })));
      }
      hosted_.insert(s);
    }
    // Who needs whom: applications reads rounds and asks the engine;
    // programmes asks the ledger; the engine reads rounds and signatories.
    const std::vector<std::pair<std::string, std::string>> needs = {
        {kApplications, kProgrammes},
        {kApplications, kWorkflow},
        {kProgrammes, kWorkflow},
        {kWorkflow, kProgrammes},
        {kWorkflow, kApplications}};
    for (const auto& [service, peer] : needs) {
      if (hosted_.contains(service) && !hosted_.contains(peer) &&
          !o.peers.contains(peer)) {
        return absl::InvalidArgumentError(
            absl::StrCat(service, " needs ", peer,
                         ": host it too or pass --peer=", peer, "=HOST:PORT"));
      }
    }
    for (const auto& [name, addr] : o.peers) {
      peers_[name] =
          grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());
    }

    ASSIGN_OR_RETURN(auth::KeyPairPaths keys,
                     auth::EnsureDevKeyPair(o.data_dir + "/keys"));
    RETURN_IF_ERROR(verifier_.AddPublicKeyPem(keys.public_pem));
    for (const std::string& k : o.trusted_keys) {
      RETURN_IF_ERROR(verifier_.AddPublicKeyPem(k));
    }
    ASSIGN_OR_RETURN(auto signer,
                     auth::TokenSigner::FromPemFile(keys.private_pem));
    signer_ = std::move(signer);
    env_ = CallEnv{&verifier_, o.clock};

    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort(o.listen, grpc::InsecureServerCredentials(),
                             &port_);
    grpc::ResourceQuota quota("grantflowd");
    quota.SetMaxThreads(o.max_threads);
    builder.SetResourceQuota(quota);

    if (hosted_.contains(kWorkflow)) {
      RETURN_IF_ERROR(definitions_.AddBuiltIn());
      if (!o.definitions_dir.empty()) {
        RETURN_IF_ERROR(definitions_.AddDirectory(o.definitions_dir));
      }
      ASSIGN_OR_RETURN(auto store, OpenStore(o.data_dir, kWorkflow));
      workflow_store_ = std::move(store);
      directory_ = workflows::NewPeerDirectory(PeerFor(kProgrammes),
                                               PeerFor(kApplications));
      engine_ = std::make_unique<workflows::Engine>(
          workflow_store_.get(), &definitions_, directory_.get());
      workflow_service_ =
          std::make_unique<workflows::WorkflowServiceImpl>(engine_.get(), env_);
      builder.RegisterService(workflow_service_.get());
      // A case's outcome (a withdrawal recorded at the engine) reaches its
      // application.
      engine_->outbox().RegisterHandler(
          applications::kApplyCaseOutcomeTask,
          [peer = PeerFor(kApplications)](const opb::Task& t) -> absl::Status {
            wpb::CaseEvent e;
            if (!e.ParseFromString(t.payload())) {
              return absl::InvalidArgumentError(
                  "task payload is not a case event");
            }
            const std::string id = t.case_name().substr(6);
            apb::ApplyCaseOutcomeRequest req;
            req.set_application("applications/" + id);
            req.set_state(e.to_state());
            req.set_event_seq(e.seq());
            req.set_reason(e.reason());
            req.set_actor(e.actor());
            req.set_request_id(absl::StrCat("outcome:", id, ":", e.seq()));
            return CallPeer<apb::ApplicationService>(
                       peer, &apb::ApplicationService::Stub::ApplyCaseOutcome,
                       req)
                .status();
          });
      outboxes_.push_back(&engine_->outbox());
    }
    if (hosted_.contains(kProgrammes)) {
      ASSIGN_OR_RETURN(auto store, OpenStore(o.data_dir, kProgrammes));
      programmes_store_ = std::move(store);
      ledger_client_ = programmes::NewPeerLedgerClient(PeerFor(kWorkflow));
      programmes_ = std::make_unique<programmes::Programmes>(
          programmes_store_.get(), ledger_client_.get());
      programme_service_ = std::make_unique<programmes::ProgrammeServiceImpl>(
          programmes_.get(), env_);
      builder.RegisterService(programme_service_.get());
    }
    if (hosted_.contains(kApplications)) {
      ASSIGN_OR_RETURN(auto store, OpenStore(o.data_dir, kApplications));
      applications_store_ = std::move(store);
      round_source_ = applications::NewGrpcRoundSource(
          [this] { return ChannelTo(kProgrammes); });
      case_client_ = applications::NewPeerCaseClient(PeerFor(kWorkflow));
      applications_ = std::make_unique<applications::Applications>(
          applications_store_.get(), round_source_.get(), case_client_.get());
      application_service_ =
          std::make_unique<applications::ApplicationServiceImpl>(
              applications_.get(), env_);
      builder.RegisterService(application_service_.get());
      applications_->outbox().RegisterHandler(
          applications::kStartCaseTask,
          [this](const opb::Task& t) -> absl::Status {
            wpb::StartCaseRequest req;
            if (!req.ParseFromString(t.payload())) {
              return absl::InvalidArgumentError(
                  "task payload is not a StartCaseRequest");
            }
            return case_client_->StartCase(req).status();
          });
      outboxes_.push_back(&applications_->outbox());
    }

    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port_ == 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", o.listen));
    }
    in_process_ = server_->InProcessChannel(grpc::ChannelArguments());
    grpc::HealthCheckServiceInterface* health =
        server_->GetHealthCheckService();
    for (const std::string& name : hosted_) {
      health->SetServingStatus(HostableServices().at(name), true);
    }
    health->SetServingStatus(true);
    if (o.background_interval > absl::ZeroDuration()) {
      runner_ = std::thread([this, interval = o.background_interval,
                             every = o.reconcile_interval] {
        while (!stop_.WaitForNotificationWithTimeout(interval)) {
          absl::Status s = RunPass(every);
          if (!s.ok()) std::cerr << "grantflowd background: " << s << "\n";
        }
      });
    }
    return absl::OkStatus();
  }

 private:
  // One background pass: due timers and outbox tasks always; settling
  // budget lines with the ledger when it last happened `reconcile_every`
  // ago (at start-up, then from time to time), or a couple of seconds ago
  // while some lines are unsettled.
  absl::Status RunPass(absl::Duration reconcile_every) {
    absl::Status first;
    const absl::Time now = clock_->Now();
    if (engine_ != nullptr) {
      auto fired = engine_->FireDueTimers(now);
      if (!fired.ok()) first = fired.status();
    }
    for (Outbox* box : outboxes_) {
      auto r = box->DeliverDue(now);
      if (!r.ok() && first.ok()) first = r.status();
    }
    bool due = false;
    if (programmes_ != nullptr) {
      absl::MutexLock l(&mu_);
      const bool settled = reconciled_ && !programmes_->Unsettled();
      due = absl::Now() - last_reconcile_ >=
            (settled ? reconcile_every
                     : std::min(reconcile_every, absl::Seconds(2)));
    }
    if (due) {
      absl::Status r = ReconcileLedger(now);
      if (!r.ok() && first.ok()) first = r;
    }
    return first;
  }

  // Calls to other services carry a short-lived token of grantflowd's own
  // "service" identity, signed with this host's key.
  Peer PeerFor(const std::string& service) {
    Peer p;
    p.channel = [this, service] { return ChannelTo(service); };
    p.credentials = [this](grpc::ClientContext* ctx) -> absl::Status {
      auth::TokenClaims claims;
      claims.principal.user =
          absl::StrCat("grantflowd:", absl::StrJoin(hosted_, "+"));
      claims.principal.roles = {"service"};
      claims.issued_at = clock_->Now();
      claims.expires_at = claims.issued_at + absl::Minutes(5);
      ASSIGN_OR_RETURN(auto token, signer_->Sign(claims));
      ctx->AddMetadata("authorization", "Bearer " + token);
      return absl::OkStatus();
    };
    return p;
  }

  static absl::StatusOr<std::unique_ptr<storage::Store>> OpenStore(
      const std::string& data_dir, const std::string& service) {
    storage::StoreOptions so;
    so.path = absl::StrCat(data_dir, "/", service);
    std::error_code ec;
    std::filesystem::create_directories(so.path, ec);
    return storage::OpenRocksDbStore(so);
  }

  std::shared_ptr<grpc::Channel> ChannelTo(const std::string& service) {
    if (hosted_.contains(service)) return in_process_;
    return peers_.at(service);
  }

  std::set<std::string> hosted_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> peers_;
  Clock* clock_ = nullptr;
  auth::TokenVerifier verifier_;
  std::unique_ptr<auth::TokenSigner> signer_;
  CallEnv env_;
  int port_ = 0;

  workflows::DefinitionRegistry definitions_;
  std::unique_ptr<storage::Store> workflow_store_;
  std::unique_ptr<workflows::Directory> directory_;
  std::unique_ptr<workflows::Engine> engine_;
  std::unique_ptr<workflows::WorkflowServiceImpl> workflow_service_;

  std::unique_ptr<storage::Store> programmes_store_;
  std::unique_ptr<programmes::LedgerClient> ledger_client_;
  std::unique_ptr<programmes::Programmes> programmes_;
  std::unique_ptr<programmes::ProgrammeServiceImpl> programme_service_;

  std::unique_ptr<storage::Store> applications_store_;
  std::unique_ptr<applications::RoundSource> round_source_;
  std::unique_ptr<applications::CaseClient> case_client_;
  std::unique_ptr<applications::Applications> applications_;
  std::unique_ptr<applications::ApplicationServiceImpl> application_service_;

  std::vector<Outbox*> outboxes_;

  // Declared after everything the handlers and the runner use, so they stop
  // first on destruction.
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> in_process_;
  absl::Notification stop_;
  std::thread runner_;
  absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_reconcile_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool reconciled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

const std::map<std::string, std::string>& HostableServices() {
  static const auto* m = new std::map<std::string, std::string>{
      {kProgrammes, "grantflow.programmes.v1.ProgrammeService"},
      {kApplications, "grantflow.applications.v1.ApplicationService"},
      {kWorkflow, "grantflow.workflow.v1.WorkflowService"},
  };
  return *m;
}

absl::StatusOr<std::unique_ptr<GrantflowServer>> GrantflowServer::Start(
    const ServerOptions& options) {
  auto host = std::make_unique<Host>();
  RETURN_IF_ERROR(host->Init(options));
  return std::unique_ptr<GrantflowServer>(std::move(host));
}

}  // namespace grantflow
