// Backups and restores on real processes: `grantctl backup create` against a
// grantflowd holding the demo grant, the process killed, the backup
// restored with `grantflowd --restore_from` into an empty data directory,
// and every record of every store found again, key for key, and served
// again, answer for answer. Then what an operator or an attacker might get
// wrong: bad ids, the wrong role, a retry, a reused id, writers running
// during the backup, a restore over live data, a tampered copy.
#include <rocksdb/db.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grantflow/backup/v1/backup.grpc.pb.h"
#include "grantflow/programmes/v1/programmes.grpc.pb.h"
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

namespace bpb = ::grantflow::backup::v1;
namespace ppb = ::grantflow::programmes::v1;
namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr const char* kServices[] = {
    "programmes",   "applications", "workflow",   "assessment", "duediligence",
    "safeguarding", "awards",       "agreements", "payments",   "reports"};

// Every key and value of the store at `path`, read-only.
std::map<std::string, std::string> Contents(const std::string& path) {
  std::map<std::string, std::string> out;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::OpenForReadOnly(rocksdb::Options(), path, &raw);
  EXPECT_TRUE(s.ok()) << path << ": " << s.ToString();
  if (!s.ok()) return out;
  std::unique_ptr<rocksdb::DB> db(raw);
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out[it->key().ToString()] = it->value().ToString();
  }
  return out;
}

// The audit entry stored under `value`, or nullopt for a row of another table.
std::optional<storage::v1::AuditEntry> AuditEntryOf(const std::string& key,
                                                    const std::string& value) {
  std::string prefix;
  storage::AppendString(&prefix, "_audit");
  if (key.rfind(prefix, 0) != 0) return std::nullopt;
  storage::v1::AuditEntry e;
  if (!e.ParseFromString(value.substr(8))) return std::nullopt;
  return e;
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::SetClock(dir_, testing::TestEpoch());
    data_ = dir_.Sub("data");
    daemon_ = std::make_unique<testing::Daemon>(GRANTFLOWD_PATH, dir_, data_,
                                                "grantflowd");
    minter_ = std::make_unique<testing::TokenMinter>(data_);
    admin_ = minter_->Token("olu", {"admin"});
    // Reads every report the grants team and finance would.
    reader_ = minter_->Token(
        "ops", {"admin", "grants_officer", "finance_officer", "auditor"});
  }

  int Ctl(const testing::Daemon& d, std::vector<std::string> args,
          std::string* out, const std::string& token) {
    std::vector<std::string> argv = {GRANTCTL_PATH, "--addr", d.addr(),
                                     "--token", token};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunCommand(argv, out);
  }

  void Seed() {
    std::string out;
    ASSERT_EQ(testing::SeedWithGrantctl(GRANTCTL_PATH, *daemon_, data_,
                                        GRANTFLOW_DEMO_JSON, &out),
              0)
        << out;
  }

  // What the funder reads, as JSON: funds, every case, the ledger, the
  // grant register, agreements, payments waiting and the audit heads.
  std::map<std::string, std::string> Reads(const testing::Daemon& d) {
    std::map<std::string, std::string> out;
    for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
             {"funds", "list"},
             {"cases", "list", "--all"},
             {"ledger", "show", "--fund", "funds/lff"},
             {"grants", "funds/lff"},
             {"agreement", "list", "--state", "executed"},
             {"payment", "list", "--state", "paid", "--all"},
             {"audit", "verify"}}) {
      args.push_back("--json");
      std::string text;
      EXPECT_EQ(Ctl(d, args, &text, reader_), 0) << args[0] << ": " << text;
      out[absl::StrJoin(args, " ")] = text;
    }
    return out;
  }

  grpc::Status Create(const std::string& token, const std::string& id,
                      const std::string& request_id, bpb::Backup* out) {
    grpc::ClientContext ctx;
    testing::Authorise(&ctx, token);
    bpb::CreateBackupRequest req;
    req.set_backup_id(id);
    req.set_request_id(request_id);
    return bpb::BackupService::NewStub(daemon_->Channel())
        ->CreateBackup(&ctx, req, out);
  }

  // Restores with grantflowd itself; its exit code.
  int Restore(const std::string& from, const std::string& into,
              std::string* out) {
    return testing::RunCommand(
        {GRANTFLOWD_PATH, "--restore_from=" + from, "--data_dir=" + into}, out);
  }

  std::string BackupDir(const std::string& id) const {
    return data_ + "/backups/" + id;
  }

  testing::TempDir dir_;
  std::string data_;
  std::unique_ptr<testing::Daemon> daemon_;
  std::unique_ptr<testing::TokenMinter> minter_;
  std::string admin_;
  std::string reader_;
};

