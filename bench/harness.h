// What the benchmarks share: timing a closed loop of operations from N
// threads, and the engine's transitions as every benchmark drives them.
#ifndef GRANTFLOW_BENCH_HARNESS_H_
#define GRANTFLOW_BENCH_HARNESS_H_

#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "grantflow/applications/v1/applications.pb.h"
#include "grantflow/programmes/v1/programmes.pb.h"
#include "grpcpp/grpcpp.h"
#include "platform/auth.h"
#include "platform/call.h"
#include "storage/store.h"
#include "workflows/definitions.h"

namespace grantflow::bench {

struct Result {
  double per_second = 0;
  double p50_us = 0;
  double p99_us = 0;
  long ops = 0;
};

// Calls per second over `elapsed_s`, and the median and 99th percentile of
// the latencies (microseconds) each thread recorded.
Result Summarise(const std::vector<std::vector<double>>& latencies,
                 double elapsed_s);

// Runs `op(thread, i)` from `threads` threads for `seconds`, timing each.
template <typename Op>
inline Result Measure(int threads, double seconds, Op op) {
  std::vector<std::vector<double>> lat(threads);
  std::atomic<bool> stop{false};
  std::vector<std::thread> ts;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (long i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        auto a = std::chrono::steady_clock::now();
        op(t, i);
        lat[t].push_back(std::chrono::duration<double, std::micro>(
                             std::chrono::steady_clock::now() - a)
                             .count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : ts) t.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return Summarise(lat, elapsed);
}

// `flag_dir` when given (then kept), else a new directory under the system's
// temporary directory named after `name` (removed by the destructor).
class ScratchDir {
 public:
  ScratchDir(const std::string& flag_dir, const std::string& name);
  ~ScratchDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool own_;
};

// A caller with `roles`, at the benchmarks' fixed time.
Call As(const std::string& user, std::vector<std::string> roles);

// Opens a RocksDB store at `path` (exits the process on failure).
std::unique_ptr<storage::Store> Open(const std::string& path, bool sync);

// The five facts each benchmark case goes through, SUBMITTED to RECOMMENDED.
extern const char* const kFacts[5];

// Engine transitions from `threads` threads for `seconds` on a new synced
// store at `path`: each thread drives its own cases through kFacts, starting
// a new one when a case reaches RECOMMENDED. Exits the process on a refusal.
Result EngineTransitions(const std::string& path,
                         const workflows::DefinitionRegistry& defs, int threads,
                         double seconds);

// --- A grantflowd child process, for the benchmarks that talk gRPC. ---

// Prints "rpc_bench: what" style errors and exits.
[[noreturn]] void Fail(const std::string& what);
// Fails unless `s` is OK.
void Ok(const grpc::Status& s, const std::string& what);

// grantflowd (`binary`) in a child process on `dir`/data, its log in
// `dir`/grantflowd.log, on a port of 127.0.0.1 the kernel picks; waits
// until it has written its port file. SIGTERMs it and waits when destroyed.
class Server {
 public:
  Server(const std::string& binary, const std::string& dir);
  ~Server();
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// A token for `user` signed with the data directory's development key.
std::string Mint(auth::TokenSigner& signer, const std::string& user,
                 std::vector<std::string> roles, const std::string& org = "");
// The signer of the data directory `data` (its keys/, which grantflowd
// creates at its first start); exits the process when there is none.
std::unique_ptr<auth::TokenSigner> SignerFor(const std::string& data);
// A client context carrying `token` (none when empty).
std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token);

// The benchmarks' round: funds/bench/rounds/open, open from a day ago for
// thirty days, on funds/bench/budgetLines/grants.
programmes::v1::Round BenchRound();
// Seeds fund "bench", its line, BenchRound() and organisations/
// hackney-families (amira a member and signatory) over gRPC as `admin`.
void Seed(grpc::Channel* channel, const std::string& admin);
// A complete application to that round for hackney-families.
applications::v1::Application Draft();

}  // namespace grantflow::bench

#endif  // GRANTFLOW_BENCH_HARNESS_H_
