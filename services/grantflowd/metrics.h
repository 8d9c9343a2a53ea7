// The host's Prometheus endpoint (Debian's prometheus-cpp): GET /metrics on
// its own HTTP port. It counts every RPC under the names users of
// go-grpc-prometheus expect (grpc_server_started_total,
// grpc_server_handled_total with grpc_code, grpc_server_handling_seconds,
// grpc_server_msg_received_total, grpc_server_msg_sent_total, labelled by
// grpc_type, grpc_service and grpc_method), writes one structured JSON log
// line per RPC (with the request's request_id), and reads the host's other
// figures (outbox depth, timers due, RocksDB) from sources on every scrape.
#ifndef GRANTFLOW_SERVICES_GRANTFLOWD_METRICS_H_
#define GRANTFLOW_SERVICES_GRANTFLOWD_METRICS_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/support/server_interceptor.h"
#include "services/common/service_module.h"

namespace grantflow {

class Metrics {
 public:
  // Reads figures on each scrape; must be thread-safe.
  using Source = std::function<std::vector<MetricSample>()>;

  // Serves /metrics on `listen` ("host:port"; port 0 picks a free one).
  // Empty `listen` serves nothing but still counts and logs. RPC log lines
  // go to `log` when it is not null (not owned; outlives this).
  // UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Metrics>> Start(
      const std::string& listen, std::ostream* log);
  virtual ~Metrics() = default;

  // The port /metrics is served on; 0 when not serving.
  virtual int port() const = 0;
  // An interceptor factory for the gRPC server (one per server).
  virtual std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  NewInterceptorFactory() = 0;
  // Adds figures read on every scrape. Call before serving RPCs.
  virtual void AddSource(Source source) = 0;
};

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_GRANTFLOWD_METRICS_H_
