// Order-preserving key encoding.
//
// Keys built with these functions sort, byte-wise, in the same order as the
// tuples of values they encode, so a RocksDB prefix scan returns rows in
// logical order and a composite key's leading components form a scan prefix.
#ifndef GRANTFLOW_STORAGE_KEY_CODING_H_
#define GRANTFLOW_STORAGE_KEY_CODING_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace grantflow::storage {

// Appends `v` as 8 big-endian bytes.
void AppendUint64(std::string* out, uint64_t v);

// Appends `v` as 8 big-endian bytes with the sign bit flipped, so negative
// numbers sort before positive ones.
void AppendInt64(std::string* out, int64_t v);

// Appends `s` with every 0x00 byte written as 0x00 0xFF and a 0x00 0x01
// terminator. The result is prefix-free: no encoded string is a prefix of
// another, and "a" < "ab" holds after encoding as before.
void AppendString(std::string* out, absl::string_view s);

// Returns the smallest string greater than every string starting with
// `prefix`, or "" when there is none (prefix is all 0xFF bytes).
std::string PrefixSuccessor(absl::string_view prefix);

// Decodes keys built with the Append* functions, in the same order.
// Not thread-safe; the viewed bytes must outlive the reader.
class KeyReader {
 public:
  explicit KeyReader(absl::string_view key) : rest_(key) {}

  // Each returns false, consuming nothing, when the next bytes are not a
  // well-formed value of that type.
  bool ReadUint64(uint64_t* v);
  bool ReadInt64(int64_t* v);
  bool ReadString(std::string* s);

  bool done() const { return rest_.empty(); }
  absl::string_view rest() const { return rest_; }

 private:
  absl::string_view rest_;
};

}  // namespace grantflow::storage

#endif  // GRANTFLOW_STORAGE_KEY_CODING_H_
