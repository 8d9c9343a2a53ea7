// Token parsing (platform/auth): any bytes offered as a bearer token are
// refused with UNAUTHENTICATED or verified, never a crash, a hang or another
// code; a verified token names a canonical user and known roles only.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/time/time.h"
#include "fuzz/check.h"
#include "platform/auth.h"

namespace {

grantflow::auth::TokenVerifier* verifier = nullptr;

}  // namespace

using grantflow::fuzz::Check;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char dir[] = "/tmp/grantflow-token-fuzz-XXXXXX";
  Check(mkdtemp(dir) != nullptr);
  auto keys = grantflow::auth::EnsureDevKeyPair(dir);
  Check(keys.ok());
  verifier = new grantflow::auth::TokenVerifier();
  Check(verifier->AddPublicKeyPem(keys->public_pem).ok());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string token(reinterpret_cast<const char*>(data), size);
  auto who = verifier->Verify(token, absl::FromUnixSeconds(1'777'626'000));
  if (!who.ok()) {
    Check(who.status().code() == absl::StatusCode::kUnauthenticated);
    return 0;
  }
  // Only a token signed by the key made at start-up can get here.
  Check(grantflow::auth::CanonicalUser(who->user) == who->user);
  for (const std::string& r : who->roles) {
    Check(grantflow::auth::IsKnownRole(r));
  }
  return 0;
}
