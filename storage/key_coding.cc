#include "storage/key_coding.h"

namespace grantflow::storage {

void AppendUint64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

void AppendInt64(std::string* out, int64_t v) {
  AppendUint64(out, static_cast<uint64_t>(v) ^ (uint64_t{1} << 63));
}

void AppendString(std::string* out, absl::string_view s) {
  for (char c : s) {
    out->push_back(c);
    if (c == '\0') out->push_back('\xFF');
  }
  out->push_back('\0');
  out->push_back('\x01');
}

std::string PrefixSuccessor(absl::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    unsigned char last = static_cast<unsigned char>(s.back());
    if (last != 0xFF) {
      s.back() = static_cast<char>(last + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

bool KeyReader::ReadUint64(uint64_t* v) {
  if (rest_.size() < 8) return false;
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) {
    r = (r << 8) | static_cast<unsigned char>(rest_[i]);
  }
  *v = r;
  rest_.remove_prefix(8);
  return true;
}

bool KeyReader::ReadInt64(int64_t* v) {
  uint64_t u;
  if (!ReadUint64(&u)) return false;
  *v = static_cast<int64_t>(u ^ (uint64_t{1} << 63));
  return true;
}

bool KeyReader::ReadString(std::string* s) {
  std::string r;
  for (size_t i = 0; i < rest_.size(); ++i) {
    char c = rest_[i];
    if (c != '\0') {
      r.push_back(c);
      continue;
    }
    if (i + 1 >= rest_.size()) return false;
    char next = rest_[i + 1];
    if (next == '\xFF') {
      r.push_back('\0');
      ++i;
    } else if (next == '\x01') {
      *s = std::move(r);
      rest_.remove_prefix(i + 2);
      return true;
    } else {
      return false;
    }
  }
  return false;
}

}  // namespace grantflow::storage
