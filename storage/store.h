// The storage interface every grantflow service keeps its state behind.
//
// A Store is a set of named tables of (key, value) rows in one RocksDB
// directory. Every row carries a version that starts at 1 and grows by one on
// each Put, which services expose as the resource's etag. All changes go
// through Commit(), which applies a WriteSet atomically: either every
// precondition holds and every row, index entry and audit entry is written and
// synced, or nothing is. RocksDB's own Status never leaks past this interface.
#ifndef GRANTFLOW_STORAGE_STORE_H_
#define GRANTFLOW_STORAGE_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "grantflow/storage/v1/storage.pb.h"

namespace rocksdb {
class FileSystem;
}  // namespace rocksdb

namespace grantflow::storage {

// One stored row.
struct Record {
  uint64_t version = 0;  // 0 for index rows written with PutIndex
  std::string value;
};

// One row returned by a scan; `key` excludes the table prefix.
struct ScanRow {
  std::string key;
  Record record;
};

struct ScanResult {
  std::vector<ScanRow> rows;
  bool more = false;  // true when rows were left after `limit`
};

// What a caller wants recorded in the audit log with a change (rule R8). The
// store fills in seq, prev_hash and hash.
struct AuditRecord {
  int64_t time_micros = 0;
  std::string actor;
  std::string action;
  std::string resource;
  std::string request_id;
  std::string reason;
  std::string details;
};

// A set of changes and preconditions committed together by Store::Commit.
// Build it on one thread; it is not thread-safe. Table names must not start
// with '_' (reserved for the store's own tables).
class WriteSet {
 public:
  // Preconditions, checked at commit time against the latest state.
  void ExpectAbsent(absl::string_view table, absl::string_view key);
  void ExpectVersion(absl::string_view table, absl::string_view key,
                     uint64_t version);

  // Writes a row; its version becomes the previous version + 1 (1 if new).
  void Put(absl::string_view table, absl::string_view key,
           absl::string_view value);
  // Writes an index row: empty value, version 0, no read of the old row.
  void PutIndex(absl::string_view table, absl::string_view key);
  // Writes a row the caller knows is new by construction (an append-only
  // log keyed by a sequence it owns, such as a case's history): version 1,
  // no read of the old row. Use Put when the row may exist.
  void Append(absl::string_view table, absl::string_view key,
              absl::string_view value);
  void Delete(absl::string_view table, absl::string_view key);

  // Appends an audit entry with the change. A WriteSet may carry several.
  void Audit(AuditRecord record);

  bool empty() const { return ops_.empty() && audits_.empty(); }

  // Exposed for Store implementations.
  enum class OpKind {
    kExpectAbsent,
    kExpectVersion,
    kPut,
    kPutIndex,
    kAppend,
    kDelete
  };
  struct Op {
    OpKind kind;
    std::string table;
    std::string key;
    std::string value;
    uint64_t version = 0;
  };
  const std::vector<Op>& ops() const { return ops_; }
  const std::vector<AuditRecord>& audits() const { return audits_; }

 private:
  std::vector<Op> ops_;
  std::vector<AuditRecord> audits_;
};

// What Commit changed.
struct CommitResult {
  // Audit sequence numbers assigned to the WriteSet's audit records, in order.
  std::vector<uint64_t> audit_seqs;
};

// What VerifyAuditChain found.
struct AuditChainReport {
  uint64_t entries = 0;  // entries checked
  bool ok = true;
  uint64_t first_broken_seq = 0;  // set when !ok
  std::string problem;            // set when !ok
};

struct StoreOptions {
  std::string path;  // directory; created if missing
  // Sync the write-ahead log before Commit returns. Only benchmarks and
  // throwaway tests may turn this off: acknowledged writes must survive
  // kill -9 (rule R8).
  bool sync = true;
  // Largest number of concurrent WriteSets committed with one sync.
  int max_group_size = 128;
  // Not owned; may be shared by several stores. Each Commit holds it shared
  // for its duration, so whoever holds it exclusively (a backup) holds
  // every commit of the stores sharing it at one instant: checkpoints taken
  // then are the state a kill -9 at that instant would leave. Null: none.
  absl::Mutex* commit_barrier = nullptr;
  // The file system RocksDB writes through. Null: the operating system's.
  // Tests put a power-loss simulator here (tests/testing/power_loss_fs.h);
  // the store keeps it alive for as long as it is open.
  std::shared_ptr<rocksdb::FileSystem> file_system;
};

// What a store directory holds, to tell a copy from its original.
struct StoreDigest {
  uint64_t records = 0;  // every key, reserved tables (audit) included
  std::string sha256;    // hex, over every key and value in key order
  uint64_t audit_entries = 0;
  std::string audit_head_hash;  // hex; empty with no entries
};

// Thread-safe: any number of threads may call any method concurrently.
// Concurrent Commit calls are grouped and share one WAL sync (group commit);
// reads never wait for a sync.
class Store {
 public:
  virtual ~Store() = default;

