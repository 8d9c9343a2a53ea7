// A history checker. Concurrent clients drive grant cases through a real
// grantflowd over gRPC (applications submitted, assessment stages, awards
// reserving against budget lines, due diligence and safeguarding, the
// agreement issued, signed and countersigned, payments authorised, confirmed
// and attempted too early) while another client moves the lines' ceilings,
// and the process is killed with SIGKILL again and again under them. Every
// request and its final answer is recorded; a call whose answer was lost
// (the process died) is retried with the same request id until it gets one.
//
// Once the clients stop, the checker replays the history against what the
// restarted grantflowd holds and proves:
//  * no acknowledged write was lost: every acknowledged event is in its
//    case's history exactly once, every acknowledged submission is
//    SUBMITTED and has its case, and each line holds its last acknowledged
//    ceiling in ProgrammeService and the ledger alike;
//  * no refused write was applied: no refused request left an event;
//  * each case's events are in the order its client was told they happened;
//  * no payment was authorised before the agreement was executed (R1), none
//    of the attempts made too early succeeded, and no case paid more than
//    its award (R2);
//  * no budget line holds more than its ceiling, and the ledger equals the
//    sum of what the cases hold (R3);
//  * every service's audit chain verifies after the last stop.
// 6 kills by default (more until one lands mid-request); GRANTFLOW_SOAK=1
// runs 60.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grantflow/applications/v1/applications.grpc.pb.h"
#include "grantflow/programmes/v1/programmes.grpc.pb.h"
#include "grantflow/workflow/v1/workflow.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "platform/auth.h"
#include "platform/money.h"
#include "services/common/case_client.h"
#include "storage/store.h"
#include "tests/testing/daemon.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/split_deployment.h"
#include "tests/testing/temp_dir.h"

namespace grantflow {
namespace {

namespace apb = ::grantflow::applications::v1;
namespace ppb = ::grantflow::programmes::v1;
namespace wpb = ::grantflow::workflow::v1;

constexpr char kRound[] = "funds/lff/rounds/open";
constexpr char kOrg[] = "organisations/hackney-families";
const std::vector<std::string> kLines = {"funds/lff/budgetLines/grants-a",
                                         "funds/lff/budgetLines/grants-b"};

// One request as its client saw it end.
struct Op {
  int client = 0;
  std::string kind;    // a fact, "create", "submit", "authorize", ...
  std::string target;  // the case, application or budget line
  std::string request_id;
  int64_t value = 0;  // a ceiling asked for
  bool ok = false;
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
  int lost_answers = 0;    // tries whose answer the kill took
  bool too_early = false;  // a payment attempted before execution
};

// Whether a failed call's outcome is unknown: the process died under it.
bool Lost(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::UNKNOWN:
      return true;
    default:
      return false;
  }
}

// What every client shares: a channel to grantflowd (a new one after each
// restart, as a client reconnects), // restarted on, its people, and the
// history.
class World {
 public:
  World(std::shared_ptr<grpc::Channel> channel, const std::string& data)
      : minter_(data) {
    Connect(std::move(channel));
    service = minter_.Token("grantflowd-tests", {"service"});
    admin = minter_.Token("root", {"admin"});
    amira = minter_.Token("amira", {"applicant"}, kOrg);
    auth::Principal fin;
    fin.user = "fin";
    fin.roles = {"finance_approver", "finance_officer"};
    fin.limits_pence = {{"pay", kMaxAmountPence}};
    const std::map<std::string, std::string> people = {
        {"grace", minter_.Token("grace", {"grants_officer"})},
        {"sam", minter_.Token("sam", {"safeguarding_officer"})},
        {"ade", minter_.Approver("ade", 7'500'000)},
        {"kofi", minter_.Token("kofi", {"signatory"}, kOrg)},
        {"fin", minter_.For(fin)}};
    for (const auto& [who, token] : people) {
      acting[who] = ActingOf(minter_.Who(token));
      tokens[who] = token;
    }
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    testing::Authorise(ctx.get(), token);
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(5));
    return ctx;
  }

