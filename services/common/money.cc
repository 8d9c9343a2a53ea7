#include "services/common/money.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace grantflow {

std::string FormatPounds(int64_t pence) {
  const bool negative = pence < 0;
  const uint64_t p = negative ? 0 - static_cast<uint64_t>(pence) : pence;
  const std::string whole = absl::StrCat(p / 100);
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped.push_back(',');
    grouped.push_back(whole[i]);
  }
  return absl::StrFormat("%s£%s.%02d", negative ? "-" : "", grouped, p % 100);
}

}  // namespace grantflow
