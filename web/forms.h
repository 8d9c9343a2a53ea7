// What people type into the portal's forms, turned into what the services
// take: amounts in pence (never floating point), dates as YYYY-MM-DD from
// GOV.UK's day / month / year inputs, and the service's field paths mapped
// back to the inputs that hold them. Pure functions; thread-safe.
#ifndef GRANTFLOW_WEB_FORMS_H_
#define GRANTFLOW_WEB_FORMS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace grantflow::web {

// Pounds as people write them: "25000", "25,000", "£25,000.50", "0.75".
// Commas only between groups of three digits, at most two decimals, no sign.
// nullopt for anything else and for amounts above platform's
// kMaxAmountPence, so the caller can say what is wrong in words.
std::optional<int64_t> ParsePounds(absl::string_view text);

// "25000.50" for 2500050 and "25000" for 2500000: how an amount is put back
// into a form field.
std::string PoundsForInput(int64_t pence);

// "2027-03-01" from day "1", month "3", year "2027"; nullopt unless they
// make a real calendar date in years 1900-2999.
std::optional<std::string> IsoDate(absl::string_view day,
                                   absl::string_view month,
                                   absl::string_view year);

// The day, month and year of "2027-03-01" ("1", "3", "2027"); empty strings
// when `iso` is not such a date.
struct DateParts {
  std::string day, month, year;
};
DateParts SplitIsoDate(absl::string_view iso);

// "1 March 2027" for "2027-03-01"; `iso` itself when it is not a date.
std::string LongDate(absl::string_view iso);

// London's time zone (GMT/BST) from Debian's tzdata, loaded once; UTC if
// tzdata is missing.
const absl::TimeZone& LondonZone();

// "12:00 on 14 March 2025": the time in London (GMT or BST), as GOV.UK
// writes times ("12am" forms avoided: 24-hour clock).
std::string LondonTime(absl::Time t);

// The same for an RFC 3339 timestamp as services put it in error metadata;
// `rfc3339` itself when it does not parse.
std::string LondonTimeOf(absl::string_view rfc3339);

}  // namespace grantflow::web

#endif  // GRANTFLOW_WEB_FORMS_H_
