#include "platform/resources.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "platform/auth.h"

namespace grantflow {

bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  if (id[0] == '-') return false;
  if (id.back() == '-') return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return true;
}

std::optional<std::vector<std::string>> ParseName(
    absl::string_view name, const std::vector<absl::string_view>& collections) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != collections.size() * 2) return std::nullopt;
  std::vector<std::string> ids;
  for (size_t i = 0; i < collections.size(); ++i) {
    if (parts[2 * i] != collections[i]) return std::nullopt;
    if (!IsValidId(parts[2 * i + 1])) return std::nullopt;
    ids.emplace_back(parts[2 * i + 1]);
  }
  return ids;
}

std::string NewId(absl::Time now) {
  static constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
  thread_local std::mt19937_64 rng(std::random_device{}());
  uint64_t ms = static_cast<uint64_t>(absl::ToUnixMillis(now));
  std::string id(14, '0');
  for (int i = 9; i >= 0; --i) {
    id[i] = kAlphabet[ms & 31];
    ms >>= 5;
  }
  uint64_t r = rng();
  for (int i = 10; i < 14; ++i) {
    id[i] = kAlphabet[r & 31];
    r >>= 5;
  }
  // Ids must start with a letter to be valid resource ids.
  return absl::StrCat("g", id);
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  int64_t micros = absl::ToUnixMicros(t);
  int64_t secs = micros / 1000000;
  int64_t rem = micros % 1000000;
  if (rem < 0) {
    rem += 1000000;
    --secs;
  }
  ts.set_seconds(secs);
  ts.set_nanos(static_cast<int32_t>(rem * 1000));
  return ts;
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

void CheckUpdateMask(const google::protobuf::FieldMask& mask,
                     const std::vector<absl::string_view>& allowed,
                     errors::Violations* v, absl::string_view field) {
  if (mask.paths().empty()) {
    v->Add(field, absl::StrCat("is required; updatable fields: ",
                               absl::StrJoin(allowed, ", ")));
    return;
  }
  for (const std::string& p : mask.paths()) {
    if (std::find(allowed.begin(), allowed.end(), p) == allowed.end()) {
      v->Add(field, absl::StrCat("'", p, "' cannot be updated; updatable: ",
                                 absl::StrJoin(allowed, ", ")));
    }
  }
}

size_t Utf8Length(absl::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

void RequireText(const std::string& value, const std::string& field,
                 size_t max_chars, errors::Violations* v) {
  if (value.empty()) {
    v->Add(field, "is required");
  } else {
    LimitText(value, field, max_chars, v);
  }
}

bool HasText(absl::string_view value) {
  return value.find_first_not_of(" \t\r\n") != absl::string_view::npos;
}

std::vector<std::string> CheckUserList(
    const google::protobuf::RepeatedPtrField<std::string>& users,
    const std::string& field, int max, errors::Violations* v) {
  std::vector<std::string> out;
  if (users.size() > max) {
    v->Add(field, absl::StrCat("must have at most ", max, " users"));
  }
  for (int i = 0; i < users.size(); ++i) {
    const std::string f = absl::StrCat(field, "[", i, "]");
    std::optional<std::string> u = auth::CanonicalUser(users[i]);
    if (!u) {
      v->Add(f,
             "must be a user name of 1-128 printable ASCII characters "
             "without spaces");
    } else if (std::find(out.begin(), out.end(), *u) != out.end()) {
      v->Add(f, "is listed twice (user names ignore case)");
    } else {
      out.push_back(*std::move(u));
    }
  }
  return out;
}

void CheckReferences(
    const google::protobuf::RepeatedPtrField<std::string>& refs,
    const std::string& field, errors::Violations* v) {
  if (refs.size() > 10) {
    v->Add(field, "at most 10 references");
    return;
  }
  for (int i = 0; i < refs.size(); ++i) {
    if (!HasText(refs[i]) || Utf8Length(refs[i]) > 300) {
      v->Add(absl::StrCat(field, "[", i, "]"),
             "must be a reference of 1-300 characters");
    }
  }
}

void LimitText(const std::string& value, const std::string& field,
               size_t max_chars, errors::Violations* v) {
  if (Utf8Length(value) > max_chars) {
    v->Add(field, absl::StrCat("must be at most ", max_chars, " characters"));
  }
}

bool ParseIsoDate(absl::string_view text, absl::Time* out) {
  if (text.size() != 10) return false;
  absl::Time t;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%d", std::string(text), absl::UTCTimeZone(), &t,
                       &err)) {
    return false;
  }
  // Reject dates the parser normalised (e.g. 2026-02-30).
  if (absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone()) != text) {
    return false;
  }
  *out = t;
  return true;
}

std::string IsoDate(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone());
}

bool IsSha256Hex(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace grantflow
