#include "platform/paging.h"

#include "absl/strings/escaping.h"
#include "storage/key_coding.h"

namespace grantflow {

Page ParsePage(int32_t page_size, const std::string& page_token,
               absl::string_view query, errors::Violations* v) {
  Page page;
  if (page_size < 0) {
    v->Add("page_size", "must not be negative");
  } else if (page_size > 0) {
    page.size = page_size > kMaxPageSize ? kMaxPageSize : page_size;
  }
  if (page_token.empty()) return page;
  std::string raw;
  std::string token_query;
  if (!absl::WebSafeBase64Unescape(page_token, &raw)) {
    v->Add("page_token", "is not a token this service issued");
    return page;
  }
  storage::KeyReader r(raw);
  if (!r.ReadString(&token_query) || token_query != query || r.done()) {
    v->Add("page_token",
           "does not belong to this query; send the same filters as the "
           "request that returned it");
    return page;
  }
  page.start_after = std::string(r.rest());
  return page;
}

std::string MakePageToken(absl::string_view query, absl::string_view last_key) {
  std::string raw;
  storage::AppendString(&raw, query);
  raw.append(last_key.data(), last_key.size());
  return absl::WebSafeBase64Escape(raw);
}

std::string NextPageToken(const storage::ScanResult& scan,
                          absl::string_view query) {
  if (!scan.more || scan.rows.empty()) return "";
  return MakePageToken(query, scan.rows.back().key);
}

std::string PageTokenAfter(const storage::ScanResult& scan, size_t used,
                           absl::string_view query) {
  if (used >= scan.rows.size()) return NextPageToken(scan, query);
  if (used == 0) return "";  // not reached: one item always fits
  return MakePageToken(query, scan.rows[used - 1].key);
}

absl::Status ScanInBatches(
    storage::Store& store, absl::string_view table, absl::string_view prefix,
    int size,
    absl::FunctionRef<absl::Status(const std::vector<storage::ScanRow>&)>
        batch) {
  std::string after;
  while (true) {
    absl::StatusOr<storage::ScanResult> scan =
        store.Scan(table, prefix, after, size);
    if (!scan.ok()) return scan.status();
    if (scan->rows.empty()) return absl::OkStatus();
    absl::Status s = batch(scan->rows);
    if (!s.ok()) return s;
    if (!scan->more) return absl::OkStatus();
    after = scan->rows.back().key;
  }
}

}  // namespace grantflow
