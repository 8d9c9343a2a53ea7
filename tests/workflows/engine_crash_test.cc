// The engine under SIGKILL. A child process runs a mixed workload (awards
// reserving, agreements executing, payments authorising and confirming or
// voiding, withdrawals, closures, and payment attempts that must be refused)
// from several threads, reporting every acknowledged and every refused
// command on a pipe. The parent kills it at a random moment, reopens the
// store and checks:
//  * every acknowledged command is in its case's history exactly once, and
//    no refused command left anything behind;
//  * replaying each case's history, no payment was authorised while the
//    agreement was not executed (R1);
//  * per case, paid + pending <= awarded (R2);
//  * per budget line, reserved + committed <= ceiling (R3), and the ledger
//    equals what the cases hold (case and ledger are written atomically);
//  * no total anywhere is negative;
//  * ProgrammeService, run in the same child and changing the lines'
//    ceilings while awards reserve against them, agrees with the ledger
//    about every ceiling once recovered (ReconcileLedger), and holds the
//    last acknowledged ceiling or one attempted after it;
//  * both audit chains verify.
// 50 cycles by default; GRANTFLOW_SOAK=1 runs 300.
//
// The same workload and checks run under simulated power loss too: the
// child's stores write through a PowerLossFs, and instead of being killed
// the child cuts its own power at a random moment, which drops every byte
// not yet synced (and, every other cycle, tears the last unsynced write)
// before the process ends. 50 cycles by default; GRANTFLOW_SOAK=1 runs 1,000.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "platform/errors.h"
#include "services/programmes/programmes.h"
#include "tests/testing/engine_harness.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/in_process.h"
#include "tests/testing/power_loss_fs.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace grantflow::workflows {
namespace {

using ::grantflow::testing::EngineHarness;

const std::vector<std::string> kLines = {"funds/lff/budgetLines/a",
                                         "funds/lff/budgetLines/b"};

std::string EnginePath(const std::string& dir) { return dir + "/engine"; }
std::string ProgrammesPath(const std::string& dir) {
  return dir + "/programmes";
}

// One line per command: "ack|refused <case> <request_id>".
class Reporter {
 public:
  explicit Reporter(int fd) : fd_(fd) {}
  void Say(const char* what, const std::string& case_id,
           const std::string& request_id) {
    std::string line = absl::StrCat(what, " ", case_id, " ", request_id, "\n");
    if (write(fd_, line.data(), line.size()) < 0) _exit(5);
  }

 private:
  int fd_;
};

// Runs one command and reports it. Returns whether it was acknowledged.
template <typename Fn>
bool Run(Reporter& r, const std::string& case_id, const std::string& rid,
         Fn fn) {
  absl::Status s = fn(rid);
  if (s.ok()) {
    r.Say("ack", case_id, rid);
    return true;
  }
  if (absl::IsFailedPrecondition(s) || absl::IsAlreadyExists(s)) {
    r.Say("refused", case_id, rid);
    return false;
  }
  _exit(6);  // anything else is a bug
}

// The ledger client ProgrammeService uses, which sometimes kills the whole
// process just after the ledger accepted a ceiling and before ProgrammeService
// could record it: the narrowest crash window there is, hit on purpose.
class CrashingLedgerClient final : public programmes::LedgerClient {
 public:
  CrashingLedgerClient(programmes::LedgerClient* real, int cycle)
      : real_(real), rng_(cycle * 101 + 3) {}
  absl::StatusOr<wpb::LedgerLine> Register(
      const wpb::RegisterBudgetLineRequest& req) override {
    auto done = real_->Register(req);
    if (done.ok() && armed && rng_() % 8 == 0) raise(SIGKILL);
    return done;
  }
  absl::StatusOr<wpb::LedgerLine> Get(const std::string& line) override {
    return real_->Get(line);
  }
  std::atomic<bool> armed{false};

