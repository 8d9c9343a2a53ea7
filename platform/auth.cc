#include "platform/auth.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "platform/errors.h"
#include "platform/reasons.h"
#include "platform/status_macros.h"

namespace grantflow::auth {
namespace {

using nlohmann::json;

EVP_PKEY* AsKey(void* p) { return static_cast<EVP_PKEY*>(p); }

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("invalid token: ", why));
}

std::string B64(absl::string_view bytes) {
  return absl::WebSafeBase64Escape(bytes);
}

absl::StatusOr<std::string> UnB64(absl::string_view text) {
  std::string out;
  if (!absl::WebSafeBase64Unescape(text, &out)) {
    return Unauthenticated("bad base64url");
  }
  return out;
}

std::string HexPrefix(const unsigned char* d, int n) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < n; ++i) {
    s.push_back(kHex[d[i] >> 4]);
    s.push_back(kHex[d[i] & 15]);
  }
  return s;
}

}  // namespace

const std::vector<std::string>& KnownRoles() {
  static const auto* roles = new std::vector<std::string>{
      "applicant", "signatory", "assessor", "moderator", "grants_officer",
      "approver", "safeguarding_officer", "finance_officer", "finance_approver",
      "auditor", "admin",
      // grantflowd's own identity between services
      "service"};
  return *roles;
}

bool IsKnownRole(const std::string& role) {
  const auto& r = KnownRoles();
  return std::find(r.begin(), r.end(), role) != r.end();
}

bool Principal::HasRole(const std::string& role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool Principal::HasRoleIn(const std::string& role,
                          absl::string_view fund) const {
  if (!HasRole(role)) return false;
  auto it = role_funds.find(role);
  if (it == role_funds.end()) return true;
  return std::find(it->second.begin(), it->second.end(), fund) !=
         it->second.end();
}

absl::Status RequireRoleIn(const Principal& who,
                           const std::vector<std::string>& roles,
                           absl::string_view fund) {
  if (fund.empty() || who.InEveryFund()) return absl::OkStatus();
  const std::vector<std::string>& wanted = roles.empty() ? who.roles : roles;
  for (const std::string& r : wanted) {
    if (who.HasRoleIn(r, fund)) return absl::OkStatus();
  }
  return errors::WithReason(
      absl::PermissionDeniedError(absl::StrCat(
          who.user, " holds ", absl::StrJoin(wanted, " or "),
          roles.empty() ? " roles" : "", " in other funds, not in ", fund)),
      reasons::kRoleNotInFund, {{"fund", std::string(fund)}});
}

std::string FundOf(absl::string_view resource) {
  constexpr absl::string_view kFunds = "funds/";
  if (!absl::StartsWith(resource, kFunds)) return "";
  const size_t end = resource.find('/', kFunds.size());
  const absl::string_view fund = resource.substr(0, end);
  if (fund.size() == kFunds.size()) return "";
  return std::string(fund);
}

std::string KeyIdOf(void* evp_pkey) {
  unsigned char raw[64];
  size_t len = sizeof(raw);
  if (EVP_PKEY_get_raw_public_key(AsKey(evp_pkey), raw, &len) != 1) return "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int dlen = 0;
  EVP_Digest(raw, len, digest, &dlen, EVP_sha256(), nullptr);
  return HexPrefix(digest, 8);
}

TokenSigner::TokenSigner(void* pkey, std::string key_id)
    : pkey_(pkey), key_id_(std::move(key_id)) {}

TokenSigner::~TokenSigner() { EVP_PKEY_free(AsKey(pkey_)); }

absl::StatusOr<std::unique_ptr<TokenSigner>> TokenSigner::FromPemFile(
    const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot open key file ", path));
  }
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (key == nullptr) {
    return absl::InternalError(absl::StrCat("cannot parse key file ", path));
  }
  if (EVP_PKEY_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not an Ed25519 private key"));
  }
  std::string kid = KeyIdOf(key);
  return std::unique_ptr<TokenSigner>(new TokenSigner(key, kid));
}

