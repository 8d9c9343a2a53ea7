// A typed view of one store table whose rows are protobuf messages that carry
// an `etag` field filled from the row version on every read.
#ifndef GRANTFLOW_PLATFORM_PROTO_TABLE_H_
#define GRANTFLOW_PLATFORM_PROTO_TABLE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "platform/errors.h"
#include "platform/paging.h"
#include "platform/status_macros.h"
#include "storage/store.h"

namespace grantflow {

template <typename Msg>
struct Versioned {
  Msg msg;  // etag already set
  uint64_t version = 0;
};

template <typename Msg>
struct Listed {
  std::vector<Msg> items;
  std::string next_page_token;
};

// Msg must have `etag` string. The table does not own the store; it is
// thread-safe as the store is.
template <typename Msg>
class ProtoTable {
 public:
  ProtoTable(storage::Store* store, std::string table, std::string kind)
      : store_(store), table_(std::move(table)), kind_(std::move(kind)) {}

  const std::string& table() const { return table_; }

  // NOT_FOUND naming `name` when absent.
  absl::StatusOr<Versioned<Msg>> Get(absl::string_view key,
                                     absl::string_view name) const {
    absl::StatusOr<storage::Record> rec = store_->Get(table_, key);
    if (absl::IsNotFound(rec.status())) {
      return absl::NotFoundError(absl::StrCat(kind_, " ", name, " not found"));
    }
    if (!rec.ok()) return rec.status();
    return Decode(*rec);
  }

  // The rows under `keys` in one batched read, in order; nullopt where a key
  // has no row. DATA_LOSS when a row does not decode, INTERNAL on I/O
  // failure.
  absl::StatusOr<std::vector<std::optional<Versioned<Msg>>>> GetMany(
      const std::vector<std::string>& keys) const {
    ASSIGN_OR_RETURN(auto rows, store_->MultiGet(table_, keys));
    std::vector<std::optional<Versioned<Msg>>> out;
    out.reserve(rows.size());
    for (absl::StatusOr<storage::Record>& row : rows) {
      if (absl::IsNotFound(row.status())) {
        out.emplace_back();
        continue;
      }
      if (!row.ok()) return row.status();
      ASSIGN_OR_RETURN(Versioned<Msg> v, Decode(*row));
      out.emplace_back(std::move(v));
    }
    return out;
  }

  // Calls `each` with every row's key and contents, in key order, reading
  // a batch at a time (work over a whole table: a report, an erasure);
  // stops at the first error, its own or DATA_LOSS for a row that does not
  // decode.
  absl::Status ForEach(absl::FunctionRef<absl::Status(
                           const std::string& key, const Versioned<Msg>& row)>
                           each) const {
    return ScanInBatches(
        *store_, table_, "", 500,
        [&](const std::vector<storage::ScanRow>& rows) -> absl::Status {
          for (const storage::ScanRow& row : rows) {
            ASSIGN_OR_RETURN(Versioned<Msg> v, Decode(row.record));
            RETURN_IF_ERROR(each(row.key, v));
          }
          return absl::OkStatus();
        });
  }

  // True when a row exists under `key`.
  absl::StatusOr<bool> Exists(absl::string_view key) const {
    absl::StatusOr<storage::Record> rec = store_->Get(table_, key);
    if (absl::IsNotFound(rec.status())) return false;
    if (!rec.ok()) return rec.status();
    return true;
  }

  // One page of rows whose key starts with `prefix`, at most page.size rows
  // and (beyond the first) kMaxPageBytes.
  absl::StatusOr<Listed<Msg>> List(absl::string_view prefix, const Page& page,
                                   absl::string_view query) const {
    ASSIGN_OR_RETURN(storage::ScanResult scan,
                     store_->Scan(table_, prefix, page.start_after, page.size));
    Listed<Msg> out;
    PageBytes budget;
    size_t used = 0;
    for (; used < scan.rows.size(); ++used) {
      const storage::ScanRow& row = scan.rows[used];
      if (!budget.Fits(row.record.value.size())) break;
      ASSIGN_OR_RETURN(Versioned<Msg> v, Decode(row.record));
      out.items.push_back(std::move(v.msg));
    }
    out.next_page_token = PageTokenAfter(scan, used, query);
    return out;
  }

  // Adds the row to `writes`, requiring it to be new.
  void Insert(storage::WriteSet& writes, absl::string_view key, Msg msg) const {
    msg.clear_etag();
    writes.ExpectAbsent(table_, key);
    writes.Put(table_, key, msg.SerializeAsString());
  }

  // Adds the row to `writes`, requiring it to still be at `version`.
  void Replace(storage::WriteSet& writes, absl::string_view key, Msg msg,
               uint64_t version) const {
    msg.clear_etag();
    writes.ExpectVersion(table_, key, version);
    writes.Put(table_, key, msg.SerializeAsString());
  }

  // DATA_LOSS when the stored bytes are not a Msg.
  absl::StatusOr<Versioned<Msg>> Decode(const storage::Record& rec) const {
    Versioned<Msg> v;
    if (!v.msg.ParseFromString(rec.value)) {
      return absl::DataLossError(
          absl::StrCat("a stored ", kind_, " cannot be read"));
    }
    v.version = rec.version;
    v.msg.set_etag(absl::StrCat(rec.version));
    return v;
  }

 private:
  storage::Store* store_;
  std::string table_;
  std::string kind_;
};

// ABORTED with reason ETAG_MISMATCH when the caller sent an etag that is not
// the current one; OK when the etag is empty (unconditional) or current.
absl::Status CheckEtag(absl::string_view sent, uint64_t current_version,
                       absl::string_view name);

}  // namespace grantflow

#endif  // GRANTFLOW_PLATFORM_PROTO_TABLE_H_
