#include "storage/store.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/audit_chain.h"
#include "storage/key_coding.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/matchers.h"
#include "tests/testing/temp_dir.h"

namespace grantflow::storage {
namespace {

using ::grantflow::testing::HasReason;
using ::grantflow::testing::IsOk;
using ::grantflow::testing::StatusIs;

using ::grantflow::testing::OpenStore;
using ::grantflow::testing::TempDir;

AuditRecord Audit(const std::string& what) {
  AuditRecord a;
  a.actor = "tester";
  a.action = what;
  a.resource = "things/1";
  a.time_micros = 1;
  return a;
}

TEST(StoreTest, PutGetAndVersions) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  WriteSet w1;
  w1.Put("things", "k", "v1");
  ASSERT_TRUE(store->Commit(w1).ok());
  auto r = store->Get("things", "k");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, "v1");
  EXPECT_EQ(r->version, 1u);

  WriteSet w2;
  w2.ExpectVersion("things", "k", 1);
  w2.Put("things", "k", "v2");
  ASSERT_TRUE(store->Commit(w2).ok());
  r = store->Get("things", "k");
  EXPECT_EQ(r->value, "v2");
  EXPECT_EQ(r->version, 2u);

  EXPECT_THAT(store->Get("things", "other").status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store->Get("others", "k").status(),
              StatusIs(absl::StatusCode::kNotFound))
      << "tables must not see each other's rows";
}

TEST(StoreTest, FailedPreconditionWritesNothing) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  WriteSet seed;
  seed.Put("things", "k", "v1");
  seed.Audit(Audit("seed"));
  ASSERT_TRUE(store->Commit(seed).ok());

  WriteSet stale;
  stale.ExpectVersion("things", "k", 7);
  stale.Put("things", "k", "v2");
  stale.Put("things", "side-effect", "x");
  stale.Audit(Audit("stale"));
  EXPECT_THAT(store->Commit(stale).status(),
              StatusIs(absl::StatusCode::kAborted));

  WriteSet dup;
  dup.ExpectAbsent("things", "k");
  dup.Put("things", "k", "v3");
  EXPECT_THAT(store->Commit(dup).status(),
              StatusIs(absl::StatusCode::kAborted));

  EXPECT_EQ(store->Get("things", "k")->value, "v1");
  EXPECT_THAT(store->Get("things", "side-effect").status(),
              StatusIs(absl::StatusCode::kNotFound));
  auto audit = store->ReadAudit(1, 100);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 1u) << "a refused write must not reach the log";
  EXPECT_EQ((*audit)[0].action(), "seed");
}

TEST(StoreTest, ReservedTablesAreRefused) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  WriteSet w;
  w.Put("_audit", "x", "forged");
  EXPECT_THAT(store->Commit(w).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(StoreTest, ScanPrefixStartAfterAndLimit) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  WriteSet w;
  for (int i = 0; i < 10; ++i) {
    std::string k;
    AppendString(&k, "fund-a");
    AppendUint64(&k, i);
    w.Put("rows", k, absl::StrCat("a", i));
    std::string other;
    AppendString(&other, "fund-b");
    AppendUint64(&other, i);
    w.PutIndex("rows", other);
  }
  ASSERT_TRUE(store->Commit(w).ok());
  std::string prefix;
  AppendString(&prefix, "fund-a");
  auto page1 = store->Scan("rows", prefix, "", 4);
  ASSERT_TRUE(page1.ok());
  ASSERT_EQ(page1->rows.size(), 4u);
  EXPECT_TRUE(page1->more);
  EXPECT_EQ(page1->rows[0].record.value, "a0");
  auto page2 = store->Scan("rows", prefix, page1->rows.back().key, 100);
  ASSERT_TRUE(page2.ok());
  ASSERT_EQ(page2->rows.size(), 6u);
  EXPECT_FALSE(page2->more);
  EXPECT_EQ(page2->rows[0].record.value, "a4");
  EXPECT_EQ(page2->rows[5].record.value, "a9");
  EXPECT_FALSE(store->Scan("rows", prefix, "", 0).ok());
}

