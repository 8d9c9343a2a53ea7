#include "bench/harness.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "grantflow/applications/v1/applications.grpc.pb.h"
#include "grantflow/programmes/v1/programmes.grpc.pb.h"
#include "workflows/engine.h"

namespace grantflow::bench {

namespace wpb = ::grantflow::workflow::v1;
namespace apb = ::grantflow::applications::v1;
namespace ppb = ::grantflow::programmes::v1;

Result Summarise(const std::vector<std::vector<double>>& latencies,
                 double elapsed_s) {
  std::vector<double> all;
  for (const auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  Result r;
  r.ops = static_cast<long>(all.size());
  r.per_second = all.size() / elapsed_s;
  if (!all.empty()) {
    r.p50_us = all[all.size() / 2];
    r.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return r;
}

ScratchDir::ScratchDir(const std::string& flag_dir, const std::string& name)
    : path_(flag_dir), own_(flag_dir.empty()) {
  if (own_) {
    std::string tmpl = (std::filesystem::temp_directory_path() /
                        ("grantflow-" + name + "-XXXXXX"))
                           .string();
    if (mkdtemp(tmpl.data()) == nullptr) Fail("cannot make a scratch dir");
    path_ = tmpl;
  }
}

ScratchDir::~ScratchDir() {
  if (own_) std::filesystem::remove_all(path_);
}

std::unique_ptr<auth::TokenSigner> SignerFor(const std::string& data) {
  auto keys = auth::EnsureDevKeyPair(data + "/keys");
  if (!keys.ok()) Fail("no signing key");
  auto signer = auth::TokenSigner::FromPemFile(keys->private_pem);
  if (!signer.ok()) Fail("no signing key");
  return *std::move(signer);
}

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

[[noreturn]] void Fail(const std::string& what) {
  std::cerr << "bench: " << what << "\n";
  std::exit(1);
}

void Ok(const grpc::Status& s, const std::string& what) {
  if (!s.ok()) Fail(absl::StrCat(what, ": ", s.error_message()));
}

Server::Server(const std::string& binary, const std::string& dir) {
  const std::string port_file = dir + "/port";
  std::filesystem::remove(port_file);  // a previous run's
  pid_ = fork();
  if (pid_ == 0) {
    const std::string log = dir + "/grantflowd.log";
    if (freopen(log.c_str(), "w", stderr) == nullptr ||
        freopen(log.c_str(), "a", stdout) == nullptr) {
      _exit(126);
    }
    execl(binary.c_str(), binary.c_str(),
          ("--data_dir=" + dir + "/data").c_str(), "--listen=127.0.0.1:0",
          ("--port_file=" + port_file).c_str(), nullptr);
    _exit(127);
  }
  for (int i = 0; i < 300 && port_ == 0; ++i) {
    std::ifstream in(port_file);
    if (!(in >> port_)) port_ = 0;
    if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (port_ == 0) Fail("grantflowd did not start (see its log)");
}

Server::~Server() {
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
}

std::string Mint(auth::TokenSigner& signer, const std::string& user,
                 std::vector<std::string> roles, const std::string& org) {
  auth::TokenClaims c;
  c.principal.user = user;
  c.principal.roles = std::move(roles);
  c.principal.organisation = org;
  c.issued_at = absl::Now() - absl::Hours(1);
  c.expires_at = absl::Now() + absl::Hours(2);
  auto t = signer.Sign(c);
  if (!t.ok()) Fail("cannot sign a token");
  return *t;
}

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

google::protobuf::Timestamp At(absl::Time t) {
  return google::protobuf::util::TimeUtil::SecondsToTimestamp(
      absl::ToUnixSeconds(t));
}

ppb::Round BenchRound() {
  ppb::Round r;
  r.set_name("funds/bench/rounds/open");
  r.set_display_name("Open round");
  *r.mutable_open_time() = At(absl::Now() - absl::Hours(24));
  *r.mutable_close_time() = At(absl::Now() + absl::Hours(24 * 30));
  r.set_min_award_pence(1'000'000);
  r.set_max_award_pence(7'500'000);
  r.set_lifecycle_definition("standard");
  r.set_interview_stage(true);
  r.add_budget_lines("funds/bench/budgetLines/grants");
  auto* c = r.add_criteria();
  c->set_id("reach");
  c->set_title("Reach");
  c->set_weight_percent(100);
  c->set_max_score(5);
  return r;
}

void Seed(grpc::Channel* channel, const std::string& admin) {
  std::shared_ptr<grpc::Channel> ch(channel, [](grpc::Channel*) {});
  auto prog = ppb::ProgrammeService::NewStub(ch);
  auto apps = apb::ApplicationService::NewStub(ch);
  ppb::CreateFundRequest fund;
  fund.set_fund_id("bench");
  fund.set_request_id("bench-fund");
  fund.mutable_fund()->set_display_name("Benchmark Fund");
  fund.mutable_fund()->set_description("Applications submitted under load");
  fund.mutable_fund()->set_funder_name("Greater London Authority");
  fund.mutable_fund()->set_funder_org_id("GB-GOR-PC390");
  ppb::Fund f;
  Ok(prog->CreateFund(Ctx(admin).get(), fund, &f), "CreateFund");
  ppb::CreateBudgetLineRequest line;
  line.set_parent("funds/bench");
  line.set_budget_line_id("grants");
  line.set_request_id("bench-line");
  auto* l = line.mutable_budget_line();
  l->set_display_name("Grants");
  l->set_ceiling_pence(1'000'000'000);
  l->set_decision_ref("MD0001");
  l->set_financial_year("2026-27");
  l->set_funding_source("Benchmarks");
  l->set_kind(ppb::GRANTS);
  ppb::BudgetLine bl;
  Ok(prog->CreateBudgetLine(Ctx(admin).get(), line, &bl), "CreateBudgetLine");
  ppb::CreateRoundRequest round;
  round.set_parent("funds/bench");
  round.set_round_id("open");
  round.set_request_id("bench-round");
  *round.mutable_round() = BenchRound();
  round.mutable_round()->clear_name();  // the request names it
  ppb::Round rr;
  Ok(prog->CreateRound(Ctx(admin).get(), round, &rr), "CreateRound");
  apb::CreateOrganisationRequest org;
  org.set_organisation_id("hackney-families");
  org.set_request_id("bench-org");
  auto* o = org.mutable_organisation();
  o->set_display_name("Hackney Families");
  o->set_legal_form(apb::CHARITABLE_INCORPORATED_ORGANISATION);
  o->set_charity_number("1180001");
  o->mutable_address()->set_line1("1 Mare Street");
  o->mutable_address()->set_town("London");
  o->mutable_address()->set_postcode("E8 1DY");
  o->mutable_address()->set_borough("Hackney");
  o->add_contacts()->set_full_name("Amira Hassan");
  o->mutable_contacts(0)->set_email("amira@example.org");
  o->add_member_users("amira");
  o->add_signatory_users("amira");
  apb::Organisation out;
  Ok(apps->CreateOrganisation(Ctx(admin).get(), org, &out),
     "CreateOrganisation");
}

apb::Application Draft() {
  apb::Application a;
  a.set_round("funds/bench/rounds/open");
  a.set_organisation("organisations/hackney-families");
  a.set_title("Family cook-and-share evenings");
  a.set_summary("Monthly evenings where families cook together");
  a.set_amount_requested_pence(5'000'000);
  a.set_planned_start_date("2027-09-01");
  a.set_planned_end_date("2028-08-31");
  a.add_boroughs_served("Hackney");
  a.set_expected_beneficiaries(120);
  auto* b = a.add_budget();
  b->set_description("Sessional workers");
  b->set_amount_pence(5'000'000);
  return a;
}

}  // namespace grantflow::bench
