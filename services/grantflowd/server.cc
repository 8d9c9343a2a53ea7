#include "services/grantflowd/server.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>
#include <thread>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "platform/auth.h"
#include "platform/outbox.h"
#include "platform/status_macros.h"
#include "services/common/case_client.h"
#include "services/grantflowd/audit_service.h"
#include "services/grantflowd/backup_service.h"
#include "services/grantflowd/builtin_modules.h"
#include "services/grantflowd/metrics.h"
#include "services/grantflowd/privacy_service.h"
#include "storage/store.h"

namespace grantflow {
namespace {

// A module the host runs, with what it built for it.
struct Hosted {
  const ServiceModule* module = nullptr;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<HostedService> service;
};

absl::Status CheckModule(const ServiceModule& m) {
  if (m.name.empty() || m.grpc_name.empty() || !m.make) {
    return absl::InvalidArgumentError(absl::StrCat(
        "module '", m.name, "' needs a name, a gRPC name and a factory"));
  }
  for (const TaskReceiver& r : m.receives) {
    if (r.kind.empty() || !r.deliver) {
      return absl::InvalidArgumentError(
          absl::StrCat("module ", m.name,
                       " receives a task kind without a name or a way "
                       "to deliver it"));
    }
  }
  return absl::OkStatus();
}

class Host final : public GrantflowServer {
 public:
  int port() const override { return port_; }
  int metrics_port() const override { return metrics_->port(); }

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

  absl::Status RunBackgroundOnce() override { return RunPass(/*force=*/true); }

  absl::Status Init(const ServerOptions& o) {
    if (o.data_dir.empty()) {
      return absl::InvalidArgumentError("data_dir is required");
    }
    if (o.clock == nullptr)
      return absl::InvalidArgumentError("clock is required");
    clock_ = o.clock;
    settings_.data_dir = o.data_dir;
    backup_dir_ = o.backup_dir.empty() ? o.data_dir + "/backups" : o.backup_dir;
    settings_.definitions_dir = o.definitions_dir;
    settings_.reconcile_interval = o.reconcile_interval;
    if (!absl::StartsWith(o.open_data_prefix, "360G-") ||
        o.open_data_prefix.size() < 6) {
      return absl::InvalidArgumentError(
          "open_data_prefix must be a 360Giving prefix: 360G-...");
    }
    settings_.open_data_prefix = o.open_data_prefix;
    retention_ = o.retention;
    if (o.idempotency_retention <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          "idempotency_retention must be positive");
    }
    idempotency_retention_ = o.idempotency_retention;
    // One hung peer may hold max_peer_calls threads; at least two more are
    // left, one to run an unrelated call and one to go on polling (a
    // server whose last thread takes a call answers RESOURCE_EXHAUSTED).
    if (o.peer_deadline <= absl::ZeroDuration() || o.max_peer_calls < 1 ||
        o.max_peer_calls > o.max_threads - 2) {
      return absl::InvalidArgumentError(
          "peer_deadline must be positive and max_peer_calls between 1 and "
          "max_threads - 2");
    }
    peer_deadline_ = absl::ToChronoMilliseconds(o.peer_deadline);
    max_peer_calls_ = o.max_peer_calls;
    tls_ = o.tls;
    ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> peer_creds,
                     ChannelCredentialsFor(o.tls));
    for (const auto& [name, addr] : o.peers) {
      peers_[name] = grpc::CreateChannel(addr, peer_creds);
    }
    RETURN_IF_ERROR(Declare(o));