TEST_F(BackupTest, ARestoredBackupHoldsEveryRecordAndServesTheSameAnswers) {
  Seed();
  const std::map<std::string, std::string> before = Reads(*daemon_);
  ASSERT_THAT(before.at("grants funds/lff --json"), HasSubstr("2500000"));

  std::string out;
  ASSERT_EQ(
      Ctl(*daemon_, {"backup", "create", "--id", "nightly"}, &out, admin_), 0)
      << out;
  for (const char* service : kServices) EXPECT_THAT(out, HasSubstr(service));
  // The operator's view afterwards, and an auditor's.
  ASSERT_EQ(Ctl(*daemon_, {"backup", "list", "--json"}, &out,
                minter_->Token("aud", {"auditor"})),
            0)
      << out;
  const nlohmann::json listed = nlohmann::json::parse(out);
  ASSERT_EQ(listed["backups"].size(), 1u) << out;
  EXPECT_EQ(listed["backups"][0]["name"], "backups/nightly");
  EXPECT_EQ(listed["backups"][0]["created_by"], "olu");
  ASSERT_EQ(listed["backups"][0]["stores"].size(), 10u);

  // The process dies; nothing more is written to its stores.
  daemon_->Kill(SIGKILL);
  daemon_.reset();

  const std::string restored = dir_.Sub("restored");
  ASSERT_EQ(Restore(BackupDir("nightly"), restored, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("restored backups/nightly"));

  // Key for key: every record of every live store is in the restored one,
  // with the same value, except each store's audit entry of the backup
  // itself (written after its checkpoint); nothing else is, or differs.
  size_t records = 0;
  for (const char* service : kServices) {
    const auto live = Contents(absl::StrCat(data_, "/", service));
    const auto copy = Contents(absl::StrCat(restored, "/", service));
    int backup_entries = 0;
    for (const auto& [key, value] : live) {
      auto it = copy.find(key);
      if (it == copy.end()) {
        std::optional<storage::v1::AuditEntry> e = AuditEntryOf(key, value);
        ASSERT_TRUE(e.has_value()) << service << ": a record is missing";
        EXPECT_EQ(e->action(),
                  "/grantflow.backup.v1.BackupService/CreateBackup");
        EXPECT_EQ(e->resource(), "backups/nightly");
        EXPECT_EQ(e->actor(), "olu");
        ++backup_entries;
        continue;
      }
      EXPECT_EQ(it->second, value) << service << ": a record differs";
      ++records;
    }
    EXPECT_EQ(backup_entries, 1) << service;
    EXPECT_EQ(copy.size() + 1, live.size()) << service;
  }
  std::cout << "restored " << records << " records across "
            << std::size(kServices) << " stores, every one found\n";
  EXPECT_GT(records, 100u);

  // Served again: the restored data directory answers as the original did.
  // The token keys are not in a backup; an operator restores them from
  // where secrets are kept.
  fs::copy(data_ + "/keys", restored + "/keys", fs::copy_options::recursive);
  daemon_ = std::make_unique<testing::Daemon>(GRANTFLOWD_PATH, dir_, restored,
                                              "restored");
  const std::map<std::string, std::string> after = Reads(*daemon_);
  for (const auto& [command, text] : before) {
    EXPECT_EQ(after.at(command), text) << command;
  }
  // And it takes new work: a new fund, its audit chain going on.
  ppb::CreateFundRequest fund;
  fund.set_fund_id("after-restore");
  *fund.mutable_fund() = testing::ValidFund();
  fund.set_request_id("after-restore-1");
  grpc::ClientContext ctx;
  testing::Authorise(&ctx, admin_);
  ppb::Fund made;
  grpc::Status s = ppb::ProgrammeService::NewStub(daemon_->Channel())
                       ->CreateFund(&ctx, fund, &made);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(Ctl(*daemon_, {"audit", "verify"}, &out, reader_), 0) << out;
  EXPECT_THAT(out, HasSubstr("every chain intact"));
}

TEST_F(BackupTest, WritesRunningDuringABackupAreInItOrAfterIt) {
  Seed();
  // Four writers create funds as fast as they can while backups are taken;
  // each fund acknowledged before a backup was asked for must be in it.
  std::atomic<bool> stop{false};
  std::atomic<int> next{0};
  std::mutex mu;
  std::vector<std::pair<int, absl::Time>> acknowledged;  // fund, when
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&] {
      auto stub = ppb::ProgrammeService::NewStub(daemon_->Channel());
      while (!stop) {
        const int n = next++;
        ppb::CreateFundRequest req;
        req.set_fund_id(absl::StrCat("busy-", n));
        *req.mutable_fund() = testing::ValidFund();
        req.set_request_id(absl::StrCat("busy-", n));
        grpc::ClientContext ctx;
        testing::Authorise(&ctx, admin_);
        ppb::Fund made;
        if (stub->CreateFund(&ctx, req, &made).ok()) {
          std::lock_guard<std::mutex> l(mu);
          acknowledged.emplace_back(n, absl::Now());
        }
      }
    });
  }
  std::vector<std::pair<std::string, absl::Time>> asked;
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const std::string id = absl::StrCat("during-", i);
    asked.emplace_back(id, absl::Now());
    bpb::Backup b;
    grpc::Status s = Create(admin_, id, id, &b);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  stop = true;
  for (auto& t : writers) t.join();
  ASSERT_GT(acknowledged.size(), 20u) << "the writers hardly wrote";

  for (const auto& [id, when] : asked) {
    const std::string restored = dir_.Sub("restored-" + id);
    std::string out;
    ASSERT_EQ(Restore(BackupDir(id), restored, &out), 0) << out;
    const auto funds = Contents(restored + "/programmes");
    int found = 0, expected = 0;
    for (const auto& [n, acked] : acknowledged) {
      if (acked >= when) continue;
      ++expected;
      // The fund's id as the store encodes it in its keys.
      std::string wanted;
      storage::AppendString(&wanted, absl::StrCat("busy-", n));
      bool present = false;
      for (const auto& [key, value] : funds) {
        if (key.find(wanted) != std::string::npos) {
          present = true;
          break;
        }
      }
      found += present;
      EXPECT_TRUE(present) << id << " lacks fund busy-" << n
                           << ", acknowledged before it was asked for";
    }
    EXPECT_EQ(found, expected);
    std::cout << id << ": " << found
              << " funds acknowledged before it, all restored\n";
  }
}