 private:
  programmes::LedgerClient* real_;
  std::mt19937 rng_;
};

// How a cycle ends: SIGKILL from the parent, or a power cut from inside.
struct PowerCut {
  bool on = false;
  int after_ms = 0;
  bool tear = false;
};

storage::StoreOptions EngineOptions(const std::string& path,
                                    std::shared_ptr<rocksdb::FileSystem> fs) {
  storage::StoreOptions o;
  o.path = EnginePath(path);
  o.file_system = std::move(fs);
  return o;
}

[[noreturn]] void Child(const std::string& path, int cycle, int fd,
                        PowerCut cut) {
  Reporter rep(fd);
  std::shared_ptr<testing::PowerLossFs> fs;
  if (cut.on) {
    fs = std::make_shared<testing::PowerLossFs>();
    // Started first, so the cut may land anywhere, opening included.
    std::thread([fs, cut, cycle, &rep] {
      std::this_thread::sleep_for(std::chrono::milliseconds(cut.after_ms));
      const testing::PowerLossFs::Loss loss =
          fs->PowerOff(cut.tear, static_cast<uint64_t>(cycle) * 7 + 1);
      rep.Say("power-off", absl::StrCat(loss.bytes_dropped),
              absl::StrCat(loss.torn_bytes_kept));
      _exit(0);
    }).detach();
  }
  EngineHarness h(EngineOptions(path, fs));
  auto prog_store = testing::OpenStore(ProgrammesPath(path), fs);
  testing::EngineLedgerClient engine_ledger(&h.engine(),
                                            [&h] { return h.now; });
  CrashingLedgerClient ledger(&engine_ledger, cycle);
  programmes::Programmes prog(prog_store.get(), &ledger);
  const Call officer = h.Officer();
  if (cycle == 0) {
    programmes::pb::CreateFundRequest f;
    f.set_fund_id("lff");
    *f.mutable_fund() = testing::ValidFund();
    f.set_request_id("fund");
    if (!prog.CreateFund(officer, f).ok()) _exit(3);
    for (const auto& l : kLines) {
      programmes::pb::CreateBudgetLineRequest req;
      req.set_parent("funds/lff");
      req.set_budget_line_id(l.substr(l.rfind('/') + 1));
      *req.mutable_budget_line() = testing::ValidBudgetLine(40'000'000);
      req.set_request_id("line-" + req.budget_line_id());
      if (!prog.CreateBudgetLine(officer, req).ok()) _exit(3);
      h.AddToRound(l);
    }
    rep.Say("ready", "-", "-");
  }
  // One SIGKILL cycle in four may end at the injected crash point.
  ledger.armed = !cut.on && cycle % 4 == 3;
  std::vector<std::thread> threads;
  // The grants team moves the lines' ceilings while awards reserve: up, and
  // down (refused below what is in use).
  threads.emplace_back([&] {
    std::mt19937 rng(cycle * 31 + 7);
    for (int i = 0;; ++i) {
      const std::string& line = kLines[rng() % 2];
      // Mostly above what is in use (accepted), one in four below it
      // (refused: CEILING_BELOW_USE).
      auto held = engine_ledger.Get(line);
      if (!held.ok()) _exit(9);
      const int64_t used = held->reserved_pence() + held->committed_pence();
      const int64_t ceiling = rng() % 4 == 0
                                  ? std::max<int64_t>(1, used - 1'000'000)
                                  : used + 1'000'000 + (rng() % 20) * 1'000'000;
      programmes::pb::UpdateBudgetLineRequest up;
      up.mutable_budget_line()->set_name(line);
      up.mutable_budget_line()->set_ceiling_pence(ceiling);
      up.mutable_update_mask()->add_paths("ceiling_pence");
      up.set_request_id(absl::StrCat("ceil-", cycle, "-", i));
      const std::string what = absl::StrCat(line, "=", ceiling);
      rep.Say("ceiling-try", what, up.request_id());
      absl::Status s = prog.UpdateBudgetLine(officer, up).status();
      if (s.ok()) {
        rep.Say("ceiling-ack", what, up.request_id());
      } else if (!absl::IsFailedPrecondition(s)) {
        _exit(8);
      }
    }
  });
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(cycle * 7919 + t);
      for (int i = 0;; ++i) {
        const std::string id = absl::StrCat("c", cycle, "-", t, "-", i);
        int n = 0;
        auto rid = [&] { return absl::StrCat(id, "-", n++); };
        auto fact = [&](const Call& who, const char* f,
                        wpb::FactPayload p = {}) {
          return Run(rep, id, rid(), [&](const std::string& r) {
            return h.Decide(who, id, f, p, r).status();
          });
        };
        auto pay = [&](const std::string& pid, int64_t pence) {
          return Run(rep, id, rid(), [&](const std::string& r) {
            wpb::AuthorizePaymentRequest req;
            req.set_name("cases/" + id);
            req.set_payment_id(pid);
            req.set_amount_pence(pence);
            req.set_request_id(r);
            req.set_requested_by("requester");
            return h.engine().AuthorizePayment(h.Finance(), req).status();
          });
        };
        if (!Run(rep, id, rid(), [&](const std::string& r) {
              wpb::StartCaseRequest req;
              req.set_application("applications/" + id);
              req.set_round(testing::kRound);
              req.set_definition("standard");
              req.set_organisation(testing::kOrg);
              req.set_amount_requested_pence(5'000'000);
              req.set_request_id(r);
              return h.engine()
                  .StartCase(h.As("svc", {"service"}), req)
                  .status();
            })) {
          _exit(7);
        }
        for (const char* f :
             {"ELIGIBILITY_CHECK_STARTED", "ELIGIBLE", "SHORTLISTED",
              "INTERVIEW_SCHEDULED", "RECOMMENDED"}) {
          Run(rep, id, rid(), [&](const std::string& r) {
            return h.ServiceFact("grace", id, f, r).status();
          });
        }
        pay("early", 100);  // must be refused: no agreement yet
        wpb::FactPayload award;
        const int64_t amount = 500'000 + (rng() % 40) * 100'000;
        award.set_amount_pence(amount);
        auto* a = award.add_allocations();
        a->set_budget_line(kLines[rng() % 2]);
        a->set_amount_pence(amount);
        if (!Run(rep, id, rid(), [&](const std::string& r) {
              return h.Decide(h.Approver(), id, "AWARD_APPROVED", award, r)
                  .status();
            })) {
          continue;
        }
        if (rng() % 4 == 0) {
          fact(h.Officer(), "WITHDRAWN");
          continue;
        }
        for (const char* f : {"CHECKS_STARTED", "DUE_DILIGENCE_PASSED"}) {
          Run(rep, id, rid(), [&](const std::string& r) {
            return h.ServiceFact("grace", id, f, r).status();
          });
        }
        wpb::FactPayload doc;
        doc.set_document_sha256(testing::kDocV1);
        fact(h.Officer(), "AGREEMENT_ISSUED", doc);
        pay("before-countersign", 100);  // refused
        fact(h.Signatory(), "AGREEMENT_SIGNED_BY_RECIPIENT", doc);
        fact(h.Approver(), "AGREEMENT_EXECUTED", doc);
        fact(h.Officer(), "PROJECT_STARTED");
        for (int p = 0; p < 3; ++p) {
          const std::string pid = absl::StrCat("p", p);
          const int64_t pence = amount / 2 + (rng() % 3) * 100'000;
          if (!pay(pid, pence)) continue;  // may exceed the award: refused
          Run(rep, id, rid(), [&](const std::string& r) -> absl::Status {
            if (rng() % 3 == 0) {
              wpb::VoidPaymentRequest v;
              v.set_name("cases/" + id);
              v.set_payment_id(pid);
              v.set_reason("returned by the bank");
              v.set_request_id(r);
              return h.engine().VoidPayment(h.Finance(), v).status();
            }
            wpb::ConfirmPaymentRequest c;
            c.set_name("cases/" + id);
            c.set_payment_id(pid);
            c.set_request_id(r);
            return h.engine().ConfirmPayment(h.Finance(), c).status();
          });
        }
        if (rng() % 2 == 0) fact(h.Officer(), "GRANT_CLOSED");
      }
    });
  }
  for (auto& th : threads) th.join();
  _exit(0);
}