TEST(StoreTest, ConcurrentCommitsAreAtomicAndNeverLoseAnUpdate) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  WriteSet init;
  init.Put("counters", "shared", "0");
  ASSERT_TRUE(store->Commit(init).ok());

  // 16 threads increment one shared counter with optimistic retries and
  // write rows of their own; every increment carries an audit entry.
  constexpr int kThreads = 16, kPerThread = 40;
  std::atomic<int> aborted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        while (true) {
          auto cur = store->Get("counters", "shared");
          ASSERT_TRUE(cur.ok());
          int value = std::stoi(cur->value);
          WriteSet w;
          w.ExpectVersion("counters", "shared", cur->version);
          w.Put("counters", "shared", absl::StrCat(value + 1));
          w.Put("own", absl::StrCat(t, "/", i), "x");
          w.Audit(Audit("increment"));
          auto r = store->Commit(w);
          if (r.ok()) break;
          ASSERT_THAT(r.status(), StatusIs(absl::StatusCode::kAborted))
              << r.status();
          ++aborted;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(store->Get("counters", "shared")->value,
            absl::StrCat(kThreads * kPerThread));
  auto own = store->Scan("own", "", "", 100000);
  EXPECT_EQ(own->rows.size(), static_cast<size_t>(kThreads * kPerThread));
  auto report = store->VerifyAuditChain();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->entries, static_cast<uint64_t>(kThreads * kPerThread))
      << "exactly one audit entry per successful commit (" << aborted
      << " conflicts retried)";
}

TEST(StoreTest, AuditChainResumesAfterReopen) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    for (int i = 0; i < 3; ++i) {
      WriteSet w;
      w.Audit(Audit(absl::StrCat("first-", i)));
      auto r = store->Commit(w);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->audit_seqs, std::vector<uint64_t>{uint64_t(i + 1)});
    }
  }
  auto store = OpenStore(dir.path());
  WriteSet w;
  w.Audit(Audit("after-reopen"));
  auto r = store->Commit(w);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->audit_seqs, std::vector<uint64_t>{4});
  auto report = store->VerifyAuditChain();
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->entries, 4u);
}

// Rewrites audit entry `seq` directly in RocksDB, bypassing the store.
void TamperWithAudit(const std::string& path, uint64_t seq, bool remove) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Options o;
  ASSERT_TRUE(rocksdb::DB::Open(o, path, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string key;
  AppendString(&key, "_audit");
  AppendUint64(&key, seq);
  if (remove) {
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), key).ok());
    return;
  }
  std::string value;
  ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), key, &value).ok());
  v1::AuditEntry e;
  ASSERT_TRUE(e.ParseFromString(value.substr(8)));
  e.set_details("amount changed after the fact");
  value = value.substr(0, 8) + e.SerializeAsString();
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), key, value).ok());
}

TEST(StoreTest, TamperedAuditEntryIsReportedAtItsSequenceNumber) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    for (int i = 0; i < 8; ++i) {
      WriteSet w;
      w.Audit(Audit(absl::StrCat("change-", i)));
      ASSERT_TRUE(store->Commit(w).ok());
    }
    auto clean = store->VerifyAuditChain();
    EXPECT_TRUE(clean->ok);
    EXPECT_EQ(clean->entries, 8u);
  }
  TamperWithAudit(dir.path(), 5, /*remove=*/false);
  auto store = OpenStore(dir.path());
  auto report = store->VerifyAuditChain();
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->first_broken_seq, 5u);
  EXPECT_EQ(report->entries, 4u);
}

TEST(StoreTest, DeletedAuditEntryIsReported) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    for (int i = 0; i < 6; ++i) {
      WriteSet w;
      w.Audit(Audit(absl::StrCat("change-", i)));
      ASSERT_TRUE(store->Commit(w).ok());
    }
  }
  TamperWithAudit(dir.path(), 3, /*remove=*/true);
  auto store = OpenStore(dir.path());
  auto report = store->VerifyAuditChain();
  EXPECT_FALSE(report->ok);
  EXPECT_EQ(report->first_broken_seq, 3u);
}

TEST(StoreTest, CheckpointIsAReadableCopy) {
  TempDir dir;
  auto store = OpenStore(dir.Sub("db"));
  WriteSet w;
  w.Put("things", "k", "v");
  w.Audit(Audit("x"));
  ASSERT_TRUE(store->Commit(w).ok());
  ASSERT_TRUE(store->Checkpoint(dir.Sub("backup")).ok());
  auto copy = OpenStore(dir.Sub("backup"));
  EXPECT_EQ(copy->Get("things", "k")->value, "v");
  EXPECT_TRUE(copy->VerifyAuditChain()->ok);
}