TEST_F(BackupTest, BadRequestsAndTheWrongPeopleGetClearErrorsAndNoBackup) {
  Seed();
  bpb::Backup b;
  // Only an admin takes one.
  for (const char* role : {"auditor", "grants_officer", "finance_approver"}) {
    grpc::Status s = Create(minter_->Token("x", {role}), "mine", "r1", &b);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << role;
  }
  // Ids that would escape the backup directory, or are not ids at all.
  for (const std::string& id :
       {std::string("../../etc"), std::string("Nightly"), std::string("-x"),
        std::string("a/b"), std::string(64, 'a'), std::string(1 << 20, 'z'),
        std::string(".partial-x")}) {
    grpc::Status s = Create(admin_, id, "r2", &b);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << id.substr(0, 20);
    EXPECT_THAT(s.error_message(), HasSubstr("backup_id"));
  }
  grpc::Status s = Create(admin_, "no-request-id", "", &b);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("request_id"));
  // Nothing was written for any of them.
  EXPECT_FALSE(fs::exists(data_ + "/backups") &&
               !fs::is_empty(data_ + "/backups"));
  EXPECT_FALSE(fs::exists(dir_.path() + "/etc"));

  // A retry returns the backup the first call made; the same id asked for
  // by another request is refused.
  bpb::Backup first, again;
  ASSERT_TRUE(Create(admin_, "weekly", "req-1", &first).ok());
  ASSERT_TRUE(Create(admin_, "weekly", "req-1", &again).ok());
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  s = Create(admin_, "weekly", "req-2", &b);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  // The same request id from someone else is theirs, not a retry.
  s = Create(minter_->Token("other-admin", {"admin"}), "weekly", "req-1", &b);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);

  // Two admins at once, different ids: both made, both whole.
  bpb::Backup x, y;
  grpc::Status sx, sy;
  std::thread tx([&] { sx = Create(admin_, "twin-a", "ta", &x); });
  std::thread ty([&] { sy = Create(admin_, "twin-b", "tb", &y); });
  tx.join();
  ty.join();
  ASSERT_TRUE(sx.ok() && sy.ok()) << sx.error_message() << sy.error_message();
  EXPECT_EQ(x.stores_size(), 10);
  EXPECT_EQ(y.stores_size(), 10);

  // Listing pages through them; a forged token is refused.
  auto stub = bpb::BackupService::NewStub(daemon_->Channel());
  bpb::ListBackupsRequest list;
  list.set_page_size(1);
  std::vector<std::string> names;
  do {
    grpc::ClientContext ctx;
    testing::Authorise(&ctx, admin_);
    bpb::ListBackupsResponse page;
    ASSERT_TRUE(stub->ListBackups(&ctx, list, &page).ok());
    ASSERT_LE(page.backups_size(), 1);
    for (const auto& got : page.backups()) names.push_back(got.name());
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  EXPECT_THAT(names, ::testing::ElementsAre("backups/twin-a", "backups/twin-b",
                                            "backups/weekly"));
  list.set_page_token("Zm9yZ2Vk");
  grpc::ClientContext ctx;
  testing::Authorise(&ctx, admin_);
  bpb::ListBackupsResponse page;
  EXPECT_EQ(stub->ListBackups(&ctx, list, &page).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(BackupTest, ARefusedRestoreLeavesTheDataDirectoryAsItWas) {
  Seed();
  bpb::Backup b;
  ASSERT_TRUE(Create(admin_, "good", "g", &b).ok());
  std::string out;

  // Over live data: refused before anything is copied.
  EXPECT_EQ(Restore(BackupDir("good"), data_, &out), 1);
  EXPECT_THAT(out, HasSubstr("already holds a store"));

  // No manifest: not a backup.
  const std::string empty = dir_.Sub("not-a-backup");
  fs::create_directories(empty);
  EXPECT_EQ(Restore(empty, dir_.Sub("target-0"), &out), 1);
  EXPECT_THAT(out, HasSubstr("is not a backup"));

  // A copy that does not match its manifest (the payments store's digest
  // changed, as a corrupted or swapped checkpoint would): refused, and the
  // target holds nothing afterwards, not even the stores that did match.
  const std::string manifest = BackupDir("good") + "/manifest.json";
  std::ifstream in(manifest);
  nlohmann::json m = nlohmann::json::parse(in);
  in.close();
  for (auto& store : m["stores"]) {
    if (store["service"] == "payments") store["sha256"] = std::string(64, '0');
  }
  std::ofstream(manifest) << m.dump(2);
  const std::string target = dir_.Sub("target-1");
  EXPECT_EQ(Restore(BackupDir("good"), target, &out), 1);
  EXPECT_THAT(out, HasSubstr("DATA_LOSS"));
  EXPECT_THAT(out, HasSubstr("payments"));
  EXPECT_TRUE(!fs::exists(target) || fs::is_empty(target)) << target;

  // A manifest naming a path, not a service.
  m["stores"][0]["service"] = "../escape";
  std::ofstream(manifest) << m.dump(2);
  EXPECT_EQ(Restore(BackupDir("good"), dir_.Sub("target-2"), &out), 1);
  EXPECT_THAT(out, HasSubstr("bad service"));
  EXPECT_FALSE(fs::exists(dir_.path() + "/escape"));
}

// deploy/backup/nightly.sh as the timer runs it: a backup through grantctl,
// copied off as a tarball, which unpacks into a backup that restores.
TEST_F(BackupTest, TheNightlyScriptCopiesOffABackupThatRestores) {
  Seed();
  const std::string offsite = dir_.Sub("offsite");
  std::string out;
  ASSERT_EQ(testing::RunCommand(
                {"/usr/bin/env", "GRANTCTL=" GRANTCTL_PATH,
                 "GRANTFLOW_ADDR=" + daemon_->addr(),
                 "GRANTFLOW_TOKEN=" + admin_, "GRANTFLOW_DATA_DIR=" + data_,
                 "BACKUP_COPY_TO=" + offsite, NIGHTLY_SCRIPT},
                &out),
            0)
      << out;
  std::vector<fs::path> tarballs;
  for (const auto& e : fs::directory_iterator(offsite)) {
    tarballs.push_back(e.path());
  }
  ASSERT_EQ(tarballs.size(), 1u);
  const std::string name = tarballs[0].filename().string();
  ASSERT_THAT(
      name, ::testing::MatchesRegex("grantflow-[0-9]{8}-[0-9]{6}\\.tar\\.gz"));
  const std::string id = name.substr(10, 15);
  const std::string unpacked = dir_.Sub("unpacked");
  fs::create_directories(unpacked);
  ASSERT_EQ(
      testing::RunCommand(
          {"/usr/bin/tar", "-C", unpacked, "-xzf", tarballs[0].string()}, &out),
      0)
      << out;
  ASSERT_EQ(Restore(unpacked + "/backups/" + id, dir_.Sub("restored"), &out), 0)
      << out;
  EXPECT_THAT(out, HasSubstr("restored payments"));
  EXPECT_THAT(out, HasSubstr("restored backups/" + id));
}

}  // namespace
}  // namespace grantflow
