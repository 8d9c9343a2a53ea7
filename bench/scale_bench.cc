// scale_bench: grantflowd holding 10,000 and then 1,000,000 submitted
// applications and their cases.
//
//   scale_bench [--grantflowd=PATH] [--small=10000] [--cases=1000000]
//               [--dir=...]
//
// A real grantflowd seeds the fund, its round and an organisation; then,
// with grantflowd stopped, this process loads the applications through
// ApplicationService's own domain code (drafted and submitted as amira, on
// the same stores grantflowd uses, unsynced for speed) and delivers the
// outbox tasks the submissions wrote: each StartCase to the engine, which
// starts the case. (The OpenAssessment tasks are marked delivered without
// opening assessments: AssessmentService's store stays empty.) At each size
// it starts grantflowd again and measures:
//  * restart to SERVING: from starting the process to the first
//    grpc.health.v1 answer SERVING;
//  * list latency over gRPC, median of 100 calls: ListCases by state and
//    ListApplications by round, page size 50, the first page and a page
//    100 pages in;
//  * the data directory's size per case, and grantflowd's resident memory
//    after the lists.
// Prints the figures and the 1M / 10k ratio of each list's latency.
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/harness.h"
#include "grantflow/applications/v1/applications.grpc.pb.h"
#include "grantflow/workflow/v1/workflow.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "platform/task_kinds.h"
#include "services/applications/applications.h"
#include "services/common/case_client.h"
#include "services/common/round_source.h"
#include "workflows/engine.h"

