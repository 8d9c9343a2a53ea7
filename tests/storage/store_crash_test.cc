// Acknowledged writes survive SIGKILL: a child process commits from several
// threads and reports each acknowledged commit on a pipe; the parent kills it
// at a random moment, reopens the store and checks every acknowledged row is
// there, each with exactly one audit entry, and that the chain verifies.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/power_loss_fs.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace grantflow::storage {
namespace {

[[noreturn]] void RunChild(const std::string& path, int cycle, int ack_fd) {
  StoreOptions o;
  o.path = path;
  auto store = OpenRocksDbStore(o);
  if (!store.ok()) _exit(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        std::string key = absl::StrCat(cycle, "/", t, "/", i);
        WriteSet w;
        w.ExpectAbsent("rows", key);
        w.Put("rows", key, "payload");
        AuditRecord a;
        a.actor = "child";
        a.action = "put";
        a.resource = key;
        w.Audit(a);
        if (!(*store)->Commit(w).ok()) _exit(4);
        std::string line = key + "\n";
        if (write(ack_fd, line.data(), line.size()) < 0) _exit(5);
      }
    });
  }
  for (auto& th : threads) th.join();
  _exit(0);
}

TEST(StoreCrashTest, AcknowledgedCommitsSurviveSigkill) {
  const int cycles = std::getenv("GRANTFLOW_SOAK") ? 100 : 12;
  testing::TempDir dir;
  std::mt19937 rng(std::random_device{}());
  std::set<std::string> acknowledged;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    bool killed = false;
    std::vector<std::string> acks = testing::RunAndKill(
        [&](int fd) { RunChild(dir.path(), cycle, fd); },
        std::chrono::milliseconds(30 + rng() % 250), &killed);
    ASSERT_TRUE(killed) << "the child exited before it was killed";
    acknowledged.insert(acks.begin(), acks.end());

    auto store = testing::OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    int missing = 0;
    for (const std::string& k : acknowledged) {
      if (!store->Get("rows", k).ok()) ++missing;
    }
    EXPECT_EQ(missing, 0) << "cycle " << cycle;
    auto rows = store->Scan("rows", "", "", 10'000'000);
    auto report = store->VerifyAuditChain();
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok) << "cycle " << cycle << ": " << report->problem;
    EXPECT_EQ(report->entries, rows->rows.size())
        << "each row has exactly one audit entry (atomic writes)";
  }
  std::cout << "crash cycles: " << cycles
            << ", acknowledged commits checked: " << acknowledged.size()
            << "\n";
  EXPECT_GT(acknowledged.size(), 0u);
}

// The power-loss simulator itself: a commit synced before the cut is there
// afterwards, one whose log was never synced is not, and a torn tail still
// opens. Two stores share one PowerLossFs; only one syncs.
TEST(StoreCrashTest, APowerCutKeepsWhatWasSyncedAndDropsWhatWasNot) {
  for (bool tear : {false, true}) {
    testing::TempDir dir;
    const std::string synced = dir.path() + "/synced",
                      unsynced = dir.path() + "/unsynced";
    bool killed = true;
    std::vector<std::string> out = testing::RunAndKill(
        [&](int fd) {
          auto fs = std::make_shared<testing::PowerLossFs>();
          std::vector<std::unique_ptr<Store>> stores;
          for (const auto& [path, sync] :
               {std::pair{synced, true}, std::pair{unsynced, false}}) {
            StoreOptions o;
            o.path = path;
            o.sync = sync;
            o.file_system = fs;
            auto s = OpenRocksDbStore(o);
            if (!s.ok()) _exit(3);
            stores.push_back(*std::move(s));
            for (int i = 0; i < 20; ++i) {
              WriteSet w;
              w.Put("rows", absl::StrCat("k", i), std::string(300, 'v'));
              if (!stores.back()->Commit(w).ok()) _exit(4);
            }
          }
          auto loss = fs->PowerOff(tear, 42);
          std::string line = absl::StrCat(loss.bytes_dropped, "\n");
          if (write(fd, line.data(), line.size()) < 0) _exit(5);
          _exit(0);
        },
        std::chrono::seconds(60), &killed);
    ASSERT_FALSE(killed);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_GT(std::stoull(out[0]), 20u * 300u / 2) << "the unsynced log";
    auto kept = testing::OpenStore(synced);
    ASSERT_NE(kept, nullptr);
    for (int i = 0; i < 20; ++i) {
      EXPECT_TRUE(kept->Get("rows", absl::StrCat("k", i)).ok()) << i;
    }
    auto lost = testing::OpenStore(unsynced);
    ASSERT_NE(lost, nullptr) << "a cut (torn: " << tear << ") log must open";
    int survived = 0;
    for (int i = 0; i < 20; ++i) {
      survived += lost->Get("rows", absl::StrCat("k", i)).ok() ? 1 : 0;
    }
    EXPECT_LT(survived, 20) << "tear " << tear;
    if (!tear) {
      EXPECT_EQ(survived, 0);
    }
  }
}

}  // namespace
}  // namespace grantflow::storage
