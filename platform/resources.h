// Resource names, ids and proto field helpers shared by the services.
#ifndef GRANTFLOW_PLATFORM_RESOURCES_H_
#define GRANTFLOW_PLATFORM_RESOURCES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "google/protobuf/timestamp.pb.h"
#include "platform/errors.h"

namespace grantflow {

// True for a client-chosen id: 1-63 characters of [a-z0-9-], not starting
// or ending with '-' (e.g. lff, 2018-r1, md2192-grants).
bool IsValidId(absl::string_view id);

// Splits "c1/{id1}/c2/{id2}..." into ids when the collections match
// `collections` exactly and every id is valid; nullopt otherwise.
std::optional<std::vector<std::string>> ParseName(
    absl::string_view name, const std::vector<absl::string_view>& collections);

// A new server-chosen id: 10 base32 characters of milliseconds since the
// epoch (so ids sort by creation) and 4 random characters. Thread-safe.
std::string NewId(absl::Time now);

google::protobuf::Timestamp ToProto(absl::Time t);
absl::Time FromProto(const google::protobuf::Timestamp& t);

// Adds a violation for each path of `mask` not in `allowed`; a missing or
// empty mask is a violation too. `field` names the mask in messages.
void CheckUpdateMask(const google::protobuf::FieldMask& mask,
                     const std::vector<absl::string_view>& allowed,
                     errors::Violations* v,
                     absl::string_view field = "update_mask");

// The longest reason or description a person may give with a change (a
// fact's reason, a condition's description), in characters.
inline constexpr size_t kMaxReasonChars = 1000;

// Counts Unicode code points in UTF-8 text (for "at most N characters").
size_t Utf8Length(absl::string_view s);

// Adds a violation on `field` when `value` is empty ("is required") or
// longer than `max_chars` characters.
void RequireText(const std::string& value, const std::string& field,
                 size_t max_chars, errors::Violations* v);
// True when `value` holds more than spaces, tabs and line breaks: for free
// text a person must actually write (a reason, feedback).
bool HasText(absl::string_view value);

// Checks a list of user names: at most `max`, each a canonical identity
// (auth::CanonicalUser), none twice however spelt. Returns the canonical
// names of the valid ones, in order, each once.
std::vector<std::string> CheckUserList(
    const google::protobuf::RepeatedPtrField<std::string>& users,
    const std::string& field, int max, errors::Violations* v);

// Checks a list of evidence references (document ids, register entries): at
// most 10, each 1-300 characters of more than spaces.
void CheckReferences(
    const google::protobuf::RepeatedPtrField<std::string>& refs,
    const std::string& field, errors::Violations* v);

// Adds a violation on `field` when `value` is longer than `max_chars`.
void LimitText(const std::string& value, const std::string& field,
               size_t max_chars, errors::Violations* v);

// True for a SHA-256 written as 64 lower-case hex digits.
bool IsSha256Hex(absl::string_view s);

// True for a real calendar date written YYYY-MM-DD; sets *out to its midnight
// UTC.
bool ParseIsoDate(absl::string_view text, absl::Time* out);

// The UTC day of `t` written YYYY-MM-DD (grantflow's dates are UTC days).
std::string IsoDate(absl::Time t);

}  // namespace grantflow

#endif  // GRANTFLOW_PLATFORM_RESOURCES_H_
