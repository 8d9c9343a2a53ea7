#include "platform/csv.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace grantflow {

std::string CsvField(absl::string_view s) {
  std::string out = "\"";
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
                     s[0] == '\t' || s[0] == '\r')) {
    out.push_back('\'');
  }
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

void AppendCsvRow(std::string* out, const std::vector<std::string>& fields) {
  absl::StrAppend(out, absl::StrJoin(fields, ","), "\r\n");
}

}  // namespace grantflow
