// Key decoding (storage/key_coding): arbitrary bytes read as a sequence of
// typed values never crash, and what is read re-encodes to exactly the bytes
// consumed (the encoding is canonical); for two strings taken from the
// input, the encodings sort as the strings do.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz/check.h"
#include "storage/key_coding.h"

using grantflow::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace grantflow::storage;
  if (size == 0) return 0;
  // The first byte is the schema: two bits a value (string, u64, i64).
  const uint8_t schema = data[0];
  const std::string key(reinterpret_cast<const char*>(data + 1), size - 1);
  KeyReader r(key);
  std::string again;
  for (int i = 0; i < 4 && !r.done(); ++i) {
    const size_t before = r.rest().size();
    switch ((schema >> (2 * i)) & 3) {
      case 0:
      case 3: {
        std::string s;
        if (!r.ReadString(&s)) {
          Check(r.rest().size() == before);  // consumes nothing on failure
          i = 4;
          break;
        }
        AppendString(&again, s);
        break;
      }
      case 1: {
        uint64_t v;
        if (!r.ReadUint64(&v)) {
          Check(r.rest().size() == before);
          i = 4;
          break;
        }
        AppendUint64(&again, v);
        break;
      }
      case 2: {
        int64_t v;
        if (!r.ReadInt64(&v)) {
          Check(r.rest().size() == before);
          i = 4;
          break;
        }
        AppendInt64(&again, v);
        break;
      }
    }
  }
  // What was read re-encodes to exactly the bytes it came from.
  Check(key.compare(0, again.size(), again) == 0);
  Check(again.size() + r.rest().size() == key.size());

  // Order: split the input in two strings; encodings compare as they do.
  const size_t half = key.size() / 2;
  const std::string a = key.substr(0, half), b = key.substr(half);
  std::string ea, eb;
  AppendString(&ea, a);
  AppendString(&eb, b);
  Check((a < b) == (ea < eb));
  Check((a == b) == (ea == eb));
  // And a prefix successor bounds every key under its prefix.
  const std::string succ = PrefixSuccessor(a);
  if (!succ.empty()) Check(key.substr(0, a.size()) != a || key < succ);
  return 0;
}
