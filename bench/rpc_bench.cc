// rpc_bench: SubmitApplication over gRPC against an empty unary RPC
// (grpc.health.v1.Health/Check) on the same grantflowd and the same client
// threads, side by side in one run.
//
//   rpc_bench [--grantflowd=PATH] [--seconds=3] [--clients=12] [--dir=...]
//
// Starts a real grantflowd (all services, its own data directory, a port on
// 127.0.0.1 picked by the kernel), seeds a fund, a budget line, an open
// round and an organisation over gRPC, and drafts the applications to
// submit (untimed). Then, for each RPC:
//  * peak: --clients threads call it back to back for --seconds;
//  * half load: the same threads send at half that peak rate on a fixed
//    schedule (open loop) and each call's latency counts from when it was
//    due, so a stall shows in the tail rather than slowing the load.
// Prints calls/s at peak and p50/p99 at half load for both, and the ratio of
// the two peaks. Stops grantflowd at the end.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/harness.h"
#include "google/protobuf/util/time_util.h"
#include "grantflow/applications/v1/applications.grpc.pb.h"
#include "grantflow/programmes/v1/programmes.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "platform/auth.h"

ABSL_FLAG(std::string, grantflowd, GRANTFLOWD_PATH, "The grantflowd binary");
ABSL_FLAG(double, seconds, 3, "Seconds per measurement");
ABSL_FLAG(int, clients, 12,
          "Client threads (grantflowd answers RESOURCE_EXHAUSTED beyond "
          "--max_peer_calls (16) calls waiting on one peer: each submission "
          "reads its round from ProgrammeService)");
ABSL_FLAG(std::string, dir, "", "Scratch directory (default: a new temp dir)");

namespace grantflow::bench {
namespace {

namespace apb = ::grantflow::applications::v1;
namespace ppb = ::grantflow::programmes::v1;
namespace hpb = ::grpc::health::v1;
using SteadyClock = std::chrono::steady_clock;

// Drafts to submit, handed out once each.
class Drafts {
 public:
  void Make(apb::ApplicationService::Stub* apps, const std::string& amira,
            int n, int threads) {
    std::vector<std::thread> ts;
    std::atomic<int> next{0};
    std::mutex mu;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&] {
        for (int i = next++; i < n; i = next++) {
          apb::CreateApplicationRequest req;
          *req.mutable_application() = Draft();
          req.set_request_id(absl::StrCat("draft-", made_ + i));
          apb::Application a;
          Ok(apps->CreateApplication(Ctx(amira).get(), req, &a),
             "CreateApplication");
          std::lock_guard<std::mutex> l(mu);
          names_.push_back(a.name());
        }
      });
    }
    for (auto& t : ts) t.join();
    made_ += n;
  }
  // The next draft's name, or "" when none are left.
  std::string Take() {
    const size_t i = taken_++;
    return i < names_.size() ? names_[i] : "";
  }
  size_t left() const {
    return names_.size() - std::min(names_.size(), taken_.load());
  }

 private:
  std::vector<std::string> names_;
  std::atomic<size_t> taken_{0};
  int made_ = 0;
};

// `threads` clients at `rate` calls/s in all (0: back to back) for
// `seconds`; latencies count from when each call was due. `call` returns
// false when it has nothing left to send.
Result Load(int threads, double seconds, double rate,
            const std::function<bool()>& call) {
  std::vector<std::vector<double>> lat(threads);
  const auto start = SteadyClock::now();
  const auto end = start + std::chrono::duration_cast<SteadyClock::duration>(
                               std::chrono::duration<double>(seconds));
  std::atomic<bool> out{false};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (long k = 0; !out; ++k) {
        auto due = SteadyClock::now();
        if (rate > 0) {
          due = start +
                std::chrono::duration_cast<SteadyClock::duration>(
                    std::chrono::duration<double>((k * threads + t) / rate));
          std::this_thread::sleep_until(due);
        }
        if (due >= end) break;
        if (!call()) {
          out = true;
          break;
        }
        lat[t].push_back(
            std::chrono::duration<double, std::micro>(SteadyClock::now() - due)
                .count());
      }
    });
  }
  for (auto& t : ts) t.join();
  const double elapsed =
      std::chrono::duration<double>(SteadyClock::now() - start).count();
  return Summarise(lat, elapsed);
}

}  // namespace
}  // namespace grantflow::bench

int main(int argc, char** argv) {
  using namespace grantflow::bench;
  absl::ParseCommandLine(argc, argv);
  const ScratchDir scratch(absl::GetFlag(FLAGS_dir), "rpcbench");
  const std::string& dir = scratch.path();
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const int clients = absl::GetFlag(FLAGS_clients);
  {
    Server server(absl::GetFlag(FLAGS_grantflowd), dir);
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.port()),
                            grpc::InsecureChannelCredentials());
    auto signer = SignerFor(dir + "/data");
    const std::string admin = Mint(*signer, "root", {"admin"});
    const std::string amira =
        Mint(*signer, "amira", {"applicant"}, "organisations/hackney-families");
    Seed(channel.get(), admin);
    auto apps = apb::ApplicationService::NewStub(channel);
    auto health = hpb::Health::NewStub(channel);

    auto submit = [&](Drafts& drafts) {
      return [&] {
        const std::string name = drafts.Take();
        if (name.empty()) return false;
        apb::SubmitApplicationRequest req;
        req.set_name(name);
        req.set_request_id("submit-" + name.substr(name.find('/') + 1));
        apb::Application a;
        Ok(apps->SubmitApplication(Ctx(amira).get(), req, &a),
           "SubmitApplication");
        return true;
      };
    };
    auto check = [&] {
      hpb::HealthCheckRequest req;
      hpb::HealthCheckResponse resp;
      Ok(health->Check(Ctx("").get(), req, &resp), "Health/Check");
      return true;
    };
    // Peak: enough drafts for a fast server; the measurement ends early
    // (and says so in its count) if they run out.
    Drafts peak_drafts;
    peak_drafts.Make(apps.get(), amira, static_cast<int>(6000 * seconds), 8);
    Load(clients, 0.5, 0, check);  // warm up the connection and threads
    const Result submit_peak = Load(clients, seconds, 0, submit(peak_drafts));
    const Result empty_peak = Load(clients, seconds, 0, check);
    Drafts half_drafts;
    half_drafts.Make(
        apps.get(), amira,
        static_cast<int>(submit_peak.per_second / 2 * seconds * 1.1) + clients,
        8);
    const Result submit_half =
        Load(clients, seconds, submit_peak.per_second / 2, submit(half_drafts));
    const Result empty_half =
        Load(clients, seconds, empty_peak.per_second / 2, check);
    std::printf(
        "rpc_bench: %d client threads, one grantflowd on 127.0.0.1 "
        "(%.0f s each)\n",
        clients, seconds);
    std::printf("%-18s %10s %12s %12s\n", "rpc", "peak/s", "p50 @ half",
                "p99 @ half");
    std::printf("%-18s %10.0f %10.0fus %10.0fus\n", "SubmitApplication",
                submit_peak.per_second, submit_half.p50_us, submit_half.p99_us);
    std::printf("%-18s %10.0f %10.0fus %10.0fus\n", "Health/Check",
                empty_peak.per_second, empty_half.p50_us, empty_half.p99_us);
    std::printf("submit/empty peak ratio: %.2f\n",
                submit_peak.per_second / empty_peak.per_second);
  }
  return 0;
}