struct Violations {
  std::vector<std::string> list;
  void Add(std::string v) { list.push_back(std::move(v)); }
};

// What the ceiling threads reported, per line: the value of the last
// acknowledged change, and the values tried after it.
struct Ceilings {
  std::map<std::string, int64_t> last_acked;
  std::map<std::string, std::set<int64_t>> tried_since;
  void Tried(const std::string& what) { Parse(what, false); }
  void Acked(const std::string& what) { Parse(what, true); }

 private:
  void Parse(const std::string& what, bool acked) {
    const size_t eq = what.find('=');
    const std::string line = what.substr(0, eq);
    const int64_t value = std::stoll(what.substr(eq + 1));
    if (acked) {
      last_acked[line] = value;
      tried_since[line].clear();
    } else {
      tried_since[line].insert(value);
    }
  }
};

// ProgrammeService after recovery: settled with the ledger, equal to it, and
// holding the last acknowledged ceiling or one tried after it.
void CheckCeilings(EngineHarness& h, const std::string& path,
                   const Ceilings& ceilings, int* adopted, Violations* v) {
  auto store = testing::OpenStore(ProgrammesPath(path));
  testing::EngineLedgerClient ledger(&h.engine(), [&h] { return h.now; });
  programmes::Programmes prog(store.get(), &ledger);
  auto report = prog.ReconcileLedger(h.now);
  if (!report.ok() || !report->problems.empty()) {
    return v->Add("ReconcileLedger did not settle every line");
  }
  *adopted += report->adopted;
  for (const auto& line : kLines) {
    programmes::pb::GetBudgetLineRequest get;
    get.set_name(line);
    auto local = prog.GetBudgetLine(h.Officer(), get);
    auto held = ledger.Get(line);
    if (!local.ok() || !held.ok()) continue;  // killed before it existed
    if (local->ceiling_pence() != held->ceiling_pence() ||
        local->ledger_generation() != held->source_generation()) {
      v->Add(absl::StrCat(line, ": ProgrammeService has ",
                          local->ceiling_pence(), " (generation ",
                          local->ledger_generation(), "), the ledger ",
                          held->ceiling_pence(), " (generation ",
                          held->source_generation(), ")"));
    }
    auto acked = ceilings.last_acked.find(line);
    if (acked != ceilings.last_acked.end()) {
      auto tried = ceilings.tried_since.find(line);
      const bool later = tried != ceilings.tried_since.end() &&
                         tried->second.contains(local->ceiling_pence());
      if (local->ceiling_pence() != acked->second && !later) {
        v->Add(absl::StrCat(line, ": acknowledged ceiling ", acked->second,
                            " lost; holds ", local->ceiling_pence()));
      }
    }
  }
  auto chain = store->VerifyAuditChain();
  if (!chain.ok() || !chain->ok) {
    v->Add("ProgrammeService's audit chain is broken");
  }
}

