// The grantflowd host: runs any subset of the services in one process on one
// port, each with its own RocksDB directory under the data directory, and
// connects them to each other through gRPC only (in-process channels when
// co-hosted, TCP to --peer addresses otherwise).
#ifndef GRANTFLOW_SERVICES_GRANTFLOWD_SERVER_H_
#define GRANTFLOW_SERVICES_GRANTFLOWD_SERVER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "platform/clock.h"

namespace grantflow {

// Short names of the services grantflowd can host, with their gRPC names.
const std::map<std::string, std::string>& HostableServices();

struct ServerOptions {
  // Short names from HostableServices(); empty means all of them.
  std::vector<std::string> services;
  std::string data_dir;                    // required
  std::string listen = "127.0.0.1:50051";  // port 0 picks a free port
  // Where services not hosted here run: short name -> host:port.
  std::map<std::string, std::string> peers;
  // Extra trusted token public keys (PEM); the data directory's own key
  // pair (keys/token-signing.pub.pem) is always trusted.
  std::vector<std::string> trusted_keys;
  Clock* clock = nullptr;  // not owned; must outlive the server
  int max_threads = 64;    // beyond this, calls get RESOURCE_EXHAUSTED
  // How often the background runner fires due timers and delivers outbox
  // tasks; zero turns it off (tests then drive them by hand).
  absl::Duration background_interval = absl::Milliseconds(100);
  // How often (real time) budget lines are settled with the ledger once
  // they agree; while some do not, every couple of seconds. They are also
  // settled at start-up and by RunBackgroundOnce.
  absl::Duration reconcile_interval = absl::Seconds(30);
  // Extra lifecycle definitions (*.textproto) beyond the built-in ones.
  std::string definitions_dir;
};

class GrantflowServer {
 public:
  virtual ~GrantflowServer() = default;

  // Opens the stores, starts serving, and marks each hosted service SERVING
  // in grpc.health.v1. INVALID_ARGUMENT for an unknown service or a missing
  // peer; INTERNAL/UNAVAILABLE when a store cannot be opened or the address
  // cannot be bound.
  static absl::StatusOr<std::unique_ptr<GrantflowServer>> Start(
      const ServerOptions& options);

  virtual int port() const = 0;
  // Stops accepting calls, finishes those in flight, closes the stores.
  virtual void Shutdown() = 0;
  // Blocks until Shutdown() completes.
  virtual void Wait() = 0;
  // Runs one background pass now: fires due timers, delivers due outbox
  // tasks in every hosted store, and settles budget lines with the ledger.
  // Returns the first error.
  virtual absl::Status RunBackgroundOnce() = 0;
};

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_GRANTFLOWD_SERVER_H_
