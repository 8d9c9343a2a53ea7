// The grantflowd host: runs any subset of the services in one process on one
// port, each with its own RocksDB directory under the data directory, and
// connects them to each other through gRPC only (in-process channels when
// co-hosted, TCP to --peer addresses otherwise). It knows services only
// through their modules (services/common/service_module.h): the built-in
// ones (builtin_modules.h) and any the caller adds.
#ifndef GRANTFLOW_SERVICES_GRANTFLOWD_SERVER_H_
#define GRANTFLOW_SERVICES_GRANTFLOWD_SERVER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "platform/clock.h"
#include "platform/idempotency.h"
#include "services/common/service_module.h"
#include "services/common/tls.h"

namespace grantflow {

// Short names of the built-in services grantflowd can host, with their gRPC
// names.
const std::map<std::string, std::string>& HostableServices();

// gRPC names of the services every grantflowd serves whatever it hosts:
// the audit log, personal data and backups of its hosted services.
const std::vector<std::string>& HostServices();

// The gRPC names of every service a grantflowd may serve: the hostable ones
// and the host's own.
std::vector<std::string> EveryServiceName();

struct ServerOptions {
  // Short names of built-in or extra modules; empty means all of them.
  std::vector<std::string> services;
  // Modules beyond the built-in ones (a test's own service). Names must not
  // clash with the built-in ones.
  std::vector<ServiceModule> extra_modules;
  std::string data_dir;                    // required
  std::string listen = "127.0.0.1:50051";  // port 0 picks a free port
  // Where services not hosted here run: short name -> host:port.
  std::map<std::string, std::string> peers;
  // Files of extra trusted token public keys (PEM); the data directory's own
  // key pair (keys/token-signing.pub.pem) is always trusted.
  std::vector<std::string> trusted_keys;
  Clock* clock = nullptr;  // not owned; must outlive the server
  // Prometheus /metrics on this address (host:port; port 0 picks one);
  // empty: not served. RPCs are counted and logged either way.
  std::string metrics_listen;
  // One JSON line per RPC (time, service, method, code, duration,
  // request_id) to standard error.
  bool log_rpcs = true;
  int max_threads = 64;  // beyond this, calls get RESOURCE_EXHAUSTED
  // Every call to a peer service carries this deadline, and at most
  // max_peer_calls wait on any one peer at once (more fail at once,
  // RESOURCE_EXHAUSTED), so a slow or dead peer never takes the threads
  // unrelated RPCs need. At most max_threads - 2 (one thread for another
  // call, one polling); several hung peers together may still take every
  // thread, and then calls are refused, never queued.
  absl::Duration peer_deadline = absl::Seconds(10);
  int max_peer_calls = 16;
  // How often the background runner fires due timers and delivers outbox
  // tasks; zero turns it off (tests then drive them by hand).
  absl::Duration background_interval = absl::Milliseconds(100);
  // How often (real time) budget lines are settled with the ledger once
  // they agree; while some do not, every couple of seconds. They are also
  // settled at start-up and by RunBackgroundOnce.
  absl::Duration reconcile_interval = absl::Seconds(30);
  // Extra lifecycle definitions (*.textproto) beyond the built-in ones.
  std::string definitions_dir;
  // Where BackupService.CreateBackup writes; empty: data_dir/backups.
  std::string backup_dir;
  // The publisher's 360Giving prefix for open data (HostSettings).
  std::string open_data_prefix = "360G-grantflow";
  // TLS: this grantflowd's certificate and key, and the CA that signs every
  // grantflowd's. With cert and key it serves TLS; with the CA as well, peer
  // services are known by their client certificates (mutual TLS) and its
  // calls to peers present its own. Empty: plaintext (loopback development).
  TlsFiles tls;
  // Personal data kept on erasure requests: unsuccessful applications for
  // this long after their decision, funded grants after they end.
  Retention retention;
  // How long each service remembers request ids (and the responses it gave
  // them) before the background pass forgets them.
  absl::Duration idempotency_retention = kDefaultIdempotencyRetention;
};

class GrantflowServer {
 public:
  virtual ~GrantflowServer() = default;

  // Opens the stores, builds the hosted services, routes their outbox tasks
  // to the services that receive them, starts serving, and marks each hosted
  // service SERVING in grpc.health.v1. INVALID_ARGUMENT for an unknown
  // service, a missing peer (a service needed, or receiving a task kind a
  // hosted one sends), a task kind no module receives or two modules
  // receive, or a malformed module; INTERNAL/UNAVAILABLE when a store
  // cannot be opened or the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<GrantflowServer>> Start(
      const ServerOptions& options);

  virtual int port() const = 0;
  // The port /metrics is served on; 0 when it is not.
  virtual int metrics_port() const = 0;
  // Stops accepting calls, finishes those in flight, closes the stores.
  virtual void Shutdown() = 0;
  // Blocks until Shutdown() completes.
  virtual void Wait() = 0;
  // Runs one background pass now: every hosted service's background work,
  // forced (due timers fired, budget lines settled with the ledger), then
  // the due outbox tasks of every hosted service. Returns the first error.
  virtual absl::Status RunBackgroundOnce() = 0;
};

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_GRANTFLOWD_SERVER_H_