void CheckStore(EngineHarness& h,
                const std::map<std::string, std::set<std::string>>& acked,
                const std::map<std::string, std::set<std::string>>& refused,
                Violations* v) {
  std::map<std::string, int64_t> reserved, committed, paid;
  wpb::ListCasesRequest list;
  list.set_page_size(500);
  std::map<std::string, wpb::Case> cases;
  do {
    auto page = h.engine().ListCases(h.Officer(), list);
    if (!page.ok()) return v->Add(std::string(page.status().message()));
    for (const auto& c : page->cases()) cases[c.name()] = c;
    list.set_page_token(page->next_page_token());
  } while (!list.page_token().empty());

  for (const auto& [name, c] : cases) {
    // History: acknowledged exactly once, refused never, R1 by replay.
    std::map<std::string, int> seen;
    bool executed = false;
    wpb::GetHistoryRequest hr;
    hr.set_name(name);
    hr.set_page_size(500);
    int64_t posted = 0;
    do {
      auto page = h.engine().GetHistory(h.Officer(), hr);
      if (!page.ok()) return v->Add(std::string(page.status().message()));
      for (const auto& e : page->events()) {
        ++seen[e.request_id()];
        if (e.kind() == "AGREEMENT_EXECUTED") executed = true;
        if (e.kind() == "AGREEMENT_ISSUED") executed = false;
        if (e.kind() == "PAYMENT_AUTHORIZED" &&
            (!executed || !e.agreement_executed())) {
          v->Add(absl::StrCat(name, ": payment ", e.payment_id(),
                              " authorised without an executed agreement"));
        }
        if (e.kind() == "PAYMENT_POSTED") posted += e.amount_pence();
      }
      hr.set_page_token(page->next_page_token());
    } while (!hr.page_token().empty());
    const std::string id = name.substr(6);
    if (auto it = acked.find(id); it != acked.end()) {
      for (const auto& rid : it->second) {
        if (seen[rid] != 1) {
          v->Add(absl::StrCat(name, ": acknowledged ", rid, " appears ",
                              seen[rid], " times"));
        }
      }
    }
    if (auto it = refused.find(id); it != refused.end()) {
      for (const auto& rid : it->second) {
        if (seen.contains(rid)) {
          v->Add(absl::StrCat(name, ": refused ", rid, " left an event"));
        }
      }
    }
    if (c.paid_pence() + c.pending_pence() > c.awarded_pence()) {
      v->Add(absl::StrCat(name, ": paid + pending exceeds the award"));
    }
    if (c.paid_pence() < 0 || c.pending_pence() < 0 || c.awarded_pence() < 0) {
      v->Add(absl::StrCat(name, ": a negative total"));
    }
    if (posted != c.paid_pence()) {
      v->Add(absl::StrCat(name, ": posted payments ", posted, " != paid ",
                          c.paid_pence()));
    }
    const bool released = c.state() == "WITHDRAWN" || c.state() == "CLOSED" ||
                          c.state() == "TERMINATED" ||
                          c.state() == "DECLINED" || c.state() == "LAPSED" ||
                          c.state() == "INELIGIBLE";
    for (const auto& a : c.allocations()) {
      paid[a.budget_line()] += a.paid_pence();
      if (c.budget_committed()) {
        committed[a.budget_line()] +=
            released ? a.paid_pence() : a.amount_pence();
      } else if (!released) {
        reserved[a.budget_line()] += a.amount_pence();
      }
    }
  }
  for (const auto& line : kLines) {
    wpb::GetLedgerLineRequest g;
    g.set_name(line);
    auto l = h.engine().GetLedgerLine(h.Officer(), g);
    if (!l.ok()) continue;  // not yet registered when killed in cycle 0
    if (l->reserved_pence() + l->committed_pence() > l->ceiling_pence()) {
      v->Add(absl::StrCat(line, ": reserved + committed exceeds the ceiling"));
    }
    if (l->reserved_pence() < 0 || l->committed_pence() < 0 ||
        l->paid_pence() < 0 || l->available_pence() < 0) {
      v->Add(absl::StrCat(line, ": a negative total"));
    }
    if (l->reserved_pence() != reserved[line] ||
        l->committed_pence() != committed[line] ||
        l->paid_pence() != paid[line]) {
      v->Add(absl::StrCat(line, ": ledger ", l->reserved_pence(), "/",
                          l->committed_pence(), "/", l->paid_pence(),
                          " but cases hold ", reserved[line], "/",
                          committed[line], "/", paid[line]));
    }
  }
  auto chain = h.store().VerifyAuditChain();
  if (!chain.ok() || !chain->ok) {
    v->Add(absl::StrCat("audit chain broken: ",
                        chain.ok() ? chain->problem : "unreadable"));
  }
}

