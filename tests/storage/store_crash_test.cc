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
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      RunChild(dir.path(), cycle, fds[1]);
    }
    close(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 250));
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early: " << status;
    std::string acks;
    char buf[65536];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof(buf))) > 0) acks.append(buf, n);
    close(fds[0]);
    // A line cut by the kill was never fully acknowledged.
    size_t last_newline = acks.rfind('\n');
    acks =
        last_newline == std::string::npos ? "" : acks.substr(0, last_newline);
    for (absl::string_view k : absl::StrSplit(acks, '\n', absl::SkipEmpty())) {
      acknowledged.emplace(k);
    }

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

}  // namespace
}  // namespace grantflow::storage
