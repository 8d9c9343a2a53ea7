#include "web/forms.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "platform/money.h"

namespace grantflow::web {
namespace {

constexpr const char* kMonths[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

const absl::TimeZone& LondonZone() {
  static const absl::TimeZone* tz = [] {
    auto* z = new absl::TimeZone;
    // Debian's tzdata; UTC only if it is missing (scripts/install-deps
    // installs it).
    if (!absl::LoadTimeZone("Europe/London", z)) *z = absl::UTCTimeZone();
    return z;
  }();
  return *tz;
}

std::optional<int64_t> ParsePounds(absl::string_view text) {
  absl::string_view s = absl::StripAsciiWhitespace(text);
  absl::ConsumePrefix(&s, "\xC2\xA3");  // "£" in UTF-8
  s = absl::StripLeadingAsciiWhitespace(s);
  if (s.empty() || s.size() > 24) return std::nullopt;
  absl::string_view whole = s, frac;
  if (size_t dot = s.find('.'); dot != absl::string_view::npos) {
    whole = s.substr(0, dot);
    frac = s.substr(dot + 1);
    if (frac.empty() || frac.size() > 2 || !AllDigits(frac)) {
      return std::nullopt;
    }
  }
  // Commas group thousands: "25,000" but never "2,50" or ",250".
  std::string digits;
  if (whole.find(',') != absl::string_view::npos) {
    size_t first = whole.find(',');
    if (first == 0 || first > 3) return std::nullopt;
    for (size_t i = first; i < whole.size(); i += 4) {
      if (whole[i] != ',' || i + 4 > whole.size()) return std::nullopt;
    }
    for (char c : whole) {
      if (c != ',') digits.push_back(c);
    }
  } else {
    digits = std::string(whole);
  }
  if (!AllDigits(digits) || digits.size() > 12) return std::nullopt;
  int64_t pounds = 0;
  if (!absl::SimpleAtoi(digits, &pounds)) return std::nullopt;
  int64_t pence = 0;
  if (!frac.empty()) {
    absl::SimpleAtoi(frac, &pence);
    if (frac.size() == 1) pence *= 10;
  }
  // At most 12 digits of pounds, so no overflow before the cap.
  const int64_t total = pounds * 100 + pence;
  if (total > kMaxAmountPence) return std::nullopt;
  return total;
}

std::string PoundsForInput(int64_t pence) {
  if (pence % 100 == 0) return absl::StrCat(pence / 100);
  return absl::StrFormat("%d.%02d", pence / 100, pence % 100);
}

std::optional<std::string> IsoDate(absl::string_view day,
                                   absl::string_view month,
                                   absl::string_view year) {
  day = absl::StripAsciiWhitespace(day);
  month = absl::StripAsciiWhitespace(month);
  year = absl::StripAsciiWhitespace(year);
  if (!AllDigits(day) || !AllDigits(month) || !AllDigits(year) ||
      day.size() > 2 || month.size() > 2 || year.size() != 4) {
    return std::nullopt;
  }
  int d = 0, m = 0, y = 0;
  absl::SimpleAtoi(day, &d);
  absl::SimpleAtoi(month, &m);
  absl::SimpleAtoi(year, &y);
  if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1) return std::nullopt;
  const absl::CivilDay civil(y, m, d);
  // CivilDay normalises 31 February into March: a real date survives.
  if (civil.year() != y || civil.month() != m || civil.day() != d) {
    return std::nullopt;
  }
  return absl::StrFormat("%04d-%02d-%02d", y, m, d);
}

DateParts SplitIsoDate(absl::string_view iso) {
  absl::CivilDay day;
  if (iso.size() != 10 || !absl::ParseCivilTime(iso, &day)) return {};
  return {absl::StrCat(day.day()), absl::StrCat(day.month()),
          absl::StrCat(day.year())};
}

std::string LongDate(absl::string_view iso) {
  absl::CivilDay day;
  if (iso.size() != 10 || !absl::ParseCivilTime(iso, &day)) {
    return std::string(iso);
  }
  return absl::StrCat(day.day(), " ", kMonths[day.month() - 1], " ",
                      day.year());
}

std::string LondonTime(absl::Time t) {
  const absl::CivilSecond c = absl::ToCivilSecond(t, LondonZone());
  return absl::StrFormat("%02d:%02d on %d %s %d", c.hour(), c.minute(), c.day(),
                         kMonths[c.month() - 1], c.year());
}

std::string LondonTimeOf(absl::string_view rfc3339) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) {
    return std::string(rfc3339);
  }
  return LondonTime(t);
}

}  // namespace grantflow::web