    ASSIGN_OR_RETURN(auth::KeyPairPaths keys,
                     auth::EnsureDevKeyPair(o.data_dir + "/keys"));
    RETURN_IF_ERROR(verifier_.AddPublicKeyPem(keys.public_pem));
    for (const std::string& k : o.trusted_keys) {
      RETURN_IF_ERROR(verifier_.AddPublicKeyPem(k));
    }
    ASSIGN_OR_RETURN(auto signer,
                     auth::TokenSigner::FromPemFile(keys.private_pem));
    signer_ = std::move(signer);
    // Co-hosted services call each other through the in-process channel
    // with this secret; with mutual TLS, remote ones by certificate.
    unsigned char secret[32];
    if (RAND_bytes(secret, sizeof(secret)) != 1) {
      return absl::InternalError("cannot draw the in-process secret");
    }
    env_ =
        CallEnv{.verifier = &verifier_,
                .clock = o.clock,
                .service_identity_from_certificate = !o.tls.ca.empty(),
                .in_process_secret = absl::BytesToHexString(absl::string_view(
                    reinterpret_cast<const char*>(secret), sizeof(secret)))};

    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    ASSIGN_OR_RETURN(
        metrics_,
        Metrics::Start(o.metrics_listen, o.log_rpcs ? &std::cerr : nullptr));
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(metrics_->NewInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> server_creds,
                     ServerCredentialsFor(o.tls));
    builder.AddListeningPort(o.listen, server_creds, &port_);
    grpc::ResourceQuota quota("grantflowd");
    quota.SetMaxThreads(o.max_threads);
    builder.SetResourceQuota(quota);

