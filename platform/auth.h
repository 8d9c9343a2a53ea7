// Bearer tokens: who is calling, with which roles.
//
// Tokens are compact JWS (JWT) signed with Ed25519, alg pinned to "EdDSA":
// "none", HS*, ES*, RS* and any other alg are rejected, as are expired
// tokens, a wrong issuer or audience, and an unknown key id. Keys are
// PEM files handled through OpenSSL.
#ifndef GRANTFLOW_PLATFORM_AUTH_H_
#define GRANTFLOW_PLATFORM_AUTH_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace grantflow::auth {

inline constexpr char kIssuer[] = "grantflow";
inline constexpr char kAudience[] = "grantflow";

// The roles of ARCHITECTURE.md §5.
const std::vector<std::string>& KnownRoles();
bool IsKnownRole(const std::string& role);

// The canonical form of a user identity. People are compared by it wherever
// it matters (separation of duties, signatories, organisation members), so
// "Sam" and "sam" are one person. The rule: 1-128 printable ASCII characters
// (0x21-0x7E: no spaces, no control characters, no letters from other
// scripts that could pose as ASCII look-alikes), ASCII letters lower-cased.
// nullopt when `raw` breaks it; tokens whose subject breaks it are refused.
std::optional<std::string> CanonicalUser(absl::string_view raw);

// The verified caller.
struct Principal {
  std::string user;                // "sub", canonical (CanonicalUser)
  std::vector<std::string> roles;  // each a known role
  std::string organisation;        // organisations/{id}, for applicants
  std::map<std::string, int64_t>
      limits_pence;  // delegated limits, e.g. "approve"
  // Roles held only in some funds: role -> the funds ("funds/{id}") it
  // holds in. A role absent here holds in every fund; one present with no
  // funds holds in none. (An assessor for the family fund only:
  // {"assessor": {"funds/lff"}}.) Token claim "role_funds".
  std::map<std::string, std::vector<std::string>> role_funds;
  bool HasRole(const std::string& role) const;
  // HasRole(role), and the role holds in `fund` ("funds/{id}").
  bool HasRoleIn(const std::string& role, absl::string_view fund) const;
  // True when no role is limited to some funds.
  bool InEveryFund() const { return role_funds.empty(); }
};

// OK when `who` holds one of `roles` in `fund` (any role of theirs when
// `roles` is empty), or `fund` is "" (the resource is under no fund).
// PERMISSION_DENIED with reason ROLE_NOT_IN_FUND otherwise.
absl::Status RequireRoleIn(const Principal& who,
                           const std::vector<std::string>& roles,
                           absl::string_view fund);

// "funds/{id}" of a resource under a fund ("funds/lff",
// "funds/lff/rounds/2018-r1", "funds/lff/budgetLines/a"); "" for anything
// else.
std::string FundOf(absl::string_view resource);

// True when every role of the principal is an organisation's (applicant,
// signatory): such a caller acts only for the organisation in its token,
// never as funder staff. (A principal with no roles counts as scoped: it may
// do the least.)
bool IsOrganisationScoped(const Principal& p);

struct TokenClaims {
  Principal principal;
  absl::Time issued_at;
  absl::Time expires_at;
};

// Holds one Ed25519 private key. Thread-safe after construction.
class TokenSigner {
 public:
  ~TokenSigner();
  TokenSigner(const TokenSigner&) = delete;
  TokenSigner& operator=(const TokenSigner&) = delete;

  // Loads a PKCS#8 PEM private key. INVALID_ARGUMENT if not Ed25519,
  // NOT_FOUND / INTERNAL when unreadable.
  static absl::StatusOr<std::unique_ptr<TokenSigner>> FromPemFile(
      const std::string& path);

  // Returns a signed token. INTERNAL only if OpenSSL fails.
  absl::StatusOr<std::string> Sign(const TokenClaims& claims) const;
  const std::string& key_id() const { return key_id_; }

 private:
  TokenSigner(void* pkey, std::string key_id);
  void* pkey_;  // EVP_PKEY*, owned
  std::string key_id_;
};

// Verifies tokens against a set of trusted public keys. Add keys before
// sharing; Verify is then thread-safe.
class TokenVerifier {
 public:
  TokenVerifier() = default;
  ~TokenVerifier();
  TokenVerifier(const TokenVerifier&) = delete;
  TokenVerifier& operator=(const TokenVerifier&) = delete;

  // Trusts the Ed25519 public key in a PEM file (SubjectPublicKeyInfo).
  absl::Status AddPublicKeyPem(const std::string& path);

  // UNAUTHENTICATED, with the reason, for any token that is malformed,
  // uses another alg, is signed by an unknown key, has a bad signature, is
  // expired or not yet valid at `now`, or names another issuer or audience.
  // Thread-safe. A token verified once is remembered (up to kCacheSize of
  // them) with its validity window, so the same bytes are not checked again
  // until they expire; only its times are checked against each `now`.
  absl::StatusOr<Principal> Verify(const std::string& token,
                                   absl::Time now) const;

  static constexpr size_t kCacheSize = 4096;

 private:
  struct Verified {
    Principal who;
    absl::Time not_before = absl::InfinitePast();
    absl::Time expires = absl::InfinitePast();
  };
  // The full check; fills *window's times on success.
  absl::StatusOr<Principal> VerifyUncached(const std::string& token,
                                           absl::Time now,
                                           Verified* window) const;

  absl::flat_hash_map<std::string, void*> keys_;  // kid -> EVP_PKEY*, owned
  mutable absl::Mutex cache_mu_;
  mutable absl::flat_hash_map<std::string, Verified> cache_
      ABSL_GUARDED_BY(cache_mu_);
};

// Paths of a key pair on disk.
struct KeyPairPaths {
  std::string private_pem;
  std::string public_pem;
};

// Makes sure `dir` holds a development key pair (token-signing.pem, mode
// 0600, and token-signing.pub.pem), generating one on first use.
absl::StatusOr<KeyPairPaths> EnsureDevKeyPair(const std::string& dir);

// The key id of a public key: the first 16 hex digits of the SHA-256 of its
// raw 32 bytes.
std::string KeyIdOf(void* evp_pkey);

}  // namespace grantflow::auth

#endif  // GRANTFLOW_PLATFORM_AUTH_H_
