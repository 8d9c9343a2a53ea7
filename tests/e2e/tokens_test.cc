// Bearer tokens at a real grantflowd: forged, damaged, expired and
// not-yet-valid ones are UNAUTHENTICATED and change nothing; verification
// keys come from files, several at once by key id (rotation).
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "grantflow/programmes/v1/programmes.grpc.pb.h"
#include "gtest/gtest.h"
#include "platform/auth.h"
#include "tests/testing/daemon.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/forge.h"
#include "tests/testing/temp_dir.h"

namespace grantflow {
namespace {

namespace ppb = ::grantflow::programmes::v1;
using nlohmann::json;

class TokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::SetClock(dir_, testing::TestEpoch());
    data_ = dir_.Sub("data");
    // The next key, trusted alongside the data directory's own: tokens
    // signed with either are accepted while the signer moves to it.
    auto next = auth::EnsureDevKeyPair(dir_.Sub("next-keys"));
    ASSERT_TRUE(next.ok()) << next.status();
    next_ = *next;
    auto stranger = auth::EnsureDevKeyPair(dir_.Sub("stranger-keys"));
    ASSERT_TRUE(stranger.ok());
    stranger_ = *stranger;
    daemon_ = std::make_unique<testing::Daemon>(
        GRANTFLOWD_PATH, dir_, data_, "grantflowd",
        std::vector<std::string>{"--trusted_key=" + next_.public_pem});
    own_ = {data_ + "/keys/token-signing.pem",
            data_ + "/keys/token-signing.pub.pem"};
    stub_ = ppb::ProgrammeService::NewStub(daemon_->Channel());
  }

