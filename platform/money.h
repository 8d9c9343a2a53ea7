// Money is an integer number of pence (int64), currency GBP; never floating
// point. Every amount that enters grantflow — a budget line's ceiling, a
// round's limits, an amount requested, an award and its allocations, an
// instalment, a payment — is between 1 and kMaxAmountPence, and every sum is
// computed with AddPence, which refuses to overflow instead of wrapping.
#ifndef GRANTFLOW_PLATFORM_MONEY_H_
#define GRANTFLOW_PLATFORM_MONEY_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "platform/errors.h"

namespace grantflow {

// The largest single amount grantflow accepts anywhere: £100,000,000.00.
// Ten times the largest budget line in the seed programmes; it catches pounds
// typed as pence, and with it no realistic sum comes near int64's range.
inline constexpr int64_t kMaxAmountPence = 10'000'000'000;

// "£1,234.56" for 123456; "-£0.05" for -5.
std::string FormatPounds(int64_t pence);

// Pounds with two decimals and no symbol or separators, for files other
// software reads (CSV, open data): "1234.05" for 123405; "-0.05" for -5.
std::string DecimalPounds(int64_t pence);

// Adds a violation on `field` unless 1 <= pence <= kMaxAmountPence.
void ValidateAmount(int64_t pence, absl::string_view field,
                    errors::Violations* v);

// a + b, or nullopt when the sum would leave int64's range.
std::optional<int64_t> AddPence(int64_t a, int64_t b);
// The sum of `terms`, or nullopt when any partial sum would overflow.
std::optional<int64_t> SumPence(std::initializer_list<int64_t> terms);

}  // namespace grantflow

#endif  // GRANTFLOW_PLATFORM_MONEY_H_
