#include "platform/auth.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/testing/forge.h"
#include "tests/testing/matchers.h"
#include "tests/testing/temp_dir.h"

namespace grantflow::auth {
namespace {

using ::grantflow::testing::HasReason;
using ::grantflow::testing::IsOk;
using ::grantflow::testing::StatusIs;
using ::testing::HasSubstr;

using ::grantflow::testing::TempDir;
using nlohmann::json;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

TokenClaims Claims() {
  TokenClaims c;
  c.principal.user = "amira";
  c.principal.roles = {"applicant"};
  c.principal.organisation = "organisations/hackney-families";
  c.principal.limits_pence = {{"approve", 5'000'000}};
  c.issued_at = kNow - absl::Minutes(1);
  c.expires_at = kNow + absl::Hours(1);
  return c;
}

using ::grantflow::testing::B64;
using ::grantflow::testing::Hs256Keyed;
using ::grantflow::testing::SignRaw;

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto keys = EnsureDevKeyPair(dir_.Sub("keys"));
    ASSERT_TRUE(keys.ok()) << keys.status();
    keys_ = *keys;
    auto signer = TokenSigner::FromPemFile(keys_.private_pem);
    ASSERT_TRUE(signer.ok());
    signer_ = *std::move(signer);
    ASSERT_TRUE(verifier_.AddPublicKeyPem(keys_.public_pem).ok());
  }
  json Header() {
    return {{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", signer_->key_id()}};
  }
  json Payload() {
    return {{"iss", "grantflow"},
            {"aud", "grantflow"},
            {"sub", "amira"},
            {"roles", {"applicant"}},
            {"exp", absl::ToUnixSeconds(kNow) + 60}};
  }
  void ExpectRejected(const std::string& token, const std::string& why) {
    auto r = verifier_.Verify(token, kNow);
    EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kUnauthenticated))
        << why << ": " << r.status();
  }

  TempDir dir_;
  KeyPairPaths keys_;
  std::unique_ptr<TokenSigner> signer_;
  TokenVerifier verifier_;
};

TEST_F(AuthTest, SignedTokenVerifiesWithItsClaims) {
  auto token = signer_->Sign(Claims());
  ASSERT_TRUE(token.ok());
  auto p = verifier_.Verify(*token, kNow);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->user, "amira");
  EXPECT_EQ(p->roles, std::vector<std::string>{"applicant"});
  EXPECT_EQ(p->organisation, "organisations/hackney-families");
  EXPECT_EQ(p->limits_pence.at("approve"), 5'000'000);
}