  // Sends `attempt` until it has an answer that is not lost, recording it.
  // Returns whether it was acknowledged.
  bool Do(Op op, const std::function<grpc::Status()>& attempt) {
    const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::seconds(120);
    grpc::Status s;
    for (;;) {
      s = attempt();
      if (!Lost(s) || std::chrono::steady_clock::now() > give_up) break;
      if (op.lost_answers++ == 0) ++interrupted_;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    op.ok = s.ok();
    op.code = s.error_code();
    op.message = s.error_message();
    std::lock_guard<std::mutex> l(mu_);
    history_.push_back(std::move(op));
    return s.ok();
  }

  // Requests a kill interrupted so far.
  int interrupted() const { return interrupted_; }

  std::vector<Op> history() {
    std::lock_guard<std::mutex> l(mu_);
    return history_;
  }

  // Calls made after this go to `channel`; calls in flight finish on theirs.
  void Connect(std::shared_ptr<grpc::Channel> channel) {
    auto stubs = std::make_shared<Stubs>();
    stubs->apps = apb::ApplicationService::NewStub(channel);
    stubs->programmes = ppb::ProgrammeService::NewStub(channel);
    stubs->engine = wpb::WorkflowService::NewStub(channel);
    std::lock_guard<std::mutex> l(mu_);
    stubs_ = std::move(stubs);
  }
  std::shared_ptr<apb::ApplicationService::Stub> apps() {
    auto s = Current();
    return {s, s->apps.get()};
  }
  std::shared_ptr<ppb::ProgrammeService::Stub> programmes() {
    auto s = Current();
    return {s, s->programmes.get()};
  }
  std::shared_ptr<wpb::WorkflowService::Stub> engine() {
    auto s = Current();
    return {s, s->engine.get()};
  }

  std::string service, admin, amira;
  std::map<std::string, std::string> tokens;
  std::map<std::string, wpb::Acting> acting;

 private:
  testing::TokenMinter minter_;
  struct Stubs {
    std::unique_ptr<apb::ApplicationService::Stub> apps;
    std::unique_ptr<ppb::ProgrammeService::Stub> programmes;
    std::unique_ptr<wpb::WorkflowService::Stub> engine;
  };
  std::shared_ptr<Stubs> Current() {
    std::lock_guard<std::mutex> l(mu_);
    return stubs_;
  }

  std::atomic<int> interrupted_{0};
  std::mutex mu_;
  std::shared_ptr<Stubs> stubs_;
  std::vector<Op> history_;
};

// One client: a case at a time, from the application to its payments.
class Client {
 public:
  Client(World* w, int id) : w_(w), id_(id), rng_(id * 7919 + 17) {}

  void Run(const std::atomic<bool>& stop) {
    for (int i = 0; !stop; ++i) OneCase(absl::StrCat("h", id_, "-", i));
  }

 private:
  std::string Rid() { return absl::StrCat("h", id_, "-r", ++n_); }

  Op Make(const std::string& kind, const std::string& target) {
    Op op;
    op.client = id_;
    op.kind = kind;
    op.target = target;
    op.request_id = Rid();
    return op;
  }

  // A fact recorded as a service records it, for `person` (with their
  // roles and limits when `acting`).
  bool Fact(const std::string& c, const std::string& fact,
            const std::string& person, bool acting = false,
            wpb::FactPayload payload = {}) {
    Op op = Make(fact, c);
    wpb::RecordFactRequest req;
    req.set_name(c);
    req.set_fact(fact);
    *req.mutable_payload() = std::move(payload);
    req.set_on_behalf_of(person);
    if (acting) *req.mutable_acting() = w_->acting.at(person);
    req.set_request_id(op.request_id);
    return w_->Do(op, [&] {
      wpb::Case out;
      return w_->engine()->RecordFact(w_->Ctx(w_->service).get(), req, &out);
    });
  }

  bool Authorize(const std::string& c, const std::string& pid, int64_t pence,
                 bool too_early) {
    Op op = Make("authorize", c);
    op.too_early = too_early;
    wpb::AuthorizePaymentRequest req;
    req.set_name(c);
    req.set_payment_id(pid);
    req.set_amount_pence(pence);
    req.set_requested_by("fola");
    req.set_on_behalf_of("fin");
    *req.mutable_acting() = w_->acting.at("fin");
    req.set_request_id(op.request_id);
    return w_->Do(op, [&] {
      wpb::Payment out;
      return w_->engine()->AuthorizePayment(w_->Ctx(w_->service).get(), req,
                                            &out);
    });
  }

