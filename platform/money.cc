#include "platform/money.h"

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

std::string DecimalPounds(int64_t pence) {
  const bool negative = pence < 0;
  const uint64_t p = negative ? 0 - static_cast<uint64_t>(pence) : pence;
  return absl::StrFormat("%s%d.%02d", negative ? "-" : "", p / 100, p % 100);
}

void ValidateAmount(int64_t pence, absl::string_view field,
                    errors::Violations* v) {
  if (pence < 1 || pence > kMaxAmountPence) {
    v->Add(field, absl::StrCat("must be a whole number of pence from 1 to ",
                               kMaxAmountPence, " (",
                               FormatPounds(kMaxAmountPence), ")"));
  }
}

std::optional<int64_t> AddPence(int64_t a, int64_t b) {
  int64_t sum;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

std::optional<int64_t> SumPence(std::initializer_list<int64_t> terms) {
  int64_t total = 0;
  for (int64_t t : terms) {
    std::optional<int64_t> next = AddPence(total, t);
    if (!next) return std::nullopt;
    total = *next;
  }
  return total;
}

}  // namespace grantflow