// Runs `cycles` crash cycles of the workload above, checking the stores
// after each; ends with a line for scripts/test.
void RunCycles(bool power_loss, int cycles) {
  testing::TempDir dir;
  std::mt19937 rng(std::random_device{}());
  std::map<std::string, std::set<std::string>> acked, refused;
  Ceilings ceilings;
  size_t acked_count = 0, ceiling_acks = 0;
  int adopted = 0;  // ceilings the ledger accepted before a kill
  uint64_t dropped = 0, torn = 0;
  bool ready = false;
  Violations violations;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    bool killed = false;
    const int after_ms = 60 + static_cast<int>(rng() % 200);
    PowerCut cut{power_loss, after_ms, cycle % 2 == 1};
    std::vector<std::string> out = testing::RunAndKill(
        [&](int fd) { Child(dir.path(), cycle, fd, cut); },
        std::chrono::milliseconds(power_loss ? 60'000 : after_ms), &killed);
    if (power_loss) {
      ASSERT_FALSE(killed) << "the power cut did not end the child";
    } else {
      ASSERT_TRUE(killed) << "the child exited before it was killed";
    }
    bool cut_seen = false;
    for (const std::string& line : out) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ');
      if (parts.size() != 3) continue;
      if (parts[0] == "ready") {
        ready = true;
      } else if (parts[0] == "power-off") {
        cut_seen = true;
        dropped += std::stoull(parts[1]);
        torn += std::stoull(parts[2]) > 0 ? 1 : 0;
      } else if (parts[0] == "ceiling-try") {
        ceilings.Tried(parts[1]);
      } else if (parts[0] == "ceiling-ack") {
        ceilings.Acked(parts[1]);
        ++ceiling_acks;
      } else if (parts[0] == "ack") {
        acked[parts[1]].insert(parts[2]);
        ++acked_count;
      } else {
        refused[parts[1]].insert(parts[2]);
      }
    }
    if (power_loss) {
      ASSERT_TRUE(cut_seen) << "the child ended another way";
    }
    if (!ready) {
      // Killed while setting up the fund: start again from nothing.
      std::filesystem::remove_all(EnginePath(dir.path()));
      std::filesystem::remove_all(ProgrammesPath(dir.path()));
      acked.clear();
      refused.clear();
      --cycle;
      continue;
    }
    EngineHarness h(EnginePath(dir.path()));
    CheckStore(h, acked, refused, &violations);
    CheckCeilings(h, dir.path(), ceilings, &adopted, &violations);
    if (!violations.list.empty()) break;
  }
  if (power_loss) {
    std::cout << "power-loss cycles: " << cycles
              << ", unsynced bytes dropped: " << dropped
              << ", torn writes kept in part: " << torn;
  } else {
    std::cout << "engine crash cycles: " << cycles;
  }
  std::cout << ", acknowledged commands checked: " << acked_count
            << ", acknowledged ceiling changes: " << ceiling_acks
            << " (recoveries that adopted the ledger's ceiling: " << adopted
            << ")"
            << ", cases: " << acked.size()
            << ", violations: " << violations.list.size() << "\n";
  for (const auto& v : violations.list) ADD_FAILURE() << v;
  EXPECT_GT(acked_count, 1000u);
}

TEST(EngineCrashTest, RulesHoldAndNothingAcknowledgedIsLostUnderSigkill) {
  RunCycles(/*power_loss=*/false, std::getenv("GRANTFLOW_SOAK") ? 300 : 50);
}

TEST(EngineCrashTest, RulesHoldAndNothingAcknowledgedIsLostUnderPowerLoss) {
  RunCycles(/*power_loss=*/true, std::getenv("GRANTFLOW_SOAK") ? 1000 : 50);
}

}  // namespace
}  // namespace grantflow::workflows