TEST_F(AuthTest, KeyPairIsKeptAcrossCallsAndPrivateKeyIsOwnerOnly) {
  auto again = EnsureDevKeyPair(dir_.Sub("keys"));
  ASSERT_TRUE(again.ok());
  auto signer2 = TokenSigner::FromPemFile(again->private_pem);
  EXPECT_EQ((*signer2)->key_id(), signer_->key_id());
  struct stat st;
  ASSERT_EQ(stat(keys_.private_pem.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
}

TEST_F(AuthTest, ExpiredTokenIsRejected) {
  TokenClaims c = Claims();
  c.expires_at = kNow - absl::Seconds(1);
  ExpectRejected(*signer_->Sign(c), "expired");
}

// A token verified once is remembered, but only for its own lifetime: the
// same bytes are refused once expired, and before their not-before time
// even after being accepted once (a clock moved back).
TEST_F(AuthTest, ARememberedTokenStillExpiresAndStillWaitsForItsStart) {
  // Payload() expires 60 s after kNow.
  const std::string token = SignRaw(keys_.private_pem, Header(), Payload());
  ASSERT_TRUE(verifier_.Verify(token, kNow).ok());
  ASSERT_TRUE(verifier_.Verify(token, kNow + absl::Seconds(59)).ok());
  auto late = verifier_.Verify(token, kNow + absl::Seconds(60));
  EXPECT_THAT(late.status(), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(late.status().message()), HasSubstr("expired"));

  json p = Payload();
  p["nbf"] = absl::ToUnixSeconds(kNow);
  const std::string later = SignRaw(keys_.private_pem, Header(), p);
  EXPECT_FALSE(verifier_.Verify(later, kNow - absl::Seconds(1)).ok());
  ASSERT_TRUE(verifier_.Verify(later, kNow).ok());
  auto early = verifier_.Verify(later, kNow - absl::Seconds(1));
  EXPECT_THAT(early.status(), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(early.status().message()),
              HasSubstr("not yet valid"));

  // A byte changed anywhere is another token, checked in full.
  std::string tampered = token;
  tampered[tampered.size() - 2] =
      tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verifier_.Verify(tampered, kNow).ok());
}

TEST_F(AuthTest, AlgNoneIsRejected) {
  json h = Header();
  h["alg"] = "none";
  std::string unsigned_token =
      absl::StrCat(B64(h.dump()), ".", B64(Payload().dump()), ".");
  ExpectRejected(unsigned_token, "alg none");
  // Even correctly signed, a header naming another alg is refused.
  ExpectRejected(SignRaw(keys_.private_pem, h, Payload()), "alg none signed");
}

TEST_F(AuthTest, Hs256WithThePublicKeyAsSecretIsRejected) {
  // The classic confusion attack: HMAC keyed with the public key's bytes.
  json h = Header();
  h["alg"] = "HS256";
  ExpectRejected(Hs256Keyed(keys_.public_pem, h, Payload()), "HS256");
}

TEST_F(AuthTest, WrongIssuerAudienceAndUnknownRoleAreRejected) {
  json p = Payload();
  p["iss"] = "someone-else";
  ExpectRejected(SignRaw(keys_.private_pem, Header(), p), "issuer");
  p = Payload();
  p["aud"] = "another-service";
  ExpectRejected(SignRaw(keys_.private_pem, Header(), p), "audience");
  p = Payload();
  p["roles"] = {"superuser"};
  ExpectRejected(SignRaw(keys_.private_pem, Header(), p), "role");
  p = Payload();
  p["nbf"] = absl::ToUnixSeconds(kNow) + 3600;
  ExpectRejected(SignRaw(keys_.private_pem, Header(), p), "not yet valid");
  // The same payload with correct values verifies, so the refusals above are
  // about the changed claim and nothing else.
  EXPECT_TRUE(
      verifier_.Verify(SignRaw(keys_.private_pem, Header(), Payload()), kNow)
          .ok());
}

TEST_F(AuthTest, UnknownKeyAndTamperedPayloadAreRejected) {
  TempDir other;
  auto other_keys = EnsureDevKeyPair(other.Sub("keys"));
  auto other_signer = TokenSigner::FromPemFile(other_keys->private_pem);
  ExpectRejected(*(*other_signer)->Sign(Claims()), "unknown key");

  // Same kid, different key: the signature cannot verify.
  json h = Header();
  ExpectRejected(SignRaw(other_keys->private_pem, h, Payload()),
                 "signed by another key under this kid");

  std::string token = *signer_->Sign(Claims());
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  json p = Payload();
  p["roles"] = {"admin"};
  ExpectRejected(absl::StrCat(parts[0], ".", B64(p.dump()), ".", parts[2]),
                 "payload swapped");
  ExpectRejected("not-a-token", "garbage");
  ExpectRejected("a.b", "two parts");
}

}  // namespace
}  // namespace grantflow::auth

