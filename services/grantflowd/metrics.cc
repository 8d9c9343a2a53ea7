#include "services/grantflowd/metrics.h"

#include <chrono>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "nlohmann/json.hpp"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace grantflow {
namespace {

namespace gx = ::grpc::experimental;

// The names go-grpc-prometheus gives the codes (Go's codes.Code.String()).
const char* CodeName(grpc::StatusCode c) {
  static const char* kNames[] = {"OK",
                                 "Canceled",
                                 "Unknown",
                                 "InvalidArgument",
                                 "DeadlineExceeded",
                                 "NotFound",
                                 "AlreadyExists",
                                 "PermissionDenied",
                                 "ResourceExhausted",
                                 "FailedPrecondition",
                                 "Aborted",
                                 "OutOfRange",
                                 "Unimplemented",
                                 "Internal",
                                 "Unavailable",
                                 "DataLoss",
                                 "Unauthenticated"};
  const int i = static_cast<int>(c);
  return i >= 0 && i < 17 ? kNames[i] : "Unknown";
}

const char* TypeName(gx::ServerRpcInfo::Type t) {
  switch (t) {
    case gx::ServerRpcInfo::Type::UNARY:
      return "unary";
    case gx::ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case gx::ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    default:
      return "bidi_stream";
  }
}

// The families every RPC updates.
struct RpcFamilies {
  explicit RpcFamilies(prometheus::Registry& r)
      : started(prometheus::BuildCounter()
                    .Name("grpc_server_started_total")
                    .Help("Total number of RPCs started on the server.")
                    .Register(r)),
        handled(prometheus::BuildCounter()
                    .Name("grpc_server_handled_total")
                    .Help("Total number of RPCs completed on the server, "
                          "regardless of success or failure.")
                    .Register(r)),
        received(prometheus::BuildCounter()
                     .Name("grpc_server_msg_received_total")
                     .Help("Total number of RPC stream messages received on "
                           "the server.")
                     .Register(r)),
        sent(prometheus::BuildCounter()
                 .Name("grpc_server_msg_sent_total")
                 .Help("Total number of gRPC stream messages sent by the "
                       "server.")
                 .Register(r)),
        seconds(prometheus::BuildHistogram()
                    .Name("grpc_server_handling_seconds")
                    .Help("Histogram of response latency (seconds) of gRPC "
                          "that had been application-level handled by the "
                          "server.")
                    .Register(r)) {}
  prometheus::Family<prometheus::Counter>& started;
  prometheus::Family<prometheus::Counter>& handled;
  prometheus::Family<prometheus::Counter>& received;
  prometheus::Family<prometheus::Counter>& sent;
  prometheus::Family<prometheus::Histogram>& seconds;
};

// prometheus' default buckets, as go-grpc-prometheus uses them.
const prometheus::Histogram::BucketBoundaries& Buckets() {
  static const auto* b = new prometheus::Histogram::BucketBoundaries{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *b;
}

class RpcInterceptor final : public gx::Interceptor {
 public:
  RpcInterceptor(gx::ServerRpcInfo* info, RpcFamilies* f, std::ostream* log,
                 absl::Mutex* log_mu)
      : f_(f), log_(log), log_mu_(log_mu) {
    const std::string full = info->method();  // "/pkg.Service/Method"
    const size_t slash = full.rfind('/');
    labels_ = {{"grpc_type", TypeName(info->type())},
               {"grpc_service", full.substr(1, slash - 1)},
               {"grpc_method", full.substr(slash + 1)}};
    grantflow_service_ = full.rfind("/grantflow.", 0) == 0;
  }

  void Intercept(gx::InterceptorBatchMethods* m) override {
    using P = gx::InterceptionHookPoints;
    if (m->QueryInterceptionHookPoint(P::POST_RECV_INITIAL_METADATA)) {
      start_ = std::chrono::steady_clock::now();
      f_->started.Add(labels_).Increment();
    }
    if (m->QueryInterceptionHookPoint(P::POST_RECV_MESSAGE)) {
      f_->received.Add(labels_).Increment();
      // The request's idempotency key, when it has one, for the log. Only
      // grantflow's own services are known to receive protobuf messages
      // here (the health service, for one, receives raw bytes).
      auto* msg =
          grantflow_service_
              ? static_cast<google::protobuf::Message*>(m->GetRecvMessage())
              : nullptr;
      if (msg != nullptr && request_id_.empty()) {
        const auto* field = msg->GetDescriptor()->FindFieldByName("request_id");
        if (field != nullptr &&
            field->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
            !field->is_repeated()) {
          request_id_ = msg->GetReflection()->GetString(*msg, field);
        }
      }
    }
    if (m->QueryInterceptionHookPoint(P::PRE_SEND_MESSAGE)) {
      f_->sent.Add(labels_).Increment();
    }
    if (m->QueryInterceptionHookPoint(P::PRE_SEND_STATUS)) {
      const grpc::Status status = m->GetSendStatus();
      const double seconds = std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - start_)
                                 .count();
      std::map<std::string, std::string> with_code = labels_;
      with_code["grpc_code"] = CodeName(status.error_code());
      f_->handled.Add(with_code).Increment();
      f_->seconds.Add(labels_, Buckets()).Observe(seconds);
      if (log_ != nullptr) Log(status, seconds);
    }
    m->Proceed();
  }

 private:
  void Log(const grpc::Status& status, double seconds) {
    nlohmann::json line = {
        {"time", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                  absl::UTCTimeZone())},
        {"level", status.ok() ? "info" : "warn"},
        {"msg", "rpc"},
        {"service", labels_.at("grpc_service")},
        {"method", labels_.at("grpc_method")},
        {"code", CodeName(status.error_code())},
        {"duration_ms", static_cast<int64_t>(seconds * 1000 + 0.5)},
        {"request_id", request_id_}};
    // The error's text, never the request: requests carry personal data.
    if (!status.ok()) line["error"] = status.error_message();
    const std::string text = line.dump() + "\n";
    absl::MutexLock l(log_mu_);
    log_->write(text.data(), static_cast<std::streamsize>(text.size()));
    log_->flush();
  }

