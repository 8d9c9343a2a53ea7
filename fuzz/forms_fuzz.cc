// What people type into the portal (web/forms): any text read as pounds is
// refused or gives pence within platform's cap that print and parse back to
// themselves; any day / month / year is refused or a real date that splits
// back into its parts; a timestamp of any text is said or passed through.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz/check.h"
#include "platform/money.h"
#include "web/forms.h"

using grantflow::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace grantflow::web;
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (std::optional<int64_t> p = ParsePounds(text)) {
    Check(*p >= 0 && *p <= grantflow::kMaxAmountPence);
    Check(ParsePounds(PoundsForInput(*p)) == p);
  }
  const size_t a = size / 3, b = 2 * size / 3;
  const std::string d = text.substr(0, a), m = text.substr(a, b - a),
                    y = text.substr(b);
  if (std::optional<std::string> iso = IsoDate(d, m, y)) {
    const DateParts parts = SplitIsoDate(*iso);
    Check(IsoDate(parts.day, parts.month, parts.year) == iso);
    Check(!LongDate(*iso).empty());
  }
  Check(!LondonTimeOf(text).empty() || text.empty());
  return 0;
}
