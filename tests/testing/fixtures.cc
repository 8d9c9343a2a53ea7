#include "tests/testing/fixtures.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "platform/resources.h"

namespace grantflow::testing {

namespace ppb = ::grantflow::programmes::v1;
namespace apb = ::grantflow::applications::v1;

absl::Time TestEpoch() { return absl::FromUnixSeconds(1777626000); }

Call MakeCall(const std::string& user, std::vector<std::string> roles,
              absl::Time now, const std::string& org) {
  Call c;
  c.principal.user = user;
  c.principal.roles = std::move(roles);
  c.principal.organisation = org;
  c.now = now;
  c.method = "/test/Method";
  return c;
}

std::unique_ptr<storage::Store> OpenStore(
    const std::string& dir, std::shared_ptr<rocksdb::FileSystem> fs) {
  storage::StoreOptions o;
  o.path = dir;
  o.file_system = std::move(fs);
  auto s = storage::OpenRocksDbStore(o);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

uint64_t AuditCount(storage::Store& store) {
  auto r = store.VerifyAuditChain();
  EXPECT_TRUE(r.ok());
  return r.ok() ? r->entries : 0;
}

TokenMinter::TokenMinter(const std::string& data_dir) {
  auto keys = auth::EnsureDevKeyPair(data_dir + "/keys");
  EXPECT_TRUE(keys.ok()) << keys.status();
  auto s = auth::TokenSigner::FromPemFile(keys->private_pem);
  EXPECT_TRUE(s.ok()) << s.status();
  signer_ = *std::move(s);
  absl::Status trusted = verifier_.AddPublicKeyPem(keys->public_pem);
  EXPECT_TRUE(trusted.ok()) << trusted;
}

std::string TokenMinter::For(const auth::Principal& who) const {
  auth::TokenClaims c;
  c.principal = who;
  c.issued_at = TestEpoch() - absl::Hours(24 * 365);
  c.expires_at = absl::Now() + absl::Hours(1);
  auto t = signer_->Sign(c);
  EXPECT_TRUE(t.ok());
  return *t;
}

auth::Principal TokenMinter::Who(const std::string& token) const {
  auto p = verifier_.Verify(token, absl::Now());
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : auth::Principal{};
}

std::string TokenMinter::Token(const std::string& user,
                               std::vector<std::string> roles,
                               const std::string& org,
                               absl::Duration ttl) const {
  auth::TokenClaims c;
  c.principal.user = user;
  c.principal.roles = std::move(roles);
  c.principal.organisation = org;
  // Tokens are checked against the server's (injected) clock; make them
  // valid around both the test epoch and the real time.
  c.issued_at = TestEpoch() - absl::Hours(24 * 365);
  c.expires_at = absl::Now() + ttl;
  auto t = signer_->Sign(c);
  EXPECT_TRUE(t.ok());
  return *t;
}

std::string TokenMinter::Approver(const std::string& user,
                                  int64_t approve_limit_pence) const {
  auth::TokenClaims c;
  c.principal.user = user;
  c.principal.roles = {"approver"};
  c.principal.limits_pence["approve"] = approve_limit_pence;
  c.issued_at = TestEpoch() - absl::Hours(24 * 365);
  c.expires_at = absl::Now() + absl::Hours(1);
  auto t = signer_->Sign(c);
  EXPECT_TRUE(t.ok());
  return *t;
}

void Authorise(grpc::ClientContext* ctx, const std::string& token) {
  ctx->AddMetadata("authorization", "Bearer " + token);
}

ppb::Fund ValidFund() {
  ppb::Fund f;
  f.set_display_name("London Family Fund");
  f.set_description("Bringing families together");
  f.set_funder_name("Greater London Authority");
  f.set_funder_org_id("GB-GOR-PC390");
  return f;
}

ppb::BudgetLine ValidBudgetLine(int64_t ceiling_pence) {
  ppb::BudgetLine l;
  l.set_display_name("Grants to up to ten projects");
  l.set_ceiling_pence(ceiling_pence);
  l.set_decision_ref("MD2192");
  l.set_financial_year("2017-18");
  l.set_funding_source("Social Integration Programmes 2017-18");
  l.set_kind(ppb::GRANTS);
  return l;
}

ppb::Round ValidRound(absl::Time open, absl::Time close,
                      std::vector<std::string> lines) {
  ppb::Round r;
  r.set_display_name("Round 1");
  *r.mutable_open_time() = ToProto(open);
  *r.mutable_close_time() = ToProto(close);
  r.set_min_award_pence(1'000'000);
  r.set_max_award_pence(7'500'000);
  r.set_interview_stage(true);
  r.set_lifecycle_definition("standard");
  for (auto& l : lines) r.add_budget_lines(l);
  auto* c1 = r.add_criteria();
  c1->set_id("bringing-together");
  c1->set_title("Brings families together");
  c1->set_weight_percent(60);
  c1->set_max_score(5);
  auto* c2 = r.add_criteria();
  c2->set_id("safeguarding");
  c2->set_title("Safeguarding");
  c2->set_weight_percent(40);
  c2->set_max_score(5);
  return r;
}

apb::Organisation ValidOrganisation(std::vector<std::string> members) {
  apb::Organisation o;
  o.set_display_name("Hackney Families");
  o.set_legal_form(apb::CHARITABLE_INCORPORATED_ORGANISATION);
  o.set_charity_number("1180001");
  auto* a = o.mutable_address();
  a->set_line1("1 Mare Street");
  a->set_town("London");
  a->set_postcode("E8 1DY");
  a->set_borough("Hackney");
  auto* c = o.add_contacts();
  c->set_full_name("Amira Hassan");
  c->set_email("amira@example.org");
  for (auto& m : members) o.add_member_users(m);
  return o;
}

apb::Application CompleteApplication(const std::string& round,
                                     const std::string& org, int64_t pence) {
  apb::Application a;
  a.set_round(round);
  a.set_organisation(org);
  a.set_title("Family cook-and-share evenings");
  a.set_summary("Monthly evenings where families cook together");
  a.set_amount_requested_pence(pence);
  a.set_planned_start_date("2026-09-01");
  a.set_planned_end_date("2027-08-31");
  a.add_boroughs_served("Hackney");
  a.set_expected_beneficiaries(120);
  a.set_works_with_children(true);
  auto* b1 = a.add_budget();
  b1->set_description("Sessional workers");
  b1->set_amount_pence(pence - pence / 4);
  auto* b2 = a.add_budget();
  b2->set_description("Venue and food");
  b2->set_amount_pence(pence / 4);
  return a;
}

void SeedOverGrpc(grpc::Channel* channel, const std::string& admin_token,
                  absl::Time epoch) {
  SeedOverGrpc(channel, channel, admin_token, epoch);
}

SeedRequests MakeSeedRequests(absl::Time epoch) {
  SeedRequests seed;
  seed.fund.set_fund_id("lff");
  *seed.fund.mutable_fund() = ValidFund();
  seed.fund.set_request_id("seed-fund");
  for (const char* id : {"grants-a", "grants-b"}) {
    ppb::CreateBudgetLineRequest& req = seed.lines.emplace_back();
    req.set_parent("funds/lff");
    req.set_budget_line_id(id);
    *req.mutable_budget_line() = ValidBudgetLine(21'500'000);
    req.set_request_id(absl::StrCat("seed-line-", id));
  }
  struct R {
    const char* id;
    absl::Time open, close;
  };
  for (const R& r :
       {R{"open", epoch - absl::Hours(24), epoch + absl::Hours(24 * 30)},
        R{"closed", epoch - absl::Hours(24 * 60),
          epoch - absl::Hours(24 * 30)}}) {
    ppb::CreateRoundRequest& req = seed.rounds.emplace_back();
    req.set_parent("funds/lff");
    req.set_round_id(r.id);
    *req.mutable_round() = ValidRound(
        r.open, r.close,
        {"funds/lff/budgetLines/grants-a", "funds/lff/budgetLines/grants-b"});
    req.set_request_id(absl::StrCat("seed-round-", r.id));
  }
  seed.org.set_organisation_id("hackney-families");
  *seed.org.mutable_organisation() = ValidOrganisation({"amira", "kofi"});
  seed.org.mutable_organisation()->add_signatory_users("kofi");
  seed.org.set_request_id("seed-org");
  return seed;
}

std::string SeedJson(absl::Time epoch) {
  const SeedRequests seed = MakeSeedRequests(epoch);
  auto json = [](const google::protobuf::Message& m) {
    std::string out;
    google::protobuf::util::JsonPrintOptions o;
    o.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(m, &out, o);
    return out;
  };
  std::vector<std::string> lines, rounds;
  for (const auto& l : seed.lines) lines.push_back(json(l));
  for (const auto& r : seed.rounds) rounds.push_back(json(r));
  return absl::StrCat("{\"funds\": [", json(seed.fund),
                      "], \"budget_lines\": [", absl::StrJoin(lines, ","),
                      "], \"rounds\": [", absl::StrJoin(rounds, ","),
                      "], \"organisations\": [", json(seed.org), "]}");
}

void SeedOverGrpc(grpc::Channel* programmes, grpc::Channel* applications,
                  const std::string& admin_token, absl::Time epoch) {
  auto prog = ppb::ProgrammeService::NewStub(
      std::shared_ptr<grpc::Channel>(programmes, [](grpc::Channel*) {}));
  auto apps = apb::ApplicationService::NewStub(
      std::shared_ptr<grpc::Channel>(applications, [](grpc::Channel*) {}));
  const SeedRequests seed = MakeSeedRequests(epoch);
  {
    grpc::ClientContext ctx;
    Authorise(&ctx, admin_token);
    ppb::Fund out;
    ASSERT_TRUE(prog->CreateFund(&ctx, seed.fund, &out).ok());
  }
  for (const auto& req : seed.lines) {
    grpc::ClientContext ctx;
    Authorise(&ctx, admin_token);
    ppb::BudgetLine out;
    grpc::Status s = prog->CreateBudgetLine(&ctx, req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  for (const auto& req : seed.rounds) {
    grpc::ClientContext ctx;
    Authorise(&ctx, admin_token);
    ppb::Round out;
    grpc::Status s = prog->CreateRound(&ctx, req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  {
    grpc::ClientContext ctx;
    Authorise(&ctx, admin_token);
    apb::Organisation out;
    grpc::Status s = apps->CreateOrganisation(&ctx, seed.org, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
}

}  // namespace grantflow::testing