  RpcFamilies* f_;
  std::ostream* log_;
  absl::Mutex* log_mu_;
  std::map<std::string, std::string> labels_;
  std::chrono::steady_clock::time_point start_ =
      std::chrono::steady_clock::now();
  std::string request_id_;
  bool grantflow_service_ = false;
};

class Factory final : public gx::ServerInterceptorFactoryInterface {
 public:
  Factory(RpcFamilies* f, std::ostream* log, absl::Mutex* log_mu)
      : f_(f), log_(log), log_mu_(log_mu) {}
  gx::Interceptor* CreateServerInterceptor(gx::ServerRpcInfo* info) override {
    return new RpcInterceptor(info, f_, log_, log_mu_);
  }

 private:
  RpcFamilies* f_;
  std::ostream* log_;
  absl::Mutex* log_mu_;
};

// The sources' figures, read on each scrape.
class SourceCollectable final : public prometheus::Collectable {
 public:
  void Add(Metrics::Source s) {
    absl::MutexLock l(&mu_);
    sources_.push_back(std::move(s));
  }
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<Metrics::Source> sources;
    {
      absl::MutexLock l(&mu_);
      sources = sources_;
    }
    std::map<std::string, prometheus::MetricFamily> families;
    for (const Metrics::Source& source : sources) {
      for (const MetricSample& s : source()) {
        prometheus::MetricFamily& f = families[s.name];
        f.name = s.name;
        f.help = s.help;
        f.type = s.counter ? prometheus::MetricType::Counter
                           : prometheus::MetricType::Gauge;
        prometheus::ClientMetric m;
        for (const auto& [k, v] : s.labels) m.label.push_back({k, v});
        if (s.counter) {
          m.counter.value = s.value;
        } else {
          m.gauge.value = s.value;
        }
        f.metric.push_back(std::move(m));
      }
    }
    std::vector<prometheus::MetricFamily> out;
    for (auto& [name, f] : families) out.push_back(std::move(f));
    return out;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<Metrics::Source> sources_ ABSL_GUARDED_BY(mu_);
};

class MetricsImpl final : public Metrics {
 public:
  MetricsImpl(std::ostream* log)
      : registry_(std::make_shared<prometheus::Registry>()),
        families_(*registry_),
        sources_(std::make_shared<SourceCollectable>()),
        log_(log) {}

  absl::Status Serve(const std::string& listen) {
    if (listen.empty()) return absl::OkStatus();
    try {  // prometheus-cpp reports a bind failure by throwing
      exposer_ = std::make_unique<prometheus::Exposer>(listen);
    } catch (const std::exception& e) {
      return absl::UnavailableError(
          absl::StrCat("cannot serve metrics on ", listen, ": ", e.what()));
    }
    exposer_->RegisterCollectable(registry_);
    exposer_->RegisterCollectable(sources_);
    return absl::OkStatus();
  }

  int port() const override {
    if (exposer_ == nullptr) return 0;
    const std::vector<int> ports = exposer_->GetListeningPorts();
    return ports.empty() ? 0 : ports[0];
  }
  std::unique_ptr<gx::ServerInterceptorFactoryInterface> NewInterceptorFactory()
      override {
    return std::make_unique<Factory>(&families_, log_, &log_mu_);
  }
  void AddSource(Source source) override { sources_->Add(std::move(source)); }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  RpcFamilies families_;
  std::shared_ptr<SourceCollectable> sources_;
  std::ostream* log_;
  absl::Mutex log_mu_;
  std::unique_ptr<prometheus::Exposer> exposer_;  // last: stops first
};

}  // namespace

absl::StatusOr<std::unique_ptr<Metrics>> Metrics::Start(
    const std::string& listen, std::ostream* log) {
  auto m = std::make_unique<MetricsImpl>(log);
  if (absl::Status s = m->Serve(listen); !s.ok()) return s;
  return std::unique_ptr<Metrics>(std::move(m));
}

}  // namespace grantflow