  // Returns the row, NOT_FOUND when absent, INTERNAL on I/O failure.
  virtual absl::StatusOr<Record> Get(absl::string_view table,
                                     absl::string_view key) = 0;

  // Reads several rows of one table in one batched lookup (cheaper than
  // separate Gets for a page of results). The i-th result is the i-th key's
  // row or NOT_FOUND; the call itself fails only on I/O errors (INTERNAL).
  virtual absl::StatusOr<std::vector<absl::StatusOr<Record>>> MultiGet(
      absl::string_view table, const std::vector<std::string>& keys) = 0;

  // Returns up to `limit` rows of `table` whose key starts with `prefix`, in
  // key order, starting after `start_after` when it is non-empty.
  // INVALID_ARGUMENT if limit <= 0; INTERNAL on I/O failure.
  virtual absl::StatusOr<ScanResult> Scan(absl::string_view table,
                                          absl::string_view prefix,
                                          absl::string_view start_after,
                                          int limit) = 0;

  // Applies `writes` atomically and durably. Returns ABORTED, writing nothing,
  // when a precondition does not hold; INVALID_ARGUMENT for a malformed
  // WriteSet (reserved table); INTERNAL on I/O failure (nothing acknowledged).
  virtual absl::StatusOr<CommitResult> Commit(const WriteSet& writes) = 0;

  // Reads audit entries with seq >= from_seq, at most `limit`.
  virtual absl::StatusOr<std::vector<v1::AuditEntry>> ReadAudit(
      uint64_t from_seq, int limit) = 0;

  // Walks the whole audit chain, recomputing every hash. Returns the report;
  // a non-OK status only for I/O failure.
  virtual absl::StatusOr<AuditChainReport> VerifyAuditChain() = 0;

  // Writes a consistent on-disk copy (RocksDB checkpoint) to `dir`, which
  // must not exist. INTERNAL on failure.
  virtual absl::Status Checkpoint(const std::string& dir) = 0;

  // RocksDB's own figures for operators (metrics): whether writes are
  // stopped, the delayed write rate, compactions running and pending, and
  // the bytes waiting for compaction, keyed by RocksDB's property names
  // without the "rocksdb." prefix. A figure RocksDB cannot give is left out.
  virtual std::map<std::string, uint64_t> Stats() { return {}; }
};

// Opens (creating if needed) a RocksDB-backed store. Recovery is opening:
// the write-ahead log is replayed and the audit chain resumes from its last
// entry. Returns INTERNAL when the database cannot be opened, DATA_LOSS when
// the audit chain's tail cannot be read.
absl::StatusOr<std::unique_ptr<Store>> OpenRocksDbStore(
    const StoreOptions& options);

// Reads a closed store directory (a checkpoint, or a store no process has
// open) read-only, without changing it, and digests everything in it.
// NOT_FOUND when `path` holds no store; INTERNAL on I/O failure; DATA_LOSS
// when an audit entry cannot be parsed.
absl::StatusOr<StoreDigest> DigestStoreDir(const std::string& path);

}  // namespace grantflow::storage

#endif  // GRANTFLOW_STORAGE_STORE_H_
