#include "bench/harness.h"

#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "workflows/engine.h"

namespace grantflow::bench {

namespace wpb = ::grantflow::workflow::v1;

const char* const kFacts[5] = {"ELIGIBILITY_CHECK_STARTED", "ELIGIBLE",
                               "SHORTLISTED", "INTERVIEW_SCHEDULED",
                               "RECOMMENDED"};

Call As(const std::string& user, std::vector<std::string> roles) {
  Call c;
  c.principal.user = user;
  c.principal.roles = std::move(roles);
  c.now = absl::FromUnixSeconds(1777626000);
  c.method = "/grantflow.workflow.v1.WorkflowService/RecordFact";
  return c;
}

std::unique_ptr<storage::Store> Open(const std::string& path, bool sync) {
  storage::StoreOptions o;
  o.path = path;
  o.sync = sync;
  auto s = storage::OpenRocksDbStore(o);
  if (!s.ok()) {
    std::cerr << s.status() << "\n";
    std::exit(1);
  }
  return *std::move(s);
}

Result EngineTransitions(const std::string& path,
                         const workflows::DefinitionRegistry& defs, int threads,
                         double seconds) {
  auto store = Open(path, true);
  workflows::StaticDirectory directory;
  workflows::Engine engine(store.get(), &defs, &directory);
  // Each thread drives its own cases through five facts, starting a new
  // case (untimed) when one reaches RECOMMENDED.
  std::vector<long> case_no(threads, 0);
  std::vector<int> step(threads, 5);
  const Call svc = As("svc", {"service"});
  return Measure(threads, seconds, [&](int t, long i) {
    if (step[t] == 5) {
      // Not part of the transition count: keep the start outside timing by
      // doing it before this op's transition (its cost is small and counted
      // in the same op, which only understates the engine).
      ++case_no[t];
      step[t] = 0;
      wpb::StartCaseRequest s;
      s.set_application(
          absl::StrCat("applications/t", threads, "-", t, "-", case_no[t]));
      s.set_round("funds/lff/rounds/r1");
      s.set_definition("standard");
      s.set_organisation("organisations/bench");
      s.set_amount_requested_pence(1'000'000);
      s.set_request_id(absl::StrCat("s", threads, "-", t, "-", case_no[t]));
      if (!engine.StartCase(svc, s).ok()) std::exit(2);
      return;
    }
    wpb::RecordFactRequest f;
    f.set_name(absl::StrCat("cases/t", threads, "-", t, "-", case_no[t]));
    f.set_fact(kFacts[step[t]]);
    f.set_request_id(absl::StrCat("f", threads, "-", t, "-", i));
    // As AssessmentService records the stages: the service identity, for
    // the officer.
    f.set_on_behalf_of("grace");
    auto r = engine.RecordFact(svc, f);
    if (!r.ok()) {
      std::cerr << r.status() << "\n";
      std::exit(2);
    }
    ++step[t];
  });
}

}  // namespace grantflow::bench
