#include "platform/clock.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace grantflow {

absl::Time FakeClock::Now() {
  absl::MutexLock l(&mu_);
  return now_;
}

void FakeClock::Set(absl::Time t) {
  absl::MutexLock l(&mu_);
  now_ = t;
}

void FakeClock::Advance(absl::Duration d) {
  absl::MutexLock l(&mu_);
  now_ += d;
}

absl::Time FileClock::Now() {
  std::ifstream in(path_);
  if (!in) return absl::Now();
  std::stringstream ss;
  ss << in.rdbuf();
  absl::StatusOr<absl::Time> t =
      ParseRfc3339(std::string(absl::StripAsciiWhitespace(ss.str())));
  return t.ok() ? *t : absl::Now();
}

absl::StatusOr<absl::Time> ParseRfc3339(const std::string& text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not an RFC 3339 time: ", err));
  }
  return t;
}

}  // namespace grantflow
