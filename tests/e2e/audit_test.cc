// The audit logs (R8) through `grantctl audit` against a real grantflowd:
// every service's chain verified; entries shown by service, resource, actor
// and time; then, with the process killed, entries rewritten and removed
// behind the store's back, and the next verification names the first broken
// entry of exactly the service that was tampered with.
#include <rocksdb/db.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grantflow/storage/v1/storage.pb.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "storage/key_coding.h"
#include "tests/testing/daemon.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace grantflow {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Rewrites (or removes) audit entry `seq` of the store at `path` directly
// in RocksDB, as someone with the disk and not the service would.
void Tamper(const std::string& path, uint64_t seq, bool remove) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Options o;
  ASSERT_TRUE(rocksdb::DB::Open(o, path, &raw).ok()) << path;
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string key;
  storage::AppendString(&key, "_audit");
  storage::AppendUint64(&key, seq);
  if (remove) {
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), key).ok());
    return;
  }
  std::string value;
  ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), key, &value).ok());
  storage::v1::AuditEntry e;
  ASSERT_TRUE(e.ParseFromString(value.substr(8)));
  e.set_actor("someone-else");
  value = value.substr(0, 8) + e.SerializeAsString();
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), key, value).ok());
}

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::SetClock(dir_, testing::TestEpoch());
    data_ = dir_.Sub("data");
    Start();
    minter_ = std::make_unique<testing::TokenMinter>(data_);
    auditor_ = minter_->Token("aud", {"auditor"});
  }
  void Start() {
    daemon_ = std::make_unique<testing::Daemon>(GRANTFLOWD_PATH, dir_, data_,
                                                "grantflowd");
  }

  int Ctl(std::vector<std::string> args, std::string* out,
          const std::string& token = "") {
    std::vector<std::string> argv = {GRANTCTL_PATH, "--addr", daemon_->addr(),
                                     "--token",
                                     token.empty() ? auditor_ : token};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunCommand(argv, out);
  }

  // The demo data: a grant played through every service.
  void Seed() {
    std::string out;
    ASSERT_EQ(testing::SeedWithGrantctl(GRANTCTL_PATH, *daemon_, data_,
                                        GRANTFLOW_DEMO_JSON, &out),
              0)
        << out;
  }

  // Rows of `grantctl audit show` output (header and blank lines aside).
  static int Rows(const std::string& out) {
    int n = 0;
    for (absl::string_view line : absl::StrSplit(out, '\n')) {
      if (!line.empty() && !absl::StartsWith(line, "SERVICE")) ++n;
    }
    return n;
  }

  testing::TempDir dir_;
  std::string data_;
  std::unique_ptr<testing::Daemon> daemon_;
  std::unique_ptr<testing::TokenMinter> minter_;
  std::string auditor_;
  int sars_ = 0;
};

TEST_F(AuditTest, VerifyNamesTheFirstBrokenEntryOfTheServiceTamperedWith) {
  Seed();
  std::string out;
  ASSERT_EQ(Ctl({"audit", "verify"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("every chain intact"));
  for (const char* service :
       {"programmes", "applications", "workflow", "assessment", "duediligence",
        "safeguarding", "awards", "agreements", "payments"}) {
    EXPECT_THAT(out, HasSubstr(service));
  }
  EXPECT_THAT(out, Not(HasSubstr("BROKEN")));

  // Only auditors and admins read the logs.
  EXPECT_EQ(Ctl({"audit", "verify", "--service", "payments"}, &out,
                minter_->Token("grace", {"grants_officer"})),
            1);
  EXPECT_THAT(out, HasSubstr("PERMISSION_DENIED"));

  // Kill the process; change who did entry 3 of the payments log and
  // remove entry 2 of the agreements log; start again.
  daemon_->Kill(SIGKILL);
  daemon_.reset();
  Tamper(data_ + "/payments", 3, /*remove=*/false);
  Tamper(data_ + "/agreements", 2, /*remove=*/true);
  Start();
  ASSERT_EQ(Ctl({"audit", "verify"}, &out), 1) << out;
  EXPECT_THAT(out, HasSubstr("BROKEN at entry 3: hash does not match"));
  EXPECT_THAT(out, HasSubstr("BROKEN at entry 2: entry 2 is missing"));
  EXPECT_THAT(out, Not(HasSubstr("every chain intact")));
  // Each finding is on its own service's line, and the others are intact.
  int broken = 0, intact = 0;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::StrContains(line, "BROKEN")) {
      ++broken;
      EXPECT_TRUE(absl::StartsWith(line, "payments") ||
                  absl::StartsWith(line, "agreements"))
          << line;
    } else if (absl::StrContains(line, "intact")) {
      ++intact;
    }
  }
  EXPECT_EQ(broken, 2);
  EXPECT_EQ(intact, 8);  // the other eight services, reports included
  // One service at a time, too.
  EXPECT_EQ(Ctl({"audit", "verify", "--service", "applications"}, &out), 0)
      << out;
}

