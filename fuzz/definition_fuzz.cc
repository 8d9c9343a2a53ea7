// Definition loading (workflows/definitions): any text offered as a
// lifecycle definition parses and validates, or is refused with
// INVALID_ARGUMENT; a definition that loads has a terminal state reachable
// and a next state for every transition it lists.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz/check.h"
#include "workflows/definitions.h"

using grantflow::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  grantflow::workflows::DefinitionRegistry registry;
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::Status s = registry.AddText("fuzz", text);
  if (!s.ok()) {
    if (s.code() != absl::StatusCode::kInvalidArgument) {
      std::fprintf(stderr, "refused with %s\n", s.ToString().c_str());
      std::abort();
    }
    return 0;
  }
  // Names() says "NAME vVERSION".
  for (const std::string& shown : registry.Names()) {
    const size_t v = shown.rfind(" v");
    Check(v != std::string::npos);
    auto def = registry.Get(shown.substr(0, v), std::stoi(shown.substr(v + 2)));
    Check(def.ok());
    for (const auto& t : (*def)->proto().transitions()) {
      const std::string* next = (*def)->Next(t.from(), t.fact());
      if (next == nullptr || (*def)->State(*next) == nullptr) {
        std::fprintf(stderr, "%s --%s--> %s has no next state\n",
                     t.from().c_str(), t.fact().c_str(), t.to().c_str());
        std::abort();
      }
    }
  }
  return 0;
}