// Two stores sharing a barrier: while it is held, a commit to either waits
// (and is not in a checkpoint taken meanwhile); once released, it lands.
TEST(StoreTest, ACommitWaitsWhileItsBarrierIsHeld) {
  TempDir dir;
  absl::Mutex barrier;
  StoreOptions oa, ob;
  oa.path = dir.Sub("a");
  oa.commit_barrier = &barrier;
  ob.path = dir.Sub("b");
  ob.commit_barrier = &barrier;
  auto a = OpenRocksDbStore(oa);
  auto b = OpenRocksDbStore(ob);
  ASSERT_TRUE(a.ok() && b.ok());
  std::atomic<int> landed{0};
  barrier.Lock();
  std::vector<std::thread> writers;
  for (storage::Store* s : {a->get(), b->get()}) {
    writers.emplace_back([s, &landed] {
      WriteSet w;
      w.Put("things", "late", "v");
      ASSERT_TRUE(s->Commit(w).ok());
      ++landed;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(landed, 0) << "a commit ran through a held barrier";
  ASSERT_TRUE((*a)->Checkpoint(dir.Sub("held-a")).ok());
  ASSERT_TRUE((*b)->Checkpoint(dir.Sub("held-b")).ok());
  barrier.Unlock();
  for (auto& t : writers) t.join();
  EXPECT_EQ(landed, 2);
  EXPECT_EQ((*a)->Get("things", "late")->value, "v");
  for (const char* held : {"held-a", "held-b"}) {
    auto d = DigestStoreDir(dir.Sub(held));
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->records, 0u) << held << " holds the commit that waited";
  }
}

// The digest counts every key (audit entries included), changes with any
// value, and does not change the directory it reads.
TEST(StoreTest, DigestStoreDirTellsACopyFromADifferentStore) {
  TempDir dir;
  std::string head;
  {
    auto store = OpenStore(dir.Sub("db"));
    WriteSet w;
    w.Put("things", "k", "v");
    w.Put("things", "j", "w");
    w.Audit(Audit("x"));
    ASSERT_TRUE(store->Commit(w).ok());
    ASSERT_TRUE(store->Checkpoint(dir.Sub("copy")).ok());
    WriteSet w2;
    w2.Put("things", "k", "changed");
    ASSERT_TRUE(store->Commit(w2).ok());
    head = store->ReadAudit(1, 1)->front().hash();
  }
  auto original = DigestStoreDir(dir.Sub("db"));
  auto copy = DigestStoreDir(dir.Sub("copy"));
  ASSERT_TRUE(original.ok() && copy.ok());
  EXPECT_EQ(copy->records, 3u);  // two rows and one audit entry
  EXPECT_EQ(copy->audit_entries, 1u);
  EXPECT_EQ(copy->audit_head_hash, absl::BytesToHexString(head));
  EXPECT_EQ(original->records, 3u);
  EXPECT_NE(original->sha256, copy->sha256) << "a changed value went unseen";
  EXPECT_EQ(DigestStoreDir(dir.Sub("copy"))->sha256, copy->sha256);
  EXPECT_THAT(DigestStoreDir(dir.Sub("nothing-here")).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace grantflow::storage

namespace grantflow::storage {
namespace {

TEST(StoreMultiGetTest, ReturnsEachRowOrNotFoundInOrder) {
  testing::TempDir dir;
  auto store = testing::OpenStore(dir.path());
  WriteSet w;
  w.Put("things", "a", "1");
  w.Put("things", "c", "3");
  w.Put("others", "b", "x");
  ASSERT_TRUE(store->Commit(w).ok());
  auto rows = store->MultiGet("things", {"c", "b", "a"});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0]->value, "3");
  EXPECT_THAT((*rows)[1].status(), StatusIs(absl::StatusCode::kNotFound))
      << "a row of another table is not visible";
  EXPECT_EQ((*rows)[2]->value, "1");
  EXPECT_EQ((*rows)[2]->version, 1u);
}

}  // namespace
}  // namespace grantflow::storage