TEST_F(AuditTest, ShowFiltersByResourceActorAndTime) {
  Seed();
  std::string out;
  ASSERT_EQ(Ctl({"audit", "show", "--service", "payments"}, &out), 0) << out;
  const int all = Rows(out);
  EXPECT_GE(all, 4) << out;  // bank details, request, approval, release...
  EXPECT_THAT(out, HasSubstr("RequestPayment"));

  // By actor: the payment's requester only.
  ASSERT_EQ(
      Ctl({"audit", "show", "--service", "payments", "--actor", "FOLA"}, &out),
      0)
      << out;
  EXPECT_GE(Rows(out), 1);
  EXPECT_LT(Rows(out), all);
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (line.empty() || absl::StartsWith(line, "SERVICE")) continue;
    EXPECT_THAT(std::string(line), HasSubstr(" fola ")) << line;
  }

  // By resource: one bank account and nothing else.
  ASSERT_EQ(Ctl({"audit", "show", "--service", "payments", "--resource",
                 "bankAccounts/hackney-family-network"},
                &out),
            0)
      << out;
  EXPECT_GE(Rows(out), 2) << out;  // recorded, verified
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (line.empty() || absl::StartsWith(line, "SERVICE")) continue;
    EXPECT_THAT(std::string(line),
                HasSubstr("bankAccounts/hackney-family-network"));
  }

  // By time: everything the demo did happened after the round opened, and
  // nothing before the epoch's day began... and a window after it all is
  // empty.
  ASSERT_EQ(
      Ctl({"audit", "show", "--service", "payments", "--until", "2000-01-01"},
          &out),
      0);
  EXPECT_EQ(Rows(out), 0) << out;
  ASSERT_EQ(
      Ctl({"audit", "show", "--service", "payments", "--since", "2000-01-01"},
          &out),
      0);
  EXPECT_EQ(Rows(out), all);
  EXPECT_EQ(Ctl({"audit", "show", "--since", "yesterday"}, &out), 2);
}

// The data protection lead with grantctl: everything held about the demo's
// funded group, then an erasure that keeps the running grant's records.
TEST_F(AuditTest, GrantctlExportsAndErasesPersonalData) {
  Seed();
  const std::string admin = minter_->Token("dpo", {"admin"});
  std::string out;
  ASSERT_EQ(Ctl({"privacy", "export", "organisations/hackney-family-network"},
                &out, admin),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("organisations/hackney-family-network"));
  EXPECT_THAT(out, HasSubstr("application"));
  ASSERT_EQ(Ctl({"privacy", "export", "organisations/hackney-family-network",
                 "--out", dir_.Sub("sar.json")},
                &out, admin),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("wrote"));
  ASSERT_EQ(Ctl({"privacy", "erase", "organisations/hackney-family-network",
                 "--reason", "the group asked"},
                &out, admin),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("kept"));
  EXPECT_THAT(out, HasSubstr("funded grant still running"));
  // Not the auditors' to do.
  EXPECT_EQ(
      Ctl({"privacy", "export", "organisations/hackney-family-network"}, &out),
      1);
  EXPECT_THAT(out, HasSubstr("PERMISSION_DENIED"));
  // The erasure is in the applications log, without what was erased.
  ASSERT_EQ(
      Ctl({"audit", "show", "--service", "applications", "--actor", "dpo"},
          &out),
      0)
      << out;
  EXPECT_THAT(out, HasSubstr("personal data erased"));
}

