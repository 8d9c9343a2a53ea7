#include "tests/testing/forge.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace grantflow::testing {

std::string B64(const std::string& s) { return absl::WebSafeBase64Escape(s); }

std::string SignRaw(const std::string& private_pem,
                    const nlohmann::json& header,
                    const nlohmann::json& payload) {
  FILE* f = fopen(private_pem.c_str(), "r");
  if (f == nullptr) return "";
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  fclose(f);
  const std::string input =
      absl::StrCat(B64(header.dump()), ".", B64(payload.dump()));
  unsigned char sig[64];
  size_t len = sizeof(sig);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key);
  EVP_DigestSign(ctx, sig, &len,
                 reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return absl::StrCat(input, ".",
                      B64(std::string(reinterpret_cast<char*>(sig), len)));
}

std::string Hs256Keyed(const std::string& key_file,
                       const nlohmann::json& header,
                       const nlohmann::json& payload) {
  std::stringstream bytes;
  bytes << std::ifstream(key_file, std::ios::binary).rdbuf();
  const std::string key = bytes.str();
  const std::string input =
      absl::StrCat(B64(header.dump()), ".", B64(payload.dump()));
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
       &len);
  return absl::StrCat(input, ".",
                      B64(std::string(reinterpret_cast<char*>(mac), len)));
}

std::string FlipByte(std::string token, size_t pos) {
  if (pos < token.size() && token[pos] != '.') {
    token[pos] = token[pos] == 'A' ? 'B' : 'A';
  }
  return token;
}

}  // namespace grantflow::testing
