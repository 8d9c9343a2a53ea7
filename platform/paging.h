// page_size / page_token handling (AIP-158) for lists served by index scans.
//
// A page token is opaque to clients: web-safe base64 of the query's
// fingerprint and the last key returned, so a token cannot be replayed
// against a different query.
#ifndef GRANTFLOW_PLATFORM_PAGING_H_
#define GRANTFLOW_PLATFORM_PAGING_H_

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "platform/errors.h"
#include "storage/store.h"

namespace grantflow {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;
// A page stops early, with a next_page_token, once its items would pass this
// many encoded bytes, so every answer stays well inside gRPC's 4 MiB default
// message limit whatever the records hold. A single item always fits (every
// record is bounded far below this).
inline constexpr size_t kMaxPageBytes = 2 * 1024 * 1024;

// Counts a page's bytes against kMaxPageBytes. Not thread-safe.
class PageBytes {
 public:
  // True when an item of `bytes` still fits (always for the first); counts
  // it if so.
  bool Fits(size_t bytes) {
    if (count_ > 0 && used_ + bytes > kMaxPageBytes) return false;
    used_ += bytes;
    ++count_;
    return true;
  }

 private:
  size_t used_ = 0;
  int count_ = 0;
};

struct Page {
  int size = kDefaultPageSize;
  std::string start_after;  // index key to continue after; "" for the start
};

// page_size 0 means the default; above the maximum is coerced to it;
// negative, or a token that is malformed or from another query, adds a
// violation to `v`.
Page ParsePage(int32_t page_size, const std::string& page_token,
               absl::string_view query, errors::Violations* v);

std::string MakePageToken(absl::string_view query, absl::string_view last_key);

// The token for the page after `scan` ("" when it was the last page).
std::string NextPageToken(const storage::ScanResult& scan,
                          absl::string_view query);
// The same when only the first `used` rows of `scan` went into the page
// (because the page reached kMaxPageBytes): the next page starts after them.
std::string PageTokenAfter(const storage::ScanResult& scan, size_t used,
                           absl::string_view query);

// Calls `batch` with every row of `table` under `prefix`, in key order,
// `size` rows at a time (for work over a whole table or index, such as a
// report or an erasure); stops at the first error `batch` returns.
absl::Status ScanInBatches(
    storage::Store& store, absl::string_view table, absl::string_view prefix,
    int size,
    absl::FunctionRef<absl::Status(const std::vector<storage::ScanRow>&)>
        batch);

}  // namespace grantflow

#endif  // GRANTFLOW_PLATFORM_PAGING_H_