  bool Confirm(const std::string& c, const std::string& pid) {
    Op op = Make("confirm", c);
    wpb::ConfirmPaymentRequest req;
    req.set_name(c);
    req.set_payment_id(pid);
    req.set_on_behalf_of("fin");
    *req.mutable_acting() = w_->acting.at("fin");
    req.set_request_id(op.request_id);
    return w_->Do(op, [&] {
      wpb::Payment out;
      return w_->engine()->ConfirmPayment(w_->Ctx(w_->service).get(), req,
                                          &out);
    });
  }

  // Waits for the case an acknowledged submission starts (the outbox).
  bool CaseStarted(const std::string& c) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      wpb::GetCaseRequest get;
      get.set_name(c);
      wpb::Case out;
      if (w_->engine()->GetCase(w_->Ctx(w_->admin).get(), get, &out).ok()) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  void OneCase(const std::string& suffix) {
    Op create = Make("create", "");
    apb::CreateApplicationRequest draft;
    *draft.mutable_application() =
        testing::CompleteApplication(kRound, kOrg, 7'500'000);
    draft.set_request_id(create.request_id);
    apb::Application app;
    if (!w_->Do(create, [&] {
          return w_->apps()->CreateApplication(w_->Ctx(w_->amira).get(), draft,
                                               &app);
        })) {
      return;
    }
    Op submit = Make("submit", app.name());
    apb::SubmitApplicationRequest sub;
    sub.set_name(app.name());
    sub.set_request_id(submit.request_id);
    if (!w_->Do(submit, [&] {
          apb::Application out;
          return w_->apps()->SubmitApplication(w_->Ctx(w_->amira).get(), sub,
                                               &out);
        })) {
      return;
    }
    const std::string c =
        "cases/" + app.name().substr(std::string("applications/").size());
    if (!CaseStarted(c)) return;  // the checker reports it
    for (const char* f :
         {"ELIGIBILITY_CHECK_STARTED", "ELIGIBLE", "SHORTLISTED",
          "INTERVIEW_SCHEDULED", "RECOMMENDED"}) {
      if (!Fact(c, f, "grace")) return;
    }
    Authorize(c, "early", 100, /*too_early=*/true);
    wpb::FactPayload award;
    const int64_t amount = 1'000'000 + (rng_() % 40) * 150'000;
    award.set_amount_pence(amount);
    auto* a = award.add_allocations();
    a->set_budget_line(kLines[rng_() % 2]);
    a->set_amount_pence(amount);
    // Refused when the line has no room: the ceiling thread makes some.
    if (!Fact(c, "AWARD_APPROVED", "ade", true, award)) return;
    if (rng_() % 5 == 0) {
      Fact(c, "WITHDRAWN", "grace", true);
      return;
    }
    for (const char* f : {"CHECKS_STARTED", "DUE_DILIGENCE_PASSED"}) {
      if (!Fact(c, f, "grace")) return;
    }
    Fact(c, "SAFEGUARDING_PASSED", "sam");
    wpb::FactPayload doc;
    doc.set_document_sha256(std::string(64, '1'));
    if (!Fact(c, "AGREEMENT_ISSUED", "grace", true, doc)) return;
    Authorize(c, "unsigned", 100, /*too_early=*/true);
    if (!Fact(c, "AGREEMENT_SIGNED_BY_RECIPIENT", "kofi", true, doc)) return;
    Authorize(c, "uncountersigned", 100, /*too_early=*/true);
    if (!Fact(c, "AGREEMENT_EXECUTED", "ade", true, doc)) return;
    if (!Fact(c, "PROJECT_STARTED", "grace", true)) return;
    for (int p = 0; p < 3; ++p) {
      const std::string pid = absl::StrCat("p", p);
      // The third goes over the award: refused.
      if (!Authorize(c, pid, amount / 2, false)) continue;
      Confirm(c, pid);
    }
    if (rng_() % 2 == 0) Fact(c, "GRANT_CLOSED", "grace", true);
  }