// Subject access and erasure across every service that holds personal data,
// on the demo grant: while it runs, everything but the equality answers is
// kept; once it has ended and the funded retention has passed, the bank
// details, payees, signatory, report authors, officers' notes, the
// designated lead and the bid text are gone from every service, and the
// other organisation's records are exactly as they were.
TEST_F(AuditTest, ErasureReachesEveryServiceOnceTheGrantsRetentionHasPassed) {
  Seed();
  const std::string hackney = "organisations/hackney-family-network";
  const std::string admin =
      minter_->Token("dpo", {"admin"}, "", absl::Hours(24 * 365 * 8));
  std::string out;
  // The whole export as text, and the kinds of record each service holds.
  auto exported = [&](const std::string& who,
                      std::map<std::string, std::set<std::string>>* kinds =
                          nullptr) {
    const std::string file = dir_.Sub(absl::StrCat("sar-", ++sars_, ".json"));
    std::string o;
    EXPECT_EQ(Ctl({"privacy", "export", who, "--out", file}, &o, admin), 0)
        << o;
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    if (kinds != nullptr) {
      const nlohmann::json j = nlohmann::json::parse(text.str());
      for (const auto& r : j.value("records", nlohmann::json::array())) {
        (*kinds)[r["service"]].insert(r["kind"].get<std::string>());
      }
    }
    return text.str();
  };
  // service -> the reasons its records were kept ("" for one erased).
  auto erase = [&](const std::string& who) {
    std::map<std::string, std::multiset<std::string>> got;
    std::string o;
    EXPECT_EQ(
        Ctl({"privacy", "erase", who, "--reason", "the group asked", "--json"},
            &o, admin),
        0)
        << o;
    const nlohmann::json j = nlohmann::json::parse(o);
    for (const auto& r : j.value("erased", nlohmann::json::array())) {
      got[r["service"]].insert("");
    }
    for (const auto& r : j.value("kept", nlohmann::json::array())) {
      got[r["service"]].insert(r["kept_because"].get<std::string>());
    }
    return got;
  };

  std::map<std::string, std::set<std::string>> kinds;
  const std::string before = exported(hackney, &kinds);
  const std::string peckham = exported("organisations/peckham-arts-collective");
  const std::map<std::string, std::set<std::string>> want = {
      {"applications", {"organisation", "application"}},
      {"assessment", {"assessment"}},
      {"duediligence", {"due diligence check"}},
      {"safeguarding", {"safeguarding check", "DBS record"}},
      {"awards", {"award"}},
      {"agreements", {"agreement"}},
      {"payments", {"bank account", "payment", "remittance batch"}},
      {"workflow", {"case"}}};
  EXPECT_EQ(kinds, want);
  const std::vector<std::string> personal = {
      "608371", "31926819", "Halima Yusuf", "Amira Hassan", "kofi@example.org"};
  for (const std::string& p : personal) EXPECT_THAT(before, HasSubstr(p));

  // While the grant runs, the funder keeps all of it but the equality
  // answers.
  auto first = erase(hackney);
  EXPECT_EQ(first.size(), want.size());
  for (const auto& [service, reasons] : first) {
    for (const std::string& why : reasons) {
      if (service == "applications" && why.empty()) continue;
      EXPECT_FALSE(why.empty()) << service << " erased a record";
    }
  }
  EXPECT_TRUE(first["payments"].contains("a funded grant still running"));
  EXPECT_EQ(exported(hackney), exported(hackney));
  for (const std::string& p : personal) {
    EXPECT_THAT(exported(hackney), HasSubstr(p));
  }

  // An assessor's scores and declarations are theirs too, and kept with
  // the grant.
  std::map<std::string, std::set<std::string>> olas;
  exported("ola", &olas);
  EXPECT_TRUE(olas["assessment"].contains("score sheet"));
  EXPECT_TRUE(olas["assessment"].contains("assessment"));
  for (const auto& [service, reasons] : erase("ola")) {
    for (const std::string& why : reasons) EXPECT_FALSE(why.empty()) << service;
  }

  // The grant ends; six years and a month pass.
  const size_t at = before.find("\"applications/");
  ASSERT_NE(at, std::string::npos);
  const std::string app =
      before.substr(at + 14, before.find('"', at + 14) - at - 14);
  ASSERT_EQ(Ctl({"agreement", "terminate", app, "--reason", "the group closed"},
                &out, minter_->Approver("ade", 5000000)),
            0)
      << out;
  testing::SetClock(dir_, testing::TestEpoch() + absl::Hours(24 * 365 * 6) +
                              absl::Hours(24 * 31));
  auto second = erase(hackney);
  for (const char* service : {"applications", "assessment", "duediligence",
                              "safeguarding", "agreements", "payments"}) {
    EXPECT_TRUE(second[service].contains("")) << service << " erased nothing";
  }
  for (const char* service : {"awards", "workflow"}) {
    EXPECT_EQ(second[service],
              (std::multiset<std::string>{
                  "nothing in it is personal beyond the organisation's name"}))
        << service;
  }
  EXPECT_TRUE(erase("ola")["assessment"].contains(""));
  std::map<std::string, std::set<std::string>> nothing;
  EXPECT_THAT(exported("ola", &nothing), Not(HasSubstr("\"ola\"")));
  EXPECT_TRUE(nothing.empty());
  const std::string after = exported(hackney);
  for (const std::string& p : personal) EXPECT_THAT(after, Not(HasSubstr(p)));
  EXPECT_THAT(after, HasSubstr("[erased]"));
  EXPECT_EQ(exported("organisations/peckham-arts-collective"), peckham);
  // Each service's log says it happened, and nothing of what went.
  for (const char* service : {"payments", "agreements", "safeguarding"}) {
    ASSERT_EQ(Ctl({"audit", "show", "--service", service, "--actor", "dpo"},
                  &out, admin),
              0)
        << out;
    EXPECT_THAT(out, HasSubstr("personal data erased")) << service;
    for (const std::string& p : personal) EXPECT_THAT(out, Not(HasSubstr(p)));
  }
  ASSERT_EQ(Ctl({"audit", "verify"}, &out, admin), 0) << out;
}

}  // namespace
}  // namespace grantflow
