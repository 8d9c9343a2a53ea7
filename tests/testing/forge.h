// Forged and damaged bearer tokens, for tests that check a verifier (or a
// server) refuses them.
#ifndef GRANTFLOW_TESTS_TESTING_FORGE_H_
#define GRANTFLOW_TESTS_TESTING_FORGE_H_

#include <nlohmann/json.hpp>
#include <string>

namespace grantflow::testing {

// base64url, as JWTs use it.
std::string B64(const std::string& s);

// header.payload signed with the Ed25519 private key at `private_pem`,
// whatever the header and payload say.
std::string SignRaw(const std::string& private_pem,
                    const nlohmann::json& header,
                    const nlohmann::json& payload);

// header.payload with an HMAC-SHA256 keyed with the bytes of the file at
// `key_file` (the public key, in the classic algorithm-confusion attack).
std::string Hs256Keyed(const std::string& key_file,
                       const nlohmann::json& header,
                       const nlohmann::json& payload);

// `token` with the byte at `pos` changed to another base64url character.
std::string FlipByte(std::string token, size_t pos);

}  // namespace grantflow::testing

#endif  // GRANTFLOW_TESTS_TESTING_FORGE_H_
