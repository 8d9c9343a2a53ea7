// engine_bench: the workflow engine's transitions against raw RocksDB synced
// WriteBatches of the same shape, side by side in one run, and ListCases
// latency as the number of cases grows.
//
//   engine_bench [--seconds=3] [--concurrency=1,8,64] [--max_cases=1000000]
//                [--dir=/tmp/...]
//
// Everything runs against real RocksDB directories on the local disk with
// fsync on every acknowledged write. Prints transitions/s, p50/p99 latency
// and the engine/raw ratio per concurrency, then ListCases latencies.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/harness.h"
#include "platform/call.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/store.h"
#include "workflows/definitions.h"
#include "workflows/engine.h"

ABSL_FLAG(double, seconds, 3, "Seconds per measurement");
ABSL_FLAG(std::string, concurrency, "1,8,64", "Concurrency levels");
ABSL_FLAG(int, max_cases, 1000000, "Largest case count for ListCases");
ABSL_FLAG(std::string, dir, "", "Scratch directory (default: a new temp dir)");
ABSL_FLAG(bool, engine_only, false, "Skip the raw baseline (for profiling)");

namespace grantflow {
namespace {

namespace wpb = ::grantflow::workflow::v1;
using bench::As;
using bench::EngineTransitions;
using bench::kFacts;
using bench::Measure;
using bench::Open;
using bench::Result;
using Clock = std::chrono::steady_clock;

// The shape of one engine transition's write, measured below from a real
// transition: the number of rows and their total key + value bytes.
struct Shape {
  int rows = 0;
  size_t bytes = 0;
};

// Captures the shape of RecordFact's WriteSet by wrapping the store.
class CountingStore : public storage::Store {
 public:
  explicit CountingStore(storage::Store* inner) : inner_(inner) {}
  absl::StatusOr<storage::Record> Get(absl::string_view t,
                                      absl::string_view k) override {
    return inner_->Get(t, k);
  }
  absl::StatusOr<std::vector<absl::StatusOr<storage::Record>>> MultiGet(
      absl::string_view t, const std::vector<std::string>& k) override {
    return inner_->MultiGet(t, k);
  }
  absl::StatusOr<storage::ScanResult> Scan(absl::string_view t,
                                           absl::string_view p,
                                           absl::string_view s,
                                           int l) override {
    return inner_->Scan(t, p, s, l);
  }
  absl::StatusOr<storage::CommitResult> Commit(
      const storage::WriteSet& w) override {
    Shape s;
    for (const auto& op : w.ops()) {
      if (op.kind == storage::WriteSet::OpKind::kPut ||
          op.kind == storage::WriteSet::OpKind::kPutIndex ||
          op.kind == storage::WriteSet::OpKind::kDelete) {
        ++s.rows;
        s.bytes += op.table.size() + op.key.size() + op.value.size() + 8;
      }
    }
    for (const auto& a : w.audits()) {
      ++s.rows;
      s.bytes += 200 + a.action.size() + a.resource.size() + a.details.size();
    }
    last = s;
    return inner_->Commit(w);
  }
  absl::StatusOr<std::vector<storage::v1::AuditEntry>> ReadAudit(
      uint64_t f, int l) override {
    return inner_->ReadAudit(f, l);
  }
  absl::StatusOr<storage::AuditChainReport> VerifyAuditChain() override {
    return inner_->VerifyAuditChain();
  }
  absl::Status Checkpoint(const std::string& d) override {
    return inner_->Checkpoint(d);
  }
  Shape last;