ABSL_FLAG(std::string, grantflowd, GRANTFLOWD_PATH, "The grantflowd binary");
ABSL_FLAG(int, small, 10'000, "The smaller number of cases");
ABSL_FLAG(int, cases, 1'000'000, "The larger number of cases");
ABSL_FLAG(std::string, dir, "", "Scratch directory (default: a new temp dir)");

namespace grantflow::bench {
namespace {

namespace apb = ::grantflow::applications::v1;
namespace wpb = ::grantflow::workflow::v1;
namespace hpb = ::grpc::health::v1;
using SteadyClock = std::chrono::steady_clock;

// The round as ProgrammeService has it.
class FixedRounds final : public RoundSource {
 public:
  FixedRounds() : round_(BenchRound()) {}
  absl::StatusOr<programmes::v1::Round> GetRound(
      const Call&, const std::string& name) override {
    if (name != round_.name()) return absl::NotFoundError(name);
    return round_;
  }

 private:
  programmes::v1::Round round_;
};

// Submission needs no case client (withdrawal would).
class NoCases final : public CaseClient {
 public:
  absl::StatusOr<wpb::Case> StartCase(const wpb::StartCaseRequest&) override {
    return No();
  }
  absl::StatusOr<wpb::Case> RecordFact(const wpb::RecordFactRequest&) override {
    return No();
  }
  absl::StatusOr<wpb::Case> GetCase(const std::string&) override {
    return No();
  }
  absl::StatusOr<wpb::ListCasesResponse> ListCases(
      const wpb::ListCasesRequest&) override {
    return No();
  }
  absl::StatusOr<wpb::LedgerLine> GetLedgerLine(const std::string&) override {
    return No();
  }
  absl::StatusOr<wpb::Payment> AuthorizePayment(
      const wpb::AuthorizePaymentRequest&) override {
    return No();
  }
  absl::StatusOr<wpb::Payment> ConfirmPayment(
      const wpb::ConfirmPaymentRequest&) override {
    return No();
  }
  absl::StatusOr<wpb::Payment> VoidPayment(
      const wpb::VoidPaymentRequest&) override {
    return No();
  }

 private:
  static absl::Status No() {
    return absl::UnimplementedError("not while loading");
  }
};

// Drafts and submits applications [from, to) and starts their cases.
void Load(const std::string& data, int from, int to) {
  auto app_store = Open(data + "/applications", /*sync=*/false);
  auto case_store = Open(data + "/workflow", /*sync=*/false);
  FixedRounds rounds;
  NoCases no_cases;
  applications::Applications apps(app_store.get(), &rounds, &no_cases);
  workflows::DefinitionRegistry defs;
  if (!defs.AddBuiltIn().ok()) Fail("definitions");
  workflows::StaticDirectory directory;
  workflows::Engine engine(case_store.get(), &defs, &directory);
  const Call svc = As("grantflowd:applications", {"service"});
  apps.outbox().RegisterHandler(
      tasks::kStartCase, [&](const outbox::v1::Task& task) {
        wpb::StartCaseRequest req;
        if (!req.ParseFromString(task.payload())) {
          return absl::InvalidArgumentError("payload");
        }
        return engine.StartCase(svc, req).status();
      });
  apps.outbox().RegisterHandler(
      tasks::kOpenAssessment,
      [](const outbox::v1::Task&) { return absl::OkStatus(); });
  Call amira;
  amira.principal.user = "amira";
  amira.principal.roles = {"applicant"};
  amira.principal.organisation = "organisations/hackney-families";
  amira.method = "/grantflow.applications.v1.ApplicationService/Load";
  std::atomic<int> next{from};
  std::vector<std::thread> ts;
  for (int t = 0; t < 2; ++t) {
    ts.emplace_back([&] {
      Call c = amira;
      for (int i = next++; i < to; i = next++) {
        c.now = absl::Now();
        apb::CreateApplicationRequest create;
        *create.mutable_application() = Draft();
        create.set_request_id(absl::StrCat("load-", i));
        auto draft = apps.CreateApplication(c, create);
        if (!draft.ok()) Fail(std::string(draft.status().message()));
        apb::SubmitApplicationRequest submit;
        submit.set_name(draft->name());
        submit.set_request_id(absl::StrCat("load-submit-", i));
        auto done = apps.SubmitApplication(c, submit);
        if (!done.ok()) Fail(std::string(done.status().message()));
      }
    });
  }
  // Deliver while loading, so the tasks never pile up.
  std::atomic<bool> loading{true};
  std::thread deliver([&] {
    for (;;) {
      const bool last = !loading;
      auto r = apps.outbox().DeliverDue(absl::Now() + absl::Minutes(1), 2000);
      if (!r.ok()) Fail("outbox");
      if (r->failed > 0 || r->parked > 0) Fail("a task was not delivered");
      if (r->delivered == 0) {
        if (last) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  });
  for (auto& t : ts) t.join();
  loading = false;
  deliver.join();
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

long RssKb(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

template <typename Fn>
double MedianUs(Fn fn) {
  std::vector<double> v;
  for (int i = 0; i < 100; ++i) {
    auto a = SteadyClock::now();
    fn();
    v.push_back(
        std::chrono::duration<double, std::micro>(SteadyClock::now() - a)
            .count());
  }
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Figures {
  int cases = 0;
  double serving_ms = 0;
  double cases_first_us = 0, cases_deep_us = 0;
  double apps_first_us = 0, apps_deep_us = 0;
  double bytes_per_case = 0;
  double rss_mb = 0;
};

Figures Measure(const std::string& dir, const std::string& admin, int cases) {
  Figures f;
  f.cases = cases;
  const auto start = SteadyClock::now();
  Server server(absl::GetFlag(FLAGS_grantflowd), dir);
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.port()),
                                     grpc::InsecureChannelCredentials());
  auto health = hpb::Health::NewStub(channel);
  for (;;) {
    hpb::HealthCheckRequest req;
    hpb::HealthCheckResponse resp;
    auto ctx = Ctx("");
    if (health->Check(ctx.get(), req, &resp).ok() &&
        resp.status() == hpb::HealthCheckResponse::SERVING) {
      break;
    }
    if (SteadyClock::now() - start > std::chrono::seconds(120)) {
      Fail("grantflowd never answered SERVING");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  f.serving_ms =
      std::chrono::duration<double, std::milli>(SteadyClock::now() - start)
          .count();
  auto engine = wpb::WorkflowService::NewStub(channel);
  auto apps = apb::ApplicationService::NewStub(channel);
  wpb::ListCasesRequest cases_first;
  cases_first.set_state("SUBMITTED");
  cases_first.set_page_size(50);
  apb::ListApplicationsRequest apps_first;
  apps_first.set_round("funds/bench/rounds/open");
  apps_first.set_page_size(50);
  auto list_cases = [&](const wpb::ListCasesRequest& req) {
    wpb::ListCasesResponse resp;
    Ok(engine->ListCases(Ctx(admin).get(), req, &resp), "ListCases");
    return resp.next_page_token();
  };
  auto list_apps = [&](const apb::ListApplicationsRequest& req) {
    apb::ListApplicationsResponse resp;
    Ok(apps->ListApplications(Ctx(admin).get(), req, &resp),
       "ListApplications");
    return resp.next_page_token();
  };
  wpb::ListCasesRequest cases_deep = cases_first;
  apb::ListApplicationsRequest apps_deep = apps_first;
  for (int p = 0; p < 100; ++p) {
    cases_deep.set_page_token(list_cases(cases_deep));
    apps_deep.set_page_token(list_apps(apps_deep));
  }
  f.cases_first_us = MedianUs([&] { list_cases(cases_first); });
  f.cases_deep_us = MedianUs([&] { list_cases(cases_deep); });
  f.apps_first_us = MedianUs([&] { list_apps(apps_first); });
  f.apps_deep_us = MedianUs([&] { list_apps(apps_deep); });
  f.rss_mb = RssKb(server.pid()) / 1024.0;
  f.bytes_per_case = static_cast<double>(DirBytes(dir + "/data")) / cases;
  return f;
}

}  // namespace
}  // namespace grantflow::bench

int main(int argc, char** argv) {
  using namespace grantflow::bench;
  absl::ParseCommandLine(argc, argv);
  const ScratchDir scratch(absl::GetFlag(FLAGS_dir), "scale");
  const std::string& dir = scratch.path();
  std::string admin;
  {
    Server server(absl::GetFlag(FLAGS_grantflowd), dir);
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.port()),
                            grpc::InsecureChannelCredentials());
    auto signer = SignerFor(dir + "/data");
    admin = Mint(*signer, "root", {"admin"});
    Seed(channel.get(), admin);
  }
  std::vector<Figures> figures;
  int loaded = 0;
  for (int target : {absl::GetFlag(FLAGS_small), absl::GetFlag(FLAGS_cases)}) {
    const auto t0 = SteadyClock::now();
    Load(dir + "/data", loaded, target);
    std::fprintf(
        stderr, "scale_bench: loaded %d cases in %.0f s\n", target,
        std::chrono::duration<double>(SteadyClock::now() - t0).count());
    loaded = target;
    figures.push_back(Measure(dir, admin, target));
  }
  std::printf(
      "scale_bench: grantflowd with N submitted applications and their "
      "cases; lists over gRPC, page size 50, median of 100\n");
  std::printf("%9s %11s %13s %13s %13s %13s %11s %8s\n", "cases", "serving ms",
              "cases 1st us", "cases deep us", "apps 1st us", "apps deep us",
              "bytes/case", "rss MB");
  for (const Figures& f : figures) {
    std::printf("%9d %11.0f %13.0f %13.0f %13.0f %13.0f %11.0f %8.0f\n",
                f.cases, f.serving_ms, f.cases_first_us, f.cases_deep_us,
                f.apps_first_us, f.apps_deep_us, f.bytes_per_case, f.rss_mb);
  }
  const Figures& s = figures.front();
  const Figures& l = figures.back();
  const double worst = std::max(
      {l.cases_first_us / s.cases_first_us, l.cases_deep_us / s.cases_deep_us,
       l.apps_first_us / s.apps_first_us, l.apps_deep_us / s.apps_deep_us});
  std::printf("list latency %d vs %d: worst ratio %.2f\n", l.cases, s.cases,
              worst);
  std::printf("restart to SERVING at %d: %.0f ms\n", l.cases, l.serving_ms);
  return 0;
}
