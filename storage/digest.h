// SHA-256, the one digest grantflow uses: the audit chain's links, request
// fingerprints, and the funding agreement documents signatures bind to.
#ifndef GRANTFLOW_STORAGE_DIGEST_H_
#define GRANTFLOW_STORAGE_DIGEST_H_

#include <string>

#include "absl/strings/string_view.h"

namespace grantflow::storage {

// The 32-byte SHA-256 of `bytes`. Thread-safe.
std::string Sha256(absl::string_view bytes);
// The same as 64 lower-case hex digits.
std::string Sha256Hex(absl::string_view bytes);

}  // namespace grantflow::storage

#endif  // GRANTFLOW_STORAGE_DIGEST_H_