  World* w_;
  int id_;
  int n_ = 0;
  std::mt19937 rng_;
};

// Moves the lines' ceilings: mostly above what is in use, one in four below
// it (refused: CEILING_BELOW_USE).
void Ceilings(World* w, const std::atomic<bool>& stop) {
  std::mt19937 rng(99);
  for (int i = 0; !stop; ++i) {
    const std::string& line = kLines[rng() % 2];
    wpb::GetLedgerLineRequest get;
    get.set_name(line);
    wpb::LedgerLine held;
    if (!w->engine()->GetLedgerLine(w->Ctx(w->admin).get(), get, &held).ok()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    const int64_t used = held.reserved_pence() + held.committed_pence();
    const int64_t ceiling = rng() % 4 == 0
                                ? std::max<int64_t>(1, used - 1'000'000)
                                : used + 2'000'000 + (rng() % 8) * 1'000'000;
    Op op;
    op.client = -1;
    op.kind = "ceiling";
    op.target = line;
    op.value = ceiling;
    op.request_id = absl::StrCat("ceiling-", i);
    ppb::UpdateBudgetLineRequest up;
    up.mutable_budget_line()->set_name(line);
    up.mutable_budget_line()->set_ceiling_pence(ceiling);
    up.mutable_update_mask()->add_paths("ceiling_pence");
    up.set_request_id(op.request_id);
    w->Do(op, [&] {
      ppb::BudgetLine out;
      return w->programmes()->UpdateBudgetLine(
          w->Ctx(w->tokens.at("grace")).get(), up, &out);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// The checker: the history against what grantflowd holds.
class Checker {
 public:
  explicit Checker(World* w) : w_(w) {}

  std::vector<std::string> Check(const std::vector<Op>& history) {
    std::map<std::string, std::vector<const Op*>> by_case;
    std::map<std::string, int64_t> last_ceiling;
    for (const Op& op : history) {
      if (op.kind == "create") continue;
      if (op.kind == "submit") {
        CheckSubmission(op);
      } else if (op.kind == "ceiling") {
        if (op.ok) last_ceiling[op.target] = op.value;
      } else {
        by_case[op.target].push_back(&op);
      }
      if (op.too_early && op.ok) {
        Add(absl::StrCat(op.target, ": payment ", op.request_id,
                         " authorised before execution was acknowledged"));
      }
    }
    std::map<std::string, int64_t> reserved, committed, paid;
    for (const auto& [c, ops] : by_case) {
      CheckCase(c, ops, &reserved, &committed, &paid);
    }
    for (const std::string& line : kLines) {
      CheckLine(line, last_ceiling, reserved[line], committed[line],
                paid[line]);
    }
    cases = by_case.size();
    return violations_;
  }

  size_t cases = 0;

 private:
  void Add(std::string v) { violations_.push_back(std::move(v)); }

  void CheckSubmission(const Op& op) {
    if (!op.ok) return;
    apb::GetApplicationRequest get;
    get.set_name(op.target);
    apb::Application a;
    grpc::Status s =
        w_->apps()->GetApplication(w_->Ctx(w_->amira).get(), get, &a);
    if (!s.ok() || a.state() == apb::Application::DRAFT) {
      return Add(absl::StrCat(op.target, ": acknowledged submission lost (",
                              s.error_message(), ")"));
    }
    wpb::GetCaseRequest gc;
    gc.set_name("cases/" + op.target.substr(13));
    wpb::Case c;
    if (!w_->engine()->GetCase(w_->Ctx(w_->admin).get(), gc, &c).ok()) {
      Add(absl::StrCat(op.target, ": submitted, but its case never started"));
    }
  }

  std::vector<wpb::CaseEvent> History(const std::string& c) {
    std::vector<wpb::CaseEvent> out;
    wpb::GetHistoryRequest req;
    req.set_name(c);
    req.set_page_size(500);
    do {
      wpb::GetHistoryResponse page;
      grpc::Status s =
          w_->engine()->GetHistory(w_->Ctx(w_->admin).get(), req, &page);
      if (!s.ok()) {
        Add(absl::StrCat(c, ": history unreadable: ", s.error_message()));
        return out;
      }
      out.insert(out.end(), page.events().begin(), page.events().end());
      req.set_page_token(page.next_page_token());
    } while (!req.page_token().empty());
    return out;
  }

  void CheckCase(const std::string& name, const std::vector<const Op*>& ops,
                 std::map<std::string, int64_t>* reserved,
                 std::map<std::string, int64_t>* committed,
                 std::map<std::string, int64_t>* paid) {
    const std::vector<wpb::CaseEvent> events = History(name);
    std::map<std::string, std::vector<size_t>> at;  // request id -> indexes
    bool executed = false;
    int64_t posted = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      const wpb::CaseEvent& e = events[i];
      at[e.request_id()].push_back(i);
      if (e.kind() == "AGREEMENT_EXECUTED") executed = true;
      if (e.kind() == "AGREEMENT_ISSUED") executed = false;
      if (e.kind() == "PAYMENT_AUTHORIZED" &&
          (!executed || !e.agreement_executed())) {
        Add(absl::StrCat(name, ": payment ", e.payment_id(),
                         " authorised without an executed agreement (R1)"));
      }
      if (e.kind() == "PAYMENT_POSTED") posted += e.amount_pence();
    }
    // Acknowledged: there once, in the order the client was told; refused:
    // not there.
    size_t last = 0;
    bool first = true;
    for (const Op* op : ops) {
      auto it = at.find(op->request_id);
      const size_t n = it == at.end() ? 0 : it->second.size();
      if (op->ok && n != 1) {
        Add(absl::StrCat(name, ": acknowledged ", op->kind, " ", op->request_id,
                         " is there ", n, " times"));
      } else if (!op->ok && n != 0) {
        Add(absl::StrCat(name, ": refused ", op->kind, " ", op->request_id,
                         " (", op->message, ") was applied"));
      }
      if (op->ok && n == 1) {
        const size_t i = it->second[0];
        if (!first && i <= last) {
          Add(absl::StrCat(name, ": ", op->kind, " ", op->request_id,
                           " acknowledged after an event it precedes"));
        }
        last = i;
        first = false;
      }
    }
    wpb::GetCaseRequest get;
    get.set_name(name);
    wpb::Case c;
    grpc::Status s = w_->engine()->GetCase(w_->Ctx(w_->admin).get(), get, &c);
    if (!s.ok()) return Add(absl::StrCat(name, ": ", s.error_message()));
    if (c.paid_pence() + c.pending_pence() > c.awarded_pence()) {
      Add(absl::StrCat(name, ": paid + pending exceeds the award (R2)"));
    }
    if (posted != c.paid_pence()) {
      Add(absl::StrCat(name, ": posted ", posted, " but paid ",
                       c.paid_pence()));
    }
    const bool released = c.state() == "WITHDRAWN" || c.state() == "CLOSED";
    for (const auto& a : c.allocations()) {
      (*paid)[a.budget_line()] += a.paid_pence();
      if (c.budget_committed()) {
        (*committed)[a.budget_line()] +=
            released ? a.paid_pence() : a.amount_pence();
      } else if (!released) {
        (*reserved)[a.budget_line()] += a.amount_pence();
      }
    }
  }

  void CheckLine(const std::string& line,
                 const std::map<std::string, int64_t>& last_ceiling,
                 int64_t reserved, int64_t committed, int64_t paid) {
    wpb::GetLedgerLineRequest get;
    get.set_name(line);
    wpb::LedgerLine l;
    grpc::Status s =
        w_->engine()->GetLedgerLine(w_->Ctx(w_->admin).get(), get, &l);
    if (!s.ok()) return Add(absl::StrCat(line, ": ", s.error_message()));
    if (l.reserved_pence() + l.committed_pence() > l.ceiling_pence()) {
      Add(absl::StrCat(line, ": reserved + committed over the ceiling (R3)"));
    }
    if (l.reserved_pence() != reserved || l.committed_pence() != committed ||
        l.paid_pence() != paid) {
      Add(absl::StrCat(line, ": ledger ", l.reserved_pence(), "/",
                       l.committed_pence(), "/", l.paid_pence(),
                       " but the cases hold ", reserved, "/", committed, "/",
                       paid));
    }
    ppb::GetBudgetLineRequest gb;
    gb.set_name(line);
    ppb::BudgetLine b;
    s = w_->programmes()->GetBudgetLine(w_->Ctx(w_->admin).get(), gb, &b);
    if (!s.ok()) return Add(absl::StrCat(line, ": ", s.error_message()));
    if (b.ceiling_pence() != l.ceiling_pence()) {
      Add(absl::StrCat(line, ": ProgrammeService's ceiling ", b.ceiling_pence(),
                       " is not the ledger's ", l.ceiling_pence()));
    }
    auto acked = last_ceiling.find(line);
    if (acked != last_ceiling.end() && b.ceiling_pence() != acked->second) {
      Add(absl::StrCat(line, ": the last acknowledged ceiling ", acked->second,
                       " is lost; it holds ", b.ceiling_pence()));
    }
  }

  World* w_;
  std::vector<std::string> violations_;
};

TEST(HistoryTest, NoAcknowledgedWriteLostNoRefusedWriteAppliedAcrossKills) {
  const int kills = std::getenv("GRANTFLOW_SOAK") ? 60 : 6;
  testing::TempDir dir;
  testing::SetClock(dir, testing::TestEpoch());
  const std::string data = dir.Sub("data");
  const int port = testing::FreePort();
  auto daemon = std::make_unique<Daemon>(dir, data, "start",
                                         std::vector<std::string>{}, port);
  ASSERT_GT(daemon->port(), 0) << "grantflowd did not start";
  auto channel = daemon->Channel();
  World world(channel, data);
  testing::SeedOverGrpc(channel.get(), world.admin, testing::TestEpoch());

  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < 8; ++c) {
    threads.emplace_back([&world, &stop, c] { Client(&world, c).Run(stop); });
  }
  threads.emplace_back([&world, &stop] { Ceilings(&world, stop); });

  std::mt19937 rng(std::random_device{}());
  // At least `kills`, and more (up to three times as many) until one has
  // landed in the middle of a request.
  int k = 0;
  for (; k < kills || (world.interrupted() == 0 && k < 3 * kills); ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400 + rng() % 800));
    EXPECT_TRUE(WIFSIGNALED(daemon->Kill(SIGKILL)));
    daemon.reset();
    daemon = std::make_unique<Daemon>(dir, data, absl::StrCat("restart", k),
                                      std::vector<std::string>{}, port);
    ASSERT_GT(daemon->port(), 0) << "grantflowd did not restart";
    world.Connect(daemon->Channel());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  for (auto& t : threads) t.join();

  const std::vector<Op> history = world.history();
  Checker checker(&world);
  const std::vector<std::string> violations = checker.Check(history);
  size_t acked = 0, refused = 0, retried = 0, lost = 0, payments = 0;
  for (const Op& op : history) {
    (op.ok ? acked : refused)++;
    if (op.lost_answers > 0) ++retried;
    if (!op.ok && Lost(grpc::Status(op.code, ""))) ++lost;
    if (op.ok && op.kind == "authorize") ++payments;
  }
  EXPECT_EQ(daemon->Kill(SIGTERM) & 0x7f, 0) << "a clean stop";
  for (const char* service :
       {"programmes", "applications", "assessment", "workflow"}) {
    auto store = testing::OpenStore(data + "/" + service);
    ASSERT_NE(store, nullptr) << service;
    auto report = store->VerifyAuditChain();
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok) << service << ": " << report->problem;
  }
  std::cout << "history checker: " << k << " kill -9 restarts, "
            << history.size() << " requests (" << acked << " acknowledged, "
            << refused << " refused, " << retried
            << " retried after the kill took their answer), " << payments
            << " payments authorised, " << checker.cases
            << " cases; violations: " << violations.size() << "\n";
  for (const std::string& v : violations) ADD_FAILURE() << v;
  EXPECT_EQ(lost, 0u) << "a request never got an answer";
  EXPECT_GT(retried, 0u) << "no kill landed during a request";
  EXPECT_GT(payments, 0u);
  EXPECT_GT(refused, 0u);
}

}  // namespace
}  // namespace grantflow
