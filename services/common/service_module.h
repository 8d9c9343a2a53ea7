// A service as the host sees it: a declaration (its names, the services it
// calls, the task kinds it receives) and a factory that builds it on a store
// the host opened. grantflowd hosts any subset of the modules it is given
// and wires them from these declarations alone: it opens each hosted
// service's store, builds it, registers its gRPC service and health status,
// routes every task kind an outbox sends to the one module that receives it,
// and runs the services' background work. Adding a service is writing its
// module; the host does not change.
#ifndef GRANTFLOW_SERVICES_COMMON_SERVICE_MODULE_H_
#define GRANTFLOW_SERVICES_COMMON_SERVICE_MODULE_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grantflow/privacy/v1/privacy.pb.h"
#include "grpcpp/impl/service_type.h"
#include "platform/call.h"
#include "platform/clock.h"
#include "platform/outbox.h"
#include "platform/personal_data.h"
#include "services/common/call.h"
#include "services/common/peer.h"
#include "storage/store.h"

namespace grantflow {

// Settings some services read; the host fills them from its options.
struct HostSettings {
  std::string data_dir;
  // workflow: extra lifecycle definitions (*.textproto) beyond the built-in
  // ones.
  std::string definitions_dir;
  // programmes: how often (real time) budget lines are settled with the
  // ledger once they agree.
  absl::Duration reconcile_interval = absl::Seconds(30);
  // reports: the publisher's 360Giving prefix, which open-data grant ids
  // (and unregistered recipients' ids) start with.
  std::string open_data_prefix = "360G-grantflow";
};

// What the host hands a module's factory. Everything pointed to is owned by
// the host and outlives the service built from it.
struct HostContext {
  std::string name;                 // the module's short name
  storage::Store* store = nullptr;  // the service's own store
  CallEnv env;                      // for the service's adapter
  Clock* clock = nullptr;
  const HostSettings* settings = nullptr;
  // A client to another service by short name, in-process when co-hosted,
  // over TCP to its --peer otherwise, carrying the host's "service" token.
  // Only for the services the module declares in `needs`. Thread-safe; the
  // returned Peer may be kept and used for the service's lifetime.
  std::function<Peer(const std::string& service)> peer;
};

// One figure a service reports for the host's metrics endpoint (Prometheus
// text format): a gauge, or a counter that only grows while the process
// runs.
struct MetricSample {
  std::string name;  // e.g. grantflow_engine_timers_due
  std::string help;
  bool counter = false;
  std::map<std::string, std::string> labels = {};
  double value = 0;
};

// A built service. The host calls it from its background thread and from
// RunBackgroundOnce, never both at once; gRPC calls reach service()
// concurrently.
class HostedService {
 public:
  virtual ~HostedService() = default;

  // The gRPC service to register. Owned by this object.
  virtual grpc::Service* service() = 0;

  // The outbox the host delivers (its tasks written with the service's
  // changes), or nullptr when the service sends no tasks.
  virtual Outbox* outbox() { return nullptr; }

  // Every task kind the outbox may hold. The host routes each to the module
  // that receives it, and refuses to start when none does.
  virtual std::vector<std::string> sends() const { return {}; }

  // Work the host runs on every background pass, before it delivers the
  // outboxes (firing due timers, settling with another service). `force`
  // is set by RunBackgroundOnce: do now what is otherwise done from time to
  // time. Errors are logged (by the host) and retried on the next pass.
  virtual absl::Status Background(absl::Time now, bool force) {
    (void)now;
    (void)force;
    return absl::OkStatus();
  }

  // The service's own figures for the metrics endpoint, read when it is
  // scraped (the host adds each outbox's depth and each store's RocksDB
  // figures itself). Called from the metrics thread, concurrently with
  // RPCs.
  virtual std::vector<MetricSample> Metrics(absl::Time now) {
    (void)now;
    return {};
  }

  // What the service holds about `subject` (a person or an organisation),
  // each record with what decides whether the funder must keep it and how
  // to erase it; the host's PrivacyService exports and erases them (see
  // platform/personal_data.h). A service holding no personal data answers
  // nothing.
  virtual absl::StatusOr<std::vector<Holding>> PersonalData(
      const privacy::v1::Subject& subject) {
    (void)subject;
    return std::vector<Holding>{};
  }
};

// One task kind a service receives, and how a task of that kind reaches it:
// `deliver` turns the task into a call of the receiver's own API on `self`
// (a Peer to the receiving service, wherever it runs). It must be
// idempotent: a task may be delivered more than once. A payload that does
// not parse is INVALID_ARGUMENT, which parks the task for an operator.
struct TaskReceiver {
  std::string kind;
  std::function<absl::Status(const Peer& self, const opb::Task& task)> deliver;
};

struct ServiceModule {
  // Short name: its folder under the data directory, --services, --peer.
  std::string name;
  // Full gRPC service name: health status, reflection, the authz check.
  std::string grpc_name;
  // Services it calls synchronously; each must be hosted too or reachable
  // through a peer.
  std::vector<std::string> needs;
  // Task kinds it receives from other services' outboxes (at most one
  // module per kind).
  std::vector<TaskReceiver> receives;
  // Builds the service. INVALID_ARGUMENT for bad settings; any other error
  // stops the host from starting.
  std::function<absl::StatusOr<std::unique_ptr<HostedService>>(
      const HostContext& context)>
      make;
};

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_COMMON_SERVICE_MODULE_H_