 private:
  storage::Store* inner_;
};

Shape MeasureShape(const std::string& dir,
                   const workflows::DefinitionRegistry& defs) {
  auto store = Open(dir, true);
  CountingStore counting(store.get());
  workflows::StaticDirectory directory;
  workflows::Engine engine(&counting, &defs, &directory);
  wpb::StartCaseRequest start;
  start.set_application("applications/shape");
  start.set_round("funds/lff/rounds/r1");
  start.set_definition("standard");
  start.set_organisation("organisations/bench");
  start.set_amount_requested_pence(1'000'000);
  start.set_request_id("start-shape");
  (void)engine.StartCase(As("svc", {"service"}), start);
  wpb::RecordFactRequest f;
  f.set_name("cases/shape");
  f.set_fact(kFacts[0]);
  f.set_request_id("shape-1");
  f.set_on_behalf_of("grace");
  auto recorded = engine.RecordFact(As("svc", {"service"}), f);
  if (!recorded.ok()) {
    std::cerr << recorded.status() << "\n";
    std::exit(1);
  }
  return counting.last;
}

Result RawRocks(const std::string& path, int threads, double seconds,
                const Shape& shape) {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.IncreaseParallelism(2);
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(o, path, &raw).ok()) std::exit(1);
  std::unique_ptr<rocksdb::DB> db(raw);
  const size_t value_size =
      std::max<size_t>(1, shape.bytes / std::max(1, shape.rows) - 24);
  const std::string value(value_size, 'v');
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return Measure(threads, seconds, [&](int t, long i) {
    rocksdb::WriteBatch b;
    for (int r = 0; r < shape.rows; ++r) {
      b.Put(absl::StrFormat("t%02d/%012d/%02d", t, i, r), value);
    }
    if (!db->Write(wo, &b).ok()) std::exit(1);
  });
}

void ListCasesScaling(const std::string& path,
                      const workflows::DefinitionRegistry& defs,
                      int max_cases) {
  // Loading is not what is measured, so the store is opened unsynced here.
  auto store = Open(path, false);
  workflows::StaticDirectory directory;
  workflows::Engine engine(store.get(), &defs, &directory);
  const Call svc = As("svc", {"service"});
  const Call officer = As("grace", {"grants_officer"});
  int loaded = 0;
  std::printf(
      "\nListCases (state=SUBMITTED, round filter, page_size=50), "
      "median of 200 calls each\n");
  std::printf("%10s  %14s  %14s  %14s\n", "cases", "first page us",
              "deep page us", "by round us");
  for (int target : {10'000, 100'000, 1'000'000}) {
    if (target > max_cases) break;
    const int threads = 4;
    std::vector<std::thread> ts;
    std::atomic<int> next{loaded};
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&] {
        for (int n = next++; n < target; n = next++) {
          wpb::StartCaseRequest s;
          s.set_application(absl::StrCat("applications/l", n));
          s.set_round(absl::StrCat("funds/lff/rounds/r", n % 20));
          s.set_definition("standard");
          s.set_organisation("organisations/bench");
          s.set_amount_requested_pence(1'000'000);
          s.set_request_id(absl::StrCat("l", n));
          if (!engine.StartCase(svc, s).ok()) std::exit(3);
        }
      });
    }
    for (auto& t : ts) t.join();
    loaded = target;
    auto median = [&](auto fn) {
      std::vector<double> v;
      for (int i = 0; i < 200; ++i) {
        auto a = Clock::now();
        fn(i);
        v.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a)
                        .count());
      }
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    wpb::ListCasesRequest first;
    first.set_state("SUBMITTED");
    first.set_page_size(50);
    double first_us = median([&](int) {
      if (!engine.ListCases(officer, first).ok()) std::exit(4);
    });
    // A page deep in the list: continue from a token 100 pages in.
    wpb::ListCasesRequest deep = first;
    for (int p = 0; p < 100; ++p) {
      auto r = engine.ListCases(officer, deep);
      deep.set_page_token(r->next_page_token());
    }
    double deep_us = median([&](int) {
      if (!engine.ListCases(officer, deep).ok()) std::exit(4);
    });
    wpb::ListCasesRequest by_round;
    by_round.set_round("funds/lff/rounds/r7");
    by_round.set_page_size(50);
    double round_us = median([&](int) {
      if (!engine.ListCases(officer, by_round).ok()) std::exit(4);
    });
    std::printf("%10d  %14.0f  %14.0f  %14.0f\n", target, first_us, deep_us,
                round_us);
    std::fflush(stdout);
  }
}

}  // namespace
}  // namespace grantflow

int main(int argc, char** argv) {
  using namespace grantflow;
  absl::ParseCommandLine(argc, argv);
  const bench::ScratchDir scratch(absl::GetFlag(FLAGS_dir), "bench");
  const std::string& dir = scratch.path();
  workflows::DefinitionRegistry defs;
  if (!defs.AddBuiltIn().ok()) return 1;
  const double seconds = absl::GetFlag(FLAGS_seconds);

  Shape shape = MeasureShape(dir + "/shape", defs);
  std::printf(
      "engine_bench: one transition writes %d rows, ~%zu bytes; the "
      "raw baseline writes batches of the same shape\n",
      shape.rows, shape.bytes);
  std::printf("%5s  %12s %9s %9s  %12s %9s %9s  %7s\n", "conc", "raw/s",
              "raw p50", "raw p99", "engine/s", "eng p50", "eng p99", "ratio");
  for (absl::string_view c :
       absl::StrSplit(absl::GetFlag(FLAGS_concurrency), ',')) {
    int threads = std::stoi(std::string(c));
    Result raw{1, 0, 0, 0};
    if (!absl::GetFlag(FLAGS_engine_only)) {
      raw = RawRocks(absl::StrCat(dir, "/raw-", threads), threads, seconds,
                     shape);
    }
    Result eng = EngineTransitions(absl::StrCat(dir, "/engine-", threads), defs,
                                   threads, seconds);
    std::printf(
        "%5d  %12.0f %7.0fus %7.0fus  %12.0f %7.0fus %7.0fus  %6.0f%%\n",
        threads, raw.per_second, raw.p50_us, raw.p99_us, eng.per_second,
        eng.p50_us, eng.p99_us, 100.0 * eng.per_second / raw.per_second);
    std::fflush(stdout);
  }
  ListCasesScaling(dir + "/list", defs, absl::GetFlag(FLAGS_max_cases));
  return 0;
}