    std::map<std::string, storage::Store*> stores;
    std::map<std::string, PersonalData::Holder> holders;
    for (Hosted& h : hosted_) {
      RETURN_IF_ERROR(Build(h));
      builder.RegisterService(h.service->service());
      stores[h.module->name] = h.store.get();
      holders[h.module->name] = {h.service.get(), h.store.get()};
    }
    personal_data_ = std::make_unique<PersonalData>(
        std::move(holders), NewPeerCaseClient(PeerFor("workflow")), retention_);
    privacy_service_ =
        std::make_unique<PrivacyServiceImpl>(env_, personal_data_.get());
    builder.RegisterService(privacy_service_.get());
    backups_ = std::make_unique<Backups>(stores, &commit_barrier_, backup_dir_);
    backup_service_ = std::make_unique<BackupServiceImpl>(env_, backups_.get());
    builder.RegisterService(backup_service_.get());
    audit_log_ = std::make_unique<AuditLog>(std::move(stores));
    audit_service_ = std::make_unique<AuditServiceImpl>(env_, audit_log_.get());
    builder.RegisterService(audit_service_.get());
    RETURN_IF_ERROR(RouteTasks());
    AddMetricSources();

    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port_ == 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", o.listen));
    }
    in_process_ = server_->InProcessChannel(grpc::ChannelArguments());
    grpc::HealthCheckServiceInterface* health =
        server_->GetHealthCheckService();
    for (const Hosted& h : hosted_) {
      health->SetServingStatus(h.module->grpc_name, true);
    }
    health->SetServingStatus(true);
    if (o.background_interval > absl::ZeroDuration()) {
      runner_ = std::thread([this, interval = o.background_interval] {
        while (!stop_.WaitForNotificationWithTimeout(interval)) {
          absl::Status s = RunPass(/*force=*/false);
          if (!s.ok()) std::cerr << "grantflowd background: " << s << "\n";
        }
      });
    }
    return absl::OkStatus();
  }

 private:
  // Each hosted service's figures, its outbox's depth and its store's
  // RocksDB figures, read on every scrape.
  void AddMetricSources() {
    for (Hosted& h : hosted_) {
      metrics_->AddSource([this, &h]() {
        std::vector<MetricSample> out = h.service->Metrics(clock_->Now());
        const std::map<std::string, std::string> service = {
            {"service", h.module->name}};
        if (Outbox* box = h.service->outbox(); box != nullptr) {
          if (auto depth = box->Count(); depth.ok()) {
            out.push_back({.name = "grantflow_outbox_waiting",
                           .help = "Outbox tasks waiting for delivery",
                           .labels = service,
                           .value = static_cast<double>(depth->waiting)});
            out.push_back({.name = "grantflow_outbox_parked",
                           .help = "Outbox tasks parked for an operator",
                           .labels = service,
                           .value = static_cast<double>(depth->parked)});
          }
        }
        for (const auto& [figure, value] : h.store->Stats()) {
          std::string name = figure;
          absl::c_replace(name, '-', '_');
          out.push_back({.name = "grantflow_rocksdb_" + name,
                         .help = "RocksDB property rocksdb." + figure,
                         .labels = service,
                         .value = static_cast<double>(value)});
        }
        return out;
      });
    }
  }

  // Reads the modules' declarations: which are hosted, that every service
  // they need is hosted or reachable, and who receives each task kind.
  absl::Status Declare(const ServerOptions& o) {
    modules_ = BuiltInModules();
    for (const ServiceModule& m : o.extra_modules) modules_.push_back(m);
    for (const ServiceModule& m : modules_) {
      RETURN_IF_ERROR(CheckModule(m));
      if (!by_name_.emplace(m.name, &m).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("two modules are named '", m.name, "'"));
      }
      for (const TaskReceiver& r : m.receives) {
        auto [it, added] = receivers_.emplace(r.kind, std::make_pair(&m, &r));
        if (!added) {
          return absl::InvalidArgumentError(
              absl::StrCat("task kind '", r.kind, "' is received by both ",
                           it->second.first->name, " and ", m.name));
        }
      }
    }
    std::vector<std::string> wanted = o.services;
    if (wanted.empty()) {
      for (const ServiceModule& m : modules_) wanted.push_back(m.name);
    }
    for (const std::string& s : wanted) {
      if (!by_name_.contains(s)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unknown service '", s, "'; known: ",
            absl::StrJoin(by_name_, ", ", [](std::string* out, const auto& kv) {
              out->append(kv.first);
            })));
      }
      if (hosted_names_.insert(s).second) {
        hosted_.push_back(Hosted{by_name_.at(s), nullptr, nullptr});
      }
    }
    // Build in the modules' order, not the caller's.
    absl::c_sort(hosted_, [this](const Hosted& a, const Hosted& b) {
      return Order(a.module) < Order(b.module);
    });
    for (const Hosted& h : hosted_) {
      for (const std::string& peer : h.module->needs) {
        RETURN_IF_ERROR(Reachable(*h.module, peer, "needs"));
      }
    }
    return absl::OkStatus();
  }

  size_t Order(const ServiceModule* m) const {
    return static_cast<size_t>(m - modules_.data());
  }

  // OK when `peer` is a known service hosted here or given a --peer.
  absl::Status Reachable(const ServiceModule& m, const std::string& peer,
                         absl::string_view why) {
    if (!by_name_.contains(peer)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "module ", m.name, " ", why, " unknown service '", peer, "'"));
    }
    if (!hosted_names_.contains(peer) && !peers_.contains(peer)) {
      return absl::InvalidArgumentError(
          absl::StrCat(m.name, " ", why, " ", peer,
                       ": host it too or pass --peer=", peer, "=HOST:PORT"));
    }
    return absl::OkStatus();
  }

  // Opens the module's own store and builds its service.
  absl::Status Build(Hosted& h) {
    const ServiceModule& m = *h.module;
    storage::StoreOptions so;
    so.path = absl::StrCat(settings_.data_dir, "/", m.name);
    so.commit_barrier = &commit_barrier_;
    std::error_code ec;
    std::filesystem::create_directories(so.path, ec);
    ASSIGN_OR_RETURN(h.store, storage::OpenRocksDbStore(so));
    HostContext context;
    context.name = m.name;
    context.store = h.store.get();
    context.env = env_;
    context.clock = clock_;
    context.settings = &settings_;
    context.peer = [this, &m](const std::string& service) {
      if (!absl::c_linear_search(m.needs, service)) {
        // A programming error in the module, met on every start.
        std::cerr << "grantflowd: module " << m.name << " asks for " << service
                  << " without declaring it in needs\n";
        std::abort();
      }
      return PeerFor(service);
    };
    ASSIGN_OR_RETURN(h.service, m.make(context));
    if (h.service == nullptr || h.service->service() == nullptr) {
      return absl::InternalError(
          absl::StrCat("module ", m.name, " built no gRPC service"));
    }
    return absl::OkStatus();
  }

  // Every kind a hosted outbox sends is delivered by the module that
  // receives it, through a Peer to that service wherever it runs.
  absl::Status RouteTasks() {
    for (Hosted& h : hosted_) {
      const std::vector<std::string> kinds = h.service->sends();
      if (kinds.empty()) continue;
      Outbox* box = h.service->outbox();
      if (box == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "module ", h.module->name, " sends tasks but has no outbox"));
      }
      for (const std::string& kind : kinds) {
        auto it = receivers_.find(kind);
        if (it == receivers_.end()) {
          return absl::InvalidArgumentError(
              absl::StrCat(h.module->name, " sends task kind '", kind,
                           "' but no service receives it"));
        }
        const auto& [receiver, declared] = it->second;
        RETURN_IF_ERROR(Reachable(*h.module, receiver->name,
                                  absl::StrCat("sends '", kind, "' to")));
        box->RegisterHandler(
            kind, [deliver = declared->deliver, peer = PeerFor(receiver->name)](
                      const opb::Task& t) { return deliver(peer, t); });
      }
      outboxes_.push_back(box);
    }
    return absl::OkStatus();
  }

  // One background pass (one at a time): each hosted service's own work,
  // then every hosted outbox's due tasks.
  absl::Status RunPass(bool force) {
    absl::MutexLock pass(&pass_mu_);
    absl::Status first;
    const absl::Time now = clock_->Now();
    for (Hosted& h : hosted_) {
      absl::Status s = h.service->Background(now, force);
      if (!s.ok() && first.ok()) first = s;
      // Request ids past their retention, a bounded batch per pass.
      absl::StatusOr<int> expired =
          ExpireIdempotency(*h.store, now, idempotency_retention_, 1000);
      if (!expired.ok() && first.ok()) first = expired.status();
    }
    for (Outbox* box : outboxes_) {
      auto r = box->DeliverDue(now);
      if (!r.ok() && first.ok()) first = r.status();
    }
    return first;
  }

  // Calls to other services carry a short-lived token of grantflowd's own
  // "service" identity, signed with this host's key.
  Peer PeerFor(const std::string& service) {
    Peer p;
    p.channel = [this, service] { return ChannelTo(service); };
    p.deadline = peer_deadline_;
    p.max_in_flight = max_peer_calls_;
    {
      absl::MutexLock l(&in_flight_mu_);
      auto& count = in_flight_[service];
      if (count == nullptr) count = std::make_shared<std::atomic<int>>(0);
      p.in_flight = count;
    }
    p.credentials = [this, service](grpc::ClientContext* ctx) -> absl::Status {
      const bool in_process = hosted_names_.contains(service);
      // A remote peer under mutual TLS knows this host by its certificate;
      // a co-hosted one by the secret that never leaves the process.
      if (!tls_.ca.empty() && !in_process) return absl::OkStatus();
      if (in_process) {
        ctx->AddMetadata(kInProcessMetadata, env_.in_process_secret);
      }
      ASSIGN_OR_RETURN(std::string token, ServiceToken());
      ctx->AddMetadata("authorization", "Bearer " + token);
      return absl::OkStatus();
    };
    return p;
  }

  // This host's "service" token, valid for five minutes, signed again once
  // it is a minute old (or the clock has moved back before it): one
  // signature a minute instead of one per call to a peer.
  absl::StatusOr<std::string> ServiceToken() {
    const absl::Time now = clock_->Now();
    absl::MutexLock l(&service_token_mu_);
    if (!service_token_.empty() && now >= service_token_issued_ &&
        now < service_token_issued_ + absl::Minutes(1)) {
      return service_token_;
    }
    auth::TokenClaims claims;
    claims.principal.user =
        absl::StrCat("grantflowd:", absl::StrJoin(hosted_names_, "+"));
    claims.principal.roles = {"service"};
    claims.issued_at = now;
    claims.expires_at = now + absl::Minutes(5);
    ASSIGN_OR_RETURN(service_token_, signer_->Sign(claims));
    service_token_issued_ = now;
    return service_token_;
  }

  std::shared_ptr<grpc::Channel> ChannelTo(const std::string& service) {
    if (hosted_names_.contains(service)) return in_process_;
    return peers_.at(service);
  }

  Clock* clock_ = nullptr;
  HostSettings settings_;
  std::vector<ServiceModule> modules_;
  std::map<std::string, const ServiceModule*> by_name_;
  std::map<std::string, std::pair<const ServiceModule*, const TaskReceiver*>>
      receivers_;
  std::set<std::string> hosted_names_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> peers_;
  auth::TokenVerifier verifier_;
  std::unique_ptr<auth::TokenSigner> signer_;
  absl::Mutex service_token_mu_;
  std::string service_token_ ABSL_GUARDED_BY(service_token_mu_);
  absl::Time service_token_issued_ ABSL_GUARDED_BY(service_token_mu_);
  CallEnv env_;
  TlsFiles tls_;
  int port_ = 0;
  absl::Duration idempotency_retention_ = kDefaultIdempotencyRetention;
  std::chrono::milliseconds peer_deadline_{10'000};
  int max_peer_calls_ = 16;
  // One count of calls in flight per peer service, shared by its Peers.
  absl::Mutex in_flight_mu_;
  std::map<std::string, std::shared_ptr<std::atomic<int>>> in_flight_
      ABSL_GUARDED_BY(in_flight_mu_);

  // Every hosted store commits under it (shared); a backup holds it.
  absl::Mutex commit_barrier_;
  // The hosted services, each on its store; the outboxes routed among them.
  std::vector<Hosted> hosted_;
  std::vector<Outbox*> outboxes_;
  // Their audit logs, served as grantflow.audit.v1.AuditService.
  std::unique_ptr<AuditLog> audit_log_;
  std::unique_ptr<AuditServiceImpl> audit_service_;
  // Subject access and erasure across them.
  std::unique_ptr<PersonalData> personal_data_;
  Retention retention_;
  std::unique_ptr<PrivacyServiceImpl> privacy_service_;
  // Checkpoints of them all, served as grantflow.backup.v1.BackupService.
  std::string backup_dir_;
  std::unique_ptr<Backups> backups_;
  std::unique_ptr<BackupServiceImpl> backup_service_;

  // Declared after everything the handlers and the runner use, so they stop
  // first on destruction.
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> in_process_;
  absl::Notification stop_;
  std::thread runner_;
  absl::Mutex pass_mu_;
  absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

const std::map<std::string, std::string>& HostableServices() {
  static const auto* m = [] {
    auto* out = new std::map<std::string, std::string>();
    for (const ServiceModule& s : BuiltInModules()) {
      (*out)[s.name] = s.grpc_name;
    }
    return out;
  }();
  return *m;
}

const std::vector<std::string>& HostServices() {
  static const auto* s = new std::vector<std::string>{
      "grantflow.audit.v1.AuditService", "grantflow.privacy.v1.PrivacyService",
      "grantflow.backup.v1.BackupService"};
  return *s;
}

std::vector<std::string> EveryServiceName() {
  std::vector<std::string> out;
  for (const auto& [name, full] : HostableServices()) out.push_back(full);
  for (const std::string& full : HostServices()) out.push_back(full);
  return out;
}

absl::StatusOr<std::unique_ptr<GrantflowServer>> GrantflowServer::Start(
    const ServerOptions& options) {
  auto host = std::make_unique<Host>();
  RETURN_IF_ERROR(host->Init(options));
  return std::unique_ptr<GrantflowServer>(std::move(host));
}

}  // namespace grantflow