absl::StatusOr<std::string> TokenSigner::Sign(const TokenClaims& c) const {
  json header = {{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", key_id_}};
  json payload = {{"iss", kIssuer},
                  {"aud", kAudience},
                  {"sub", c.principal.user},
                  {"roles", c.principal.roles},
                  {"iat", absl::ToUnixSeconds(c.issued_at)},
                  {"exp", absl::ToUnixSeconds(c.expires_at)}};
  if (!c.principal.organisation.empty()) {
    payload["org"] = c.principal.organisation;
  }
  if (!c.principal.limits_pence.empty()) {
    payload["limits_pence"] = c.principal.limits_pence;
  }
  if (!c.principal.role_funds.empty()) {
    payload["role_funds"] = c.principal.role_funds;
  }
  std::string signing_input =
      absl::StrCat(B64(header.dump()), ".", B64(payload.dump()));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char sig[64];
  size_t sig_len = sizeof(sig);
  bool ok =
      ctx != nullptr &&
      EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, AsKey(pkey_)) == 1 &&
      EVP_DigestSign(
          ctx, sig, &sig_len,
          reinterpret_cast<const unsigned char*>(signing_input.data()),
          signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return absl::InternalError("Ed25519 signing failed");
  return absl::StrCat(
      signing_input, ".",
      B64(absl::string_view(reinterpret_cast<char*>(sig), sig_len)));
}

TokenVerifier::~TokenVerifier() {
  for (auto& [kid, key] : keys_) EVP_PKEY_free(AsKey(key));
}

absl::Status TokenVerifier::AddPublicKeyPem(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot open key file ", path));
  }
  EVP_PKEY* key = PEM_read_PUBKEY(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (key == nullptr || EVP_PKEY_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not an Ed25519 public key"));
  }
  std::string kid = KeyIdOf(key);
  auto [it, inserted] = keys_.emplace(kid, key);
  if (!inserted) EVP_PKEY_free(key);
  return absl::OkStatus();
}

absl::StatusOr<Principal> TokenVerifier::Verify(const std::string& token,
                                                absl::Time now) const {
  {
    absl::MutexLock l(&cache_mu_);
    auto hit = cache_.find(token);
    if (hit != cache_.end()) {
      if (hit->second.expires <= now) return Unauthenticated("expired");
      if (hit->second.not_before > now) {
        return Unauthenticated("not yet valid");
      }
      return hit->second.who;
    }
  }
  Verified window;
  absl::StatusOr<Principal> who = VerifyUncached(token, now, &window);
  if (who.ok()) {
    window.who = *who;
    absl::MutexLock l(&cache_mu_);
    if (cache_.size() >= kCacheSize) cache_.clear();
    cache_.emplace(token, std::move(window));
  }
  return who;
}

absl::StatusOr<Principal> TokenVerifier::VerifyUncached(
    const std::string& token, absl::Time now, Verified* window) const {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return Unauthenticated("not a compact JWS");
  ASSIGN_OR_RETURN(std::string header_text, UnB64(parts[0]));
  json header = json::parse(header_text, nullptr, /*allow_exceptions=*/false);
  if (!header.is_object()) return Unauthenticated("header is not JSON");
  if (!header.contains("alg") || !header["alg"].is_string() ||
      header["alg"].get<std::string>() != "EdDSA") {
    return Unauthenticated("alg must be EdDSA");
  }
  if (!header.contains("kid") || !header["kid"].is_string()) {
    return Unauthenticated("no key id");
  }
  auto key = keys_.find(header["kid"].get<std::string>());
  if (key == keys_.end()) return Unauthenticated("unknown key id");

  ASSIGN_OR_RETURN(std::string sig, UnB64(parts[2]));
  std::string signing_input = absl::StrCat(parts[0], ".", parts[1]);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool good =
      ctx != nullptr &&
      EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr,
                           AsKey(key->second)) == 1 &&
      EVP_DigestVerify(
          ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
          reinterpret_cast<const unsigned char*>(signing_input.data()),
          signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!good) return Unauthenticated("bad signature");

  ASSIGN_OR_RETURN(std::string payload_text, UnB64(parts[1]));
  json p = json::parse(payload_text, nullptr, /*allow_exceptions=*/false);
  if (!p.is_object()) return Unauthenticated("payload is not JSON");
  auto str = [&p](const char* k) -> std::string {
    return p.contains(k) && p[k].is_string() ? p[k].get<std::string>() : "";
  };
  if (str("iss") != kIssuer) return Unauthenticated("wrong issuer");
  bool aud_ok = str("aud") == kAudience;
  if (p.contains("aud") && p["aud"].is_array()) {
    for (const auto& a : p["aud"]) {
      if (a.is_string() && a.get<std::string>() == kAudience) aud_ok = true;
    }
  }
  if (!aud_ok) return Unauthenticated("wrong audience");
  if (!p.contains("exp") || !p["exp"].is_number_integer()) {
    return Unauthenticated("no expiry");
  }
  window->expires = absl::FromUnixSeconds(p["exp"].get<int64_t>());
  if (window->expires <= now) return Unauthenticated("expired");
  if (p.contains("nbf") && p["nbf"].is_number_integer()) {
    window->not_before = absl::FromUnixSeconds(p["nbf"].get<int64_t>());
    if (window->not_before > now) return Unauthenticated("not yet valid");
  }
  Principal who;
  std::optional<std::string> user = CanonicalUser(str("sub"));
  if (!user) {
    return Unauthenticated(
        "the subject is not a user name (1-128 printable ASCII characters)");
  }
  who.user = *std::move(user);
  if (!p.contains("roles") || !p["roles"].is_array()) {
    return Unauthenticated("no roles");
  }
  for (const auto& r : p["roles"]) {
    if (!r.is_string() || !IsKnownRole(r.get<std::string>())) {
      return Unauthenticated("unknown role");
    }
    who.roles.push_back(r.get<std::string>());
  }
  who.organisation = str("org");
  if (p.contains("limits_pence") && p["limits_pence"].is_object()) {
    for (auto& [k, v] : p["limits_pence"].items()) {
      if (v.is_number_integer()) who.limits_pence[k] = v.get<int64_t>();
    }
  }
  // A scope that cannot be read must not widen into every fund: refuse the
  // token instead.
  if (p.contains("role_funds")) {
    if (!p["role_funds"].is_object()) {
      return Unauthenticated("role_funds must map roles to lists of funds");
    }
    for (auto& [role, funds] : p["role_funds"].items()) {
      if (!who.HasRole(role) || !funds.is_array()) {
        return Unauthenticated(
            "role_funds must map roles the token holds to lists of funds");
      }
      std::vector<std::string>& held = who.role_funds[role];
      for (const auto& f : funds) {
        if (!f.is_string() || FundOf(f.get<std::string>()) != f) {
          return Unauthenticated("role_funds lists something not a fund");
        }
        held.push_back(f.get<std::string>());
      }
    }
  }
  return who;
}

bool IsOrganisationScoped(const Principal& p) {
  return std::all_of(p.roles.begin(), p.roles.end(), [](const std::string& r) {
    return r == "applicant" || r == "signatory";
  });
}

std::optional<std::string> CanonicalUser(absl::string_view raw) {
  if (raw.empty() || raw.size() > 128) return std::nullopt;
  std::string out(raw);
  for (char& c : out) {
    if (c < 0x21 || c > 0x7e) return std::nullopt;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

absl::StatusOr<KeyPairPaths> EnsureDevKeyPair(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot create ", dir, ": ", ec.message()));
  }
  KeyPairPaths paths{dir + "/token-signing.pem",
                     dir + "/token-signing.pub.pem"};
  if (std::filesystem::exists(paths.private_pem) &&
      std::filesystem::exists(paths.public_pem)) {
    return paths;
  }
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) return absl::InternalError("Ed25519 keygen failed");
  // Write to temporary names, then rename, so a crash never leaves half a key.
  std::string tmp_priv = paths.private_pem + ".tmp";
  std::string tmp_pub = paths.public_pem + ".tmp";
  FILE* f = std::fopen(tmp_priv.c_str(), "w");
  bool ok =
      f != nullptr && chmod(tmp_priv.c_str(), 0600) == 0 &&
      PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (f != nullptr) std::fclose(f);
  FILE* g = ok ? std::fopen(tmp_pub.c_str(), "w") : nullptr;
  ok = ok && g != nullptr && PEM_write_PUBKEY(g, key) == 1;
  if (g != nullptr) std::fclose(g);
  EVP_PKEY_free(key);
  if (!ok) return absl::InternalError("cannot write the key pair");
  std::filesystem::rename(tmp_pub, paths.public_pem, ec);
  if (!ec) std::filesystem::rename(tmp_priv, paths.private_pem, ec);
  if (ec) return absl::InternalError("cannot install the key pair");
  return paths;
}

}  // namespace grantflow::auth