namespace grantflow::auth {
namespace {

TEST_F(AuthTest, RolesScopedToFundsTravelInTheToken) {
  TokenClaims c = Claims();
  c.principal.roles = {"assessor", "grants_officer"};
  c.principal.organisation = "";
  c.principal.role_funds = {{"assessor", {"funds/lff"}}};
  auto p = verifier_.Verify(*signer_->Sign(c), kNow);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->role_funds, c.principal.role_funds);
  EXPECT_TRUE(p->HasRoleIn("assessor", "funds/lff"));
  EXPECT_FALSE(p->HasRoleIn("assessor", "funds/culture-seeds"));
  // Unscoped roles hold in every fund; roles not held, in none.
  EXPECT_TRUE(p->HasRoleIn("grants_officer", "funds/culture-seeds"));
  EXPECT_FALSE(p->HasRoleIn("approver", "funds/lff"));
  EXPECT_THAT(RequireRoleIn(*p, {"assessor"}, "funds/culture-seeds"),
              HasReason("ROLE_NOT_IN_FUND"));
  EXPECT_THAT(RequireRoleIn(*p, {"assessor"}, "funds/lff"), IsOk());
  EXPECT_THAT(RequireRoleIn(*p, {}, "funds/culture-seeds"), IsOk());
  EXPECT_THAT(RequireRoleIn(*p, {"assessor"}, ""), IsOk());
}

TEST_F(AuthTest, AnUnreadableFundScopeRefusesTheTokenRatherThanWidening) {
  const std::vector<std::pair<json, std::string>> bad = {
      {"funds/lff", "not an object"},
      {{{"applicant", "funds/lff"}}, "not a list"},
      {{{"approver", {"funds/lff"}}}, "a role the token does not hold"},
      {{{"applicant", {"lff"}}}, "not a fund name"},
      {{{"applicant", {"funds/lff/rounds/open"}}}, "a round, not a fund"},
      {{{"applicant", {7}}}, "not a string"},
  };
  for (const auto& [scope, why] : bad) {
    json p = Payload();
    p["role_funds"] = scope;
    ExpectRejected(SignRaw(keys_.private_pem, Header(), p), why);
  }
  json p = Payload();
  p["role_funds"] = {{"applicant", {"funds/lff"}}};
  EXPECT_TRUE(
      verifier_.Verify(SignRaw(keys_.private_pem, Header(), p), kNow).ok());
}

TEST(FundOfTest, NamesTheFundOfResourcesUnderIt) {
  EXPECT_EQ(FundOf("funds/lff"), "funds/lff");
  EXPECT_EQ(FundOf("funds/lff/rounds/2018-r1"), "funds/lff");
  EXPECT_EQ(FundOf("funds/lff/budgetLines/a"), "funds/lff");
  EXPECT_EQ(FundOf("funds/"), "");
  EXPECT_EQ(FundOf("applications/x"), "");
  EXPECT_EQ(FundOf(""), "");
}

TEST(CanonicalUserTest, OnePersonOneNameWhateverTheCase) {
  EXPECT_EQ(CanonicalUser("Sam"), "sam");
  EXPECT_EQ(CanonicalUser("SAM"), CanonicalUser("sam"));
  EXPECT_EQ(CanonicalUser("Kofi.Mensah@Example.org"),
            "kofi.mensah@example.org");
  // Nothing that could hide a second person behind a look-alike name.
  for (const std::string& bad :
       {std::string(""), std::string("sam "), std::string(" sam"),
        std::string("s am"), std::string("sa\tm"), std::string("sam\n"),
        std::string("s\xc3\xa1m"),     // á
        std::string("\xd1\x95\x61m"),  // Cyrillic dze, "sam"-like
        std::string("sa\0m", 4), std::string(129, 'a')}) {
    EXPECT_FALSE(CanonicalUser(bad).has_value()) << "'" << bad << "'";
  }
  EXPECT_TRUE(CanonicalUser(std::string(128, 'a')).has_value());
}

TEST_F(AuthTest, TokensCarryTheCanonicalNameAndRefuseOthers) {
  json p = Payload();
  p["sub"] = "Amira";
  auto v = verifier_.Verify(SignRaw(keys_.private_pem, Header(), p), kNow);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->user, "amira");
  p["sub"] = "amira smith";
  ExpectRejected(SignRaw(keys_.private_pem, Header(), p), "space in sub");
  p["sub"] = "\xd0\xb0mira";  // Cyrillic a
  ExpectRejected(SignRaw(keys_.private_pem, Header(), p), "non-ASCII sub");
}

}  // namespace
}  // namespace grantflow::auth
