// CSV for the files grantflow hands to spreadsheets and finance systems
// (remittance, the grant register): RFC 4180 rows, every text field quoted.
#ifndef GRANTFLOW_PLATFORM_CSV_H_
#define GRANTFLOW_PLATFORM_CSV_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace grantflow {

// A text field: quoted, quotes doubled, and a leading character a
// spreadsheet would read as a formula (= + - @ tab CR) neutralised with an
// apostrophe, so a recipient's name cannot run in the reader's spreadsheet.
std::string CsvField(absl::string_view s);

// Appends `fields` (each already a CsvField or a bare number) to `out` as
// one row ending in CRLF.
void AppendCsvRow(std::string* out, const std::vector<std::string>& fields);

}  // namespace grantflow

#endif  // GRANTFLOW_PLATFORM_CSV_H_
