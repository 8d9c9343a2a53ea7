#include "services/grantflowd/server.h"

#include <filesystem>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "services/applications/application_service.h"
#include "services/common/auth.h"
#include "services/programmes/programme_service.h"
#include "storage/store.h"

namespace grantflow {
namespace {

constexpr char kProgrammes[] = "programmes";
constexpr char kApplications[] = "applications";

class Host final : public GrantflowServer {
 public:
  int port() const override { return port_; }

  void Shutdown() override {
    absl::MutexLock l(&mu_);
    if (shut_down_ || server_ == nullptr) return;
    shut_down_ = true;
    server_->Shutdown();
  }

  void Wait() override {
    if (server_ != nullptr) server_->Wait();
  }

  ~Host() override {
    Shutdown();
    Wait();
  }

  absl::Status Init(const ServerOptions& o) {
    if (o.data_dir.empty())
      return absl::InvalidArgumentError("data_dir is required");
    if (o.clock == nullptr)
      return absl::InvalidArgumentError("clock is required");
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
    if (hosted_.contains(kApplications) && !hosted_.contains(kProgrammes) &&
        !o.peers.contains(kProgrammes)) {
      return absl::InvalidArgumentError(
          "applications needs programmes: host it too or pass "
          "--peer=programmes=HOST:PORT");
    }

    absl::StatusOr<auth::KeyPairPaths> keys =
        auth::EnsureDevKeyPair(o.data_dir + "/keys");
    if (!keys.ok()) return keys.status();
    absl::Status s = verifier_.AddPublicKeyPem(keys->public_pem);
    if (!s.ok()) return s;
    for (const std::string& k : o.trusted_keys) {
      s = verifier_.AddPublicKeyPem(k);
      if (!s.ok()) return s;
    }
    env_ = CallEnv{&verifier_, o.clock};

    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort(o.listen, grpc::InsecureServerCredentials(),
                             &port_);
    grpc::ResourceQuota quota("grantflowd");
    quota.SetMaxThreads(o.max_threads);
    builder.SetResourceQuota(quota);

    if (hosted_.contains(kProgrammes)) {
      auto store = OpenStore(o.data_dir, kProgrammes);
      if (!store.ok()) return store.status();
      programmes_store_ = *std::move(store);
      programmes_ =
          std::make_unique<programmes::Programmes>(programmes_store_.get());
      programme_service_ = std::make_unique<programmes::ProgrammeServiceImpl>(
          programmes_.get(), env_);
      builder.RegisterService(programme_service_.get());
    }
    if (hosted_.contains(kApplications)) {
      auto store = OpenStore(o.data_dir, kApplications);
      if (!store.ok()) return store.status();
      applications_store_ = *std::move(store);
      if (hosted_.contains(kProgrammes)) {
        round_source_ =
            applications::NewGrpcRoundSource([this] { return in_process_; });
      } else {
        std::shared_ptr<grpc::Channel> peer = grpc::CreateChannel(
            o.peers.at(kProgrammes), grpc::InsecureChannelCredentials());
        round_source_ =
            applications::NewGrpcRoundSource([peer] { return peer; });
      }
      applications_ = std::make_unique<applications::Applications>(
          applications_store_.get(), round_source_.get());
      application_service_ =
          std::make_unique<applications::ApplicationServiceImpl>(
              applications_.get(), env_);
      builder.RegisterService(application_service_.get());
    }

    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port_ == 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", o.listen));
    }
    in_process_ = server_->InProcessChannel(grpc::ChannelArguments());
    grpc::HealthCheckServiceInterface* health =
        server_->GetHealthCheckService();
    for (const std::string& s : hosted_) {
      health->SetServingStatus(HostableServices().at(s), true);
    }
    health->SetServingStatus(true);
    return absl::OkStatus();
  }

 private:
  static absl::StatusOr<std::unique_ptr<storage::Store>> OpenStore(
      const std::string& data_dir, const std::string& service) {
    storage::StoreOptions so;
    so.path = absl::StrCat(data_dir, "/", service);
    std::error_code ec;
    std::filesystem::create_directories(so.path, ec);
    return storage::OpenRocksDbStore(so);
  }

  std::set<std::string> hosted_;
  auth::TokenVerifier verifier_;
  CallEnv env_;
  int port_ = 0;

  std::unique_ptr<storage::Store> programmes_store_;
  std::unique_ptr<programmes::Programmes> programmes_;
  std::unique_ptr<programmes::ProgrammeServiceImpl> programme_service_;

  std::unique_ptr<storage::Store> applications_store_;
  std::unique_ptr<applications::RoundSource> round_source_;
  std::unique_ptr<applications::Applications> applications_;
  std::unique_ptr<applications::ApplicationServiceImpl> application_service_;

  // Declared after everything the server's handlers use, so it is destroyed
  // (and drained) first.
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> in_process_;
  absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

const std::map<std::string, std::string>& HostableServices() {
  static const auto* m = new std::map<std::string, std::string>{
      {kProgrammes, "grantflow.programmes.v1.ProgrammeService"},
      {kApplications, "grantflow.applications.v1.ApplicationService"},
  };
  return *m;
}

absl::StatusOr<std::unique_ptr<GrantflowServer>> GrantflowServer::Start(
    const ServerOptions& options) {
  auto host = std::make_unique<Host>();
  absl::Status s = host->Init(options);
  if (!s.ok()) return s;
  return std::unique_ptr<GrantflowServer>(std::move(host));
}

}  // namespace grantflow
