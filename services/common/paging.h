// page_size / page_token handling (AIP-158) for lists served by index scans.
//
// A page token is opaque to clients: web-safe base64 of the query's
// fingerprint and the last key returned, so a token cannot be replayed
// against a different query.
#ifndef GRANTFLOW_SERVICES_COMMON_PAGING_H_
#define GRANTFLOW_SERVICES_COMMON_PAGING_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "services/common/errors.h"
#include "storage/store.h"

namespace grantflow {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;

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

}  // namespace grantflow

#endif  // GRANTFLOW_SERVICES_COMMON_PAGING_H_