  // The kid grantflowd knows a key pair's public key by.
  static std::string Kid(const auth::KeyPairPaths& keys) {
    auto signer = auth::TokenSigner::FromPemFile(keys.private_pem);
    return signer.ok() ? (*signer)->key_id() : "";
  }
  static json Header(const auth::KeyPairPaths& keys) {
    return {{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", Kid(keys)}};
  }
  // An admin's claims, valid at the daemon's clock.
  static json Payload() {
    const int64_t now = absl::ToUnixSeconds(testing::TestEpoch());
    return {{"iss", "grantflow"}, {"aud", "grantflow"}, {"sub", "root"},
            {"roles", {"admin"}}, {"iat", now - 60},    {"exp", now + 3600}};
  }

  // CreateFund as `token`: the call's code.
  grpc::StatusCode CreateFund(const std::string& token, const std::string& id) {
    ppb::CreateFundRequest req;
    req.set_fund_id(id);
    *req.mutable_fund() = testing::ValidFund();
    req.set_request_id("create-" + id);
    ppb::Fund out;
    grpc::ClientContext ctx;
    if (!token.empty()) testing::Authorise(&ctx, token);
    return stub_->CreateFund(&ctx, req, &out).error_code();
  }
  int FundCount() {
    ppb::ListFundsRequest req;
    req.set_page_size(100);
    ppb::ListFundsResponse resp;
    grpc::ClientContext ctx;
    testing::Authorise(
        &ctx, testing::SignRaw(own_.private_pem, Header(own_), Payload()));
    EXPECT_TRUE(stub_->ListFunds(&ctx, req, &resp).ok());
    return resp.funds_size();
  }

  testing::TempDir dir_;
  std::string data_;
  auth::KeyPairPaths own_, next_, stranger_;
  std::unique_ptr<testing::Daemon> daemon_;
  std::unique_ptr<ppb::ProgrammeService::Stub> stub_;
};

TEST_F(TokensTest,
       ForgedDamagedAndStaleTokensAreUnauthenticatedAndWriteNothing) {
  const std::string good =
      testing::SignRaw(own_.private_pem, Header(own_), Payload());
  std::vector<std::pair<std::string, std::string>> bad;
  json none = Header(own_);
  none["alg"] = "none";
  bad.push_back({"alg none, unsigned",
                 absl::StrCat(testing::B64(none.dump()), ".",
                              testing::B64(Payload().dump()), ".")});
  bad.push_back({"alg none, signed",
                 testing::SignRaw(own_.private_pem, none, Payload())});
  json hs = Header(own_);
  hs["alg"] = "HS256";
  bad.push_back({"HS256 keyed with the public key",
                 testing::Hs256Keyed(own_.public_pem, hs, Payload())});
  json p = Payload();
  p["exp"] = absl::ToUnixSeconds(testing::TestEpoch()) - 1;
  bad.push_back({"expired a second ago",
                 testing::SignRaw(own_.private_pem, Header(own_), p)});
  p = Payload();
  p["nbf"] = absl::ToUnixSeconds(testing::TestEpoch()) + 3600;
  bad.push_back({"not valid for an hour",
                 testing::SignRaw(own_.private_pem, Header(own_), p)});
  p = Payload();
  p["iss"] = "an-idp-we-do-not-trust";
  bad.push_back(
      {"another issuer", testing::SignRaw(own_.private_pem, Header(own_), p)});
  p = Payload();
  p["aud"] = "another-service";
  bad.push_back({"another audience",
                 testing::SignRaw(own_.private_pem, Header(own_), p)});
  bad.push_back(
      {"a key nobody trusts",
       testing::SignRaw(stranger_.private_pem, Header(stranger_), Payload())});
  bad.push_back(
      {"another key under a trusted kid",
       testing::SignRaw(stranger_.private_pem, Header(own_), Payload())});
  json unknown = Header(own_);
  unknown["kid"] = "0000000000000000";
  bad.push_back({"an unknown kid",
                 testing::SignRaw(own_.private_pem, unknown, Payload())});
  // A byte changed in the header, the payload and the signature, at
  // several places each.
  const size_t dot1 = good.find('.'), dot2 = good.rfind('.');
  for (size_t pos :
       {size_t{0}, dot1 / 2, dot1 - 1, dot1 + 1, (dot1 + dot2) / 2, dot2 - 1,
        dot2 + 1, (dot2 + good.size()) / 2, good.size() - 2}) {
    const std::string flipped = testing::FlipByte(good, pos);
    ASSERT_NE(flipped, good) << pos;
    bad.push_back({absl::StrCat("byte ", pos, " changed"), flipped});
  }
  bad.push_back({"a truncated signature", good.substr(0, good.size() - 4)});
  bad.push_back({"two parts", good.substr(0, dot2)});
  bad.push_back({"garbage", "not-a-token"});
  bad.push_back({"an empty token", ""});

  const int before = FundCount();
  int i = 0;
  for (const auto& [what, token] : bad) {
    ppb::CreateFundRequest req;
    req.set_fund_id(absl::StrCat("forged-", ++i));
    *req.mutable_fund() = testing::ValidFund();
    req.set_request_id(absl::StrCat("forged-", i));
    ppb::Fund out;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    EXPECT_EQ(stub_->CreateFund(&ctx, req, &out).error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << what;
  }
  // Not a bearer token at all, and no token.
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Basic cm9vdDpyb290");
    ppb::CreateFundRequest req;
    req.set_fund_id("basic");
    *req.mutable_fund() = testing::ValidFund();
    req.set_request_id("basic");
    ppb::Fund out;
    EXPECT_EQ(stub_->CreateFund(&ctx, req, &out).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_EQ(CreateFund("", "anonymous"), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(FundCount(), before) << "a refused token wrote";
  std::cout << "token attacks at grantflowd: " << bad.size() + 2
            << " refused UNAUTHENTICATED\n";

  // The same claims, properly signed, are accepted: the refusals above are
  // about what was changed.
  EXPECT_EQ(CreateFund(good, "genuine"), grpc::StatusCode::OK);
  EXPECT_EQ(FundCount(), before + 1);
}

TEST_F(TokensTest, KeysRotateByKeyId) {
  // Old and next keys are both trusted: a token from either is accepted.
  EXPECT_EQ(
      CreateFund(testing::SignRaw(own_.private_pem, Header(own_), Payload()),
                 "old-key"),
      grpc::StatusCode::OK);
  EXPECT_EQ(
      CreateFund(testing::SignRaw(next_.private_pem, Header(next_), Payload()),
                 "next-key"),
      grpc::StatusCode::OK);
  // A token claiming the next key's kid but signed with the old key fails:
  // the kid chooses the key, it does not widen the choice.
  EXPECT_EQ(
      CreateFund(testing::SignRaw(own_.private_pem, Header(next_), Payload()),
                 "crossed"),
      grpc::StatusCode::UNAUTHENTICATED);
  // Restarted without trusting the next key, its tokens stop working.
  daemon_.reset();
  daemon_ = std::make_unique<testing::Daemon>(GRANTFLOWD_PATH, dir_, data_,
                                              "grantflowd-2");
  stub_ = ppb::ProgrammeService::NewStub(daemon_->Channel());
  EXPECT_EQ(
      CreateFund(testing::SignRaw(next_.private_pem, Header(next_), Payload()),
                 "next-key-2"),
      grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      CreateFund(testing::SignRaw(own_.private_pem, Header(own_), Payload()),
                 "old-key-2"),
      grpc::StatusCode::OK);
}

}  // namespace
}  // namespace grantflow
