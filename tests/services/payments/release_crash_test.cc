// PaymentService under SIGKILL. Every service is hosted in a child process
// (the rig, on a data directory the parent keeps); eight executed grants of
// £20,000 have ten instalments each. In each cycle the child requests and
// approves instalments (a finance officer and a finance approver), releases
// authorised payments into remittance batches and confirms released ones as
// paid, from three threads, reporting every acknowledgement on a pipe; the
// parent kills it at a random moment, opens the payment and engine stores
// itself and checks:
//  * no payment is in two batches, and a payment names its batch exactly
//    when the batch holds it (a release is one atomic write);
//  * every acknowledged batch is there with the payments it was
//    acknowledged with; every acknowledged approval and payment stands;
//  * the engine holds every payment PaymentService authorised (pending or
//    posted) and nothing PaymentService does not know; R2 holds per case;
//  * the payment store's audit chain verifies.
// A last run finishes what the kills interrupted (approvals and
// confirmations retried adopt the engine's record) and releases the rest:
// every instalment is then paid exactly once, in exactly one batch, and the
// engine's books agree. 12 cycles; GRANTFLOW_SOAK=1 runs 60.
#include <atomic>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "grantflow/payments/v1/payments.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/adversarial/agreement_steps.h"
#include "tests/adversarial/rig.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace grantflow::testing {
namespace {

namespace gpb = ::grantflow::agreements::v1;
namespace ppb = ::grantflow::payments::v1;
namespace wpb = ::grantflow::workflow::v1;

constexpr int kGrants = 8;
constexpr int kInstalments = 10;
constexpr int64_t kAward = 2'000'000;

void Say(int fd, const std::string& line) {
  const std::string l = line + "\n";
  if (write(fd, l.data(), l.size()) < 0) _exit(5);
}

// The people of the payment run, minted on the rig's keys.
struct Finance {
  explicit Finance(Rig& rig)
      : officer(rig.minter().Token("fola", {"finance_officer"})),
        approver(rig.minter().For({.user = "fatima",
                                   .roles = {"finance_approver"},
                                   .organisation = "",
                                   .limits_pence = {{"pay", kAward}},
                                   .role_funds = {}})),
        stub(ppb::PaymentService::NewStub(rig.channel())) {}
  std::string officer, approver;
  std::unique_ptr<ppb::PaymentService::Stub> stub;
};

std::vector<ppb::Payment> InState(Rig& rig, Finance& f,
                                  ppb::Payment::State state) {
  ppb::ListPaymentsRequest req;
  req.set_state(state);
  req.set_page_size(1000);
  ppb::ListPaymentsResponse resp;
  if (!f.stub->ListPayments(rig.Ctx(f.officer).get(), req, &resp).ok()) {
    return {};
  }
  return {resp.payments().begin(), resp.payments().end()};
}

grpc::Status Approve(Rig& rig, Finance& f, const std::string& name) {
  ppb::ApprovePaymentRequest req;
  req.set_name(name);
  req.set_request_id(rig.NextId());
  ppb::Payment out;
  return f.stub->ApprovePayment(rig.Ctx(f.approver).get(), req, &out);
}

grpc::Status Confirm(Rig& rig, Finance& f, const std::string& name) {
  ppb::ConfirmPaymentRequest req;
  req.set_name(name);
  req.set_request_id(rig.NextId());
  ppb::Payment out;
  return f.stub->ConfirmPayment(rig.Ctx(f.officer).get(), req, &out);
}

grpc::Status Release(Rig& rig, Finance& f, ppb::RemittanceBatch* out) {
  ppb::ReleasePaymentsRequest req;
  req.set_request_id(rig.NextId());
  return f.stub->ReleasePayments(rig.Ctx(f.officer).get(), req, out);
}

void ReportBatch(int fd, const ppb::RemittanceBatch& b) {
  std::vector<std::string> names;
  for (const auto& l : b.lines()) names.push_back(l.payment());
  Say(fd, absl::StrCat("batch ", b.name(), " ", absl::StrJoin(names, ",")));
}

// The grants, executed, and the organisation's bank account verified.
void SetUpGrants(const std::string& dir, int fd) {
  Rig rig(dir, "setup-", /*seed=*/true);
  AgreementSteps steps(&rig);
  steps.SetTemplate();
  gpb::Terms terms;
  for (int i = 0; i < kInstalments; ++i) {
    auto* inst = terms.add_instalments();
    inst->set_id(absl::StrCat("i", i));
    inst->set_share_bp(10000 / kInstalments);
    inst->set_due(gpb::Instalment::ON_EXECUTION);
  }
  for (int g = 0; g < kGrants; ++g) {
    const std::string name =
        steps.Drafted(kAward, absl::StrCat("g", g), nullptr, &terms);
    if (steps.Executed(name).state() != gpb::Agreement::EXECUTED) {
      Say(fd, absl::StrCat("fail ", name, " not executed"));
    }
    Say(fd, absl::StrCat("case ", AgreementSteps::CaseOf(name)));
  }
  Finance f(rig);
  ppb::ChangeBankAccountRequest change;
  change.set_organisation(kHackney);
  change.mutable_details()->set_account_name("Hackney Family Network");
  change.mutable_details()->set_sort_code("200000");
  change.mutable_details()->set_account_number("12345678");
  change.set_request_id("bank");
  ppb::BankAccount acc;
  grpc::Status s =
      f.stub->ChangeBankAccount(rig.Ctx(rig.kofi).get(), change, &acc);
  ppb::VerifyBankAccountRequest verify;
  verify.set_name(acc.name());
  verify.set_etag(acc.etag());
  verify.set_request_id("verify");
  if (s.ok()) {
    s = f.stub->VerifyBankAccount(rig.Ctx(f.approver).get(), verify, &acc);
  }
  if (!s.ok()) Say(fd, "fail bank account: " + s.error_message());
  Say(fd, "ready");
}

// One cycle's work, from three threads, until killed; `finish` instead
// does what is left once, without a kill, and returns.
void Work(const std::string& dir, int cycle, bool finish,
          const std::vector<std::string>& cases, int fd) {
  Rig rig(dir, absl::StrCat("c", cycle, "-"), /*seed=*/false);
  Finance f(rig);
  if (finish) {
    for (const auto& p : InState(rig, f, ppb::Payment::REQUESTED)) {
      grpc::Status s = Approve(rig, f, p.name());
      if (!s.ok())
        Say(fd, "fail approve " + p.name() + ": " + s.error_message());
    }
    for (;;) {
      ppb::RemittanceBatch b;
      if (!Release(rig, f, &b).ok()) break;
      ReportBatch(fd, b);
    }
    for (const auto& p : InState(rig, f, ppb::Payment::RELEASED)) {
      grpc::Status s = Confirm(rig, f, p.name());
      if (!s.ok())
        Say(fd, "fail confirm " + p.name() + ": " + s.error_message());
    }
    Say(fd, "finished");
    return;
  }
  std::thread requester([&] {
    // Approvals a kill left waiting first (the engine may already hold
    // them), then new requests.
    for (const auto& p : InState(rig, f, ppb::Payment::REQUESTED)) {
      if (Approve(rig, f, p.name()).ok()) Say(fd, "auth " + p.name());
    }
    std::mt19937 rng(cycle);
    for (int round = 0; round < kGrants * kInstalments; ++round) {
      const std::string& c = cases[rng() % cases.size()];
      ppb::RequestPaymentRequest req;
      req.set_case_(c);
      req.set_instalment_id(absl::StrCat("i", rng() % kInstalments));
      req.set_request_id(rig.NextId());
      ppb::Payment p;
      if (!f.stub->RequestPayment(rig.Ctx(f.officer).get(), req, &p).ok()) {
        continue;  // requested in an earlier cycle
      }
      if (Approve(rig, f, p.name()).ok()) Say(fd, "auth " + p.name());
    }
  });
  std::thread releaser([&] {
    for (;;) {
      ppb::RemittanceBatch b;
      if (Release(rig, f, &b).ok()) {
        ReportBatch(fd, b);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  });
  std::thread confirmer([&] {
    for (;;) {
      for (const auto& p : InState(rig, f, ppb::Payment::RELEASED)) {
        if (Confirm(rig, f, p.name()).ok()) Say(fd, "paid " + p.name());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  requester.join();
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

template <typename Msg>
std::map<std::string, Msg> ReadAll(storage::Store& store,
                                   const std::string& table) {
  std::map<std::string, Msg> out;
  auto scan = store.Scan(table, "", "", 1'000'000);
  EXPECT_TRUE(scan.ok()) << scan.status();
  if (!scan.ok()) return out;
  for (const auto& row : scan->rows) {
    Msg m;
    EXPECT_TRUE(m.ParseFromString(row.record.value)) << table;
    out[m.name()] = m;
  }
  return out;
}

struct Acks {
  std::map<std::string, std::set<std::string>> batches;
  std::set<std::string> authorised, paid;
  void Add(const std::string& line) {
    std::vector<std::string> w = absl::StrSplit(line, ' ');
    if (w[0] == "batch" && w.size() == 3) {
      std::vector<std::string> names = absl::StrSplit(w[2], ',');
      batches[w[1]] = {names.begin(), names.end()};
    } else if (w[0] == "auth") {
      authorised.insert(w[1]);
    } else if (w[0] == "paid") {
      paid.insert(w[1]);
    } else if (w[0] == "fail") {
      ADD_FAILURE() << "child: " << line;
    }
  }
};

// The invariants, on the stores as a kill left them. Returns the payments.
std::map<std::string, ppb::Payment> Check(const std::string& dir,
                                          const Acks& acks,
                                          const std::string& when) {
  auto pay_store = OpenStore(dir + "/payments");
  auto payments = ReadAll<ppb::Payment>(*pay_store, "payments");
  auto batches =
      ReadAll<ppb::RemittanceBatch>(*pay_store, "remittance_batches");
  auto chain = pay_store->VerifyAuditChain();
  EXPECT_TRUE(chain.ok() && chain->ok) << when;
  pay_store.reset();
  std::map<std::string, std::string> batch_of;
  for (const auto& [name, b] : batches) {
    for (const auto& l : b.lines()) {
      EXPECT_TRUE(batch_of.emplace(l.payment(), name).second)
          << when << ": " << l.payment() << " is in " << batch_of[l.payment()]
          << " and " << name;
    }
  }
  for (const auto& [name, p] : payments) {
    auto in = batch_of.find(name);
    EXPECT_EQ(p.batch(), in == batch_of.end() ? "" : in->second)
        << when << ": " << name;
  }
  for (const auto& [name, held] : acks.batches) {
    auto b = batches.find(name);
    if (b == batches.end()) {
      ADD_FAILURE() << when << ": acknowledged " << name << " lost";
      continue;
    }
    std::set<std::string> got;
    for (const auto& l : b->second.lines()) got.insert(l.payment());
    EXPECT_EQ(got, held) << when << ": " << name;
  }
  for (const std::string& name : acks.authorised) {
    auto p = payments.find(name);
    if (p == payments.end()) {
      ADD_FAILURE() << when << ": acknowledged " << name << " lost";
      continue;
    }
    EXPECT_TRUE(p->second.state() == ppb::Payment::AUTHORIZED ||
                p->second.state() == ppb::Payment::RELEASED ||
                p->second.state() == ppb::Payment::PAID)
        << when << ": " << name << " "
        << ppb::Payment::State_Name(p->second.state());
  }
  for (const std::string& name : acks.paid) {
    EXPECT_EQ(payments[name].state(), ppb::Payment::PAID) << when << name;
  }
  auto engine_store = OpenStore(dir + "/workflow");
  auto scan = engine_store->Scan("cases", "", "", 1'000'000);
  EXPECT_TRUE(scan.ok());
  if (!scan.ok()) return payments;
  std::map<std::string, wpb::Payment> engine;
  for (const auto& row : scan->rows) {
    wpb::Case c;
    EXPECT_TRUE(c.ParseFromString(row.record.value));
    EXPECT_LE(c.paid_pence() + c.pending_pence(), c.awarded_pence())
        << when << ": R2 on " << c.name();
    for (const auto& p : c.payments()) engine["payments/" + p.payment_id()] = p;
  }
  for (const auto& [name, p] : engine) {
    EXPECT_TRUE(payments.contains(name))
        << when << ": the engine holds " << name << ", PaymentService not";
  }
  for (const auto& [name, p] : payments) {
    auto at = engine.find(name);
    switch (p.state()) {
      case ppb::Payment::REQUESTED:  // an approval may have been cut short
        break;
      case ppb::Payment::AUTHORIZED:
      case ppb::Payment::RELEASED:  // a confirmation may have been cut short
        EXPECT_TRUE(at != engine.end() &&
                    at->second.state() != wpb::Payment::VOIDED)
            << when << ": " << name;
        break;
      case ppb::Payment::PAID:
        EXPECT_TRUE(at != engine.end() &&
                    at->second.state() == wpb::Payment::POSTED)
            << when << ": " << name;
        break;
      default:
        ADD_FAILURE() << when << ": " << name << " "
                      << ppb::Payment::State_Name(p.state());
    }
    if (at != engine.end()) {
      EXPECT_EQ(at->second.amount_pence(), p.amount_pence()) << name;
      EXPECT_EQ(at->second.instalment_id(), p.instalment_id()) << name;
    }
  }
  return payments;
}

TEST(PaymentReleaseCrashTest, NoPaymentReleasedTwiceOrLostUnderSigkill) {
  TempDir dir;
  Acks acks;
  std::vector<std::string> cases;
  bool killed = false;
  for (const std::string& line :
       RunAndKill([&](int fd) { SetUpGrants(dir.path(), fd); },
                  std::chrono::seconds(120), &killed)) {
    if (absl::StartsWith(line, "case ")) cases.push_back(line.substr(5));
    acks.Add(line);
  }
  ASSERT_FALSE(killed) << "setup took over two minutes";
  ASSERT_EQ(cases.size(), static_cast<size_t>(kGrants));
  const int cycles = std::getenv("GRANTFLOW_SOAK") != nullptr ? 60 : 12;
  std::mt19937 rng(20261124);
  for (int cycle = 0; cycle < cycles; ++cycle) {
    const auto delay = std::chrono::milliseconds(150 + rng() % 900);
    for (const std::string& line :
         RunAndKill([&](int fd) { Work(dir.path(), cycle, false, cases, fd); },
                    delay, &killed)) {
      acks.Add(line);
    }
    ASSERT_TRUE(killed) << "cycle " << cycle << " ended by itself";
    Check(dir.path(), acks, absl::StrCat("after kill ", cycle));
    if (HasFatalFailure()) return;
  }
  // Finish: everything requested is approved, released once and paid.
  std::vector<std::string> lines =
      RunAndKill([&](int fd) { Work(dir.path(), cycles, true, cases, fd); },
                 std::chrono::seconds(120), &killed);
  ASSERT_FALSE(killed);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "finished");
  for (const std::string& line : lines) acks.Add(line);
  auto payments = Check(dir.path(), acks, "finished");
  int64_t paid = 0;
  for (const auto& [name, p] : payments) {
    EXPECT_EQ(p.state(), ppb::Payment::PAID) << name;
    EXPECT_FALSE(p.batch().empty()) << name;
    paid += p.amount_pence();
  }
  std::cout << "release crash test: " << cycles << " kills, "
            << acks.batches.size() << " batches acknowledged, "
            << payments.size() << " payments, " << paid << " pence paid"
            << std::endl;
  EXPECT_GT(acks.batches.size(), 0u);
  // Instalments were requested at random: at least some of every grant.
  auto engine_store = OpenStore(dir.path() + "/workflow");
  auto scan = engine_store->Scan("cases", "", "", 1'000'000);
  ASSERT_TRUE(scan.ok());
  int64_t engine_paid = 0;
  for (const auto& row : scan->rows) {
    wpb::Case c;
    ASSERT_TRUE(c.ParseFromString(row.record.value));
    EXPECT_EQ(c.pending_pence(), 0) << c.name();
    engine_paid += c.paid_pence();
  }
  EXPECT_EQ(engine_paid, paid);
}

}  // namespace
}  // namespace grantflow::testing
