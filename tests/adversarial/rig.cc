#include "tests/adversarial/rig.h"

#include <algorithm>
#include <atomic>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "platform/auth.h"
#include "platform/money.h"
#include "services/common/case_client.h"

namespace grantflow::testing {

std::string ReasonOf(const grpc::Status& s) {
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(s.error_details())) return "";
  for (const auto& any : rpc.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

std::vector<std::string> FieldsOf(const grpc::Status& s) {
  std::vector<std::string> out;
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(s.error_details())) return out;
  for (const auto& any : rpc.details()) {
    google::rpc::BadRequest br;
    if (!any.UnpackTo(&br)) continue;
    for (const auto& v : br.field_violations()) out.push_back(v.field());
  }
  return out;
}

Attacks::~Attacks() {
  if (made_ == 0) return;  // a test of the suite that attacks nothing
  std::cout << "adversarial " << rule_ << ": " << made_
            << " attempts, succeeded: " << succeeded_ << std::endl;
}

void Attacks::Refused(const std::string& what, const grpc::Status& status,
                      grpc::StatusCode code, const std::string& reason) {
  ++made_;
  if (status.ok()) {
    ++succeeded_;
    ADD_FAILURE() << rule_ << " broken: " << what << " was accepted";
    return;
  }
  EXPECT_EQ(status.error_code(), code)
      << what << ": " << status.error_message();
  if (!reason.empty()) {
    EXPECT_EQ(ReasonOf(status), reason)
        << what << ": " << status.error_message();
  }
}

void Attacks::Raced(const std::string& what, int must_refuse, int refused) {
  made_ += must_refuse;
  if (refused < must_refuse) {
    succeeded_ += must_refuse - refused;
    ADD_FAILURE() << rule_ << " broken: " << must_refuse - refused << " of "
                  << must_refuse << " " << what << " were accepted";
  }
}

void Rig::StartServer() {
  ServerOptions o;
  o.data_dir = data_dir_;
  o.listen = "127.0.0.1:0";
  o.clock = &clock_;
  o.background_interval = absl::ZeroDuration();  // driven by Background()
  auto server = GrantflowServer::Start(o);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                 grpc::InsecureChannelCredentials());
  programmes_ = ppb::ProgrammeService::NewStub(channel_);
  applications_ = apb::ApplicationService::NewStub(channel_);
  engine_ = wpb::WorkflowService::NewStub(channel_);
  awards_ = awpb::AwardService::NewStub(channel_);
}

void Rig::Stop() {
  if (server_ != nullptr) server_->Shutdown();
  server_.reset();
}

void Rig::Restart() {
  Stop();
  StartServer();
}

Rig::Rig() { Seed(); }

Rig::Rig(const std::string& data_dir, const std::string& id_prefix, bool seed)
    : data_dir_(data_dir), id_prefix_(id_prefix) {
  if (seed) {
    Seed();
    return;
  }
  StartServer();
  minter_ = std::make_unique<TokenMinter>(data_dir_);
  People();
}

void Rig::Seed() {
  StartServer();
  minter_ = std::make_unique<TokenMinter>(data_dir_);
  People();
  SeedOverGrpc(channel_.get(), admin, TestEpoch());
  // A second organisation, whose signatory is tom.
  apb::CreateOrganisationRequest org;
  org.set_organisation_id("peckham-arts");
  *org.mutable_organisation() = ValidOrganisation({"tom"});
  org.mutable_organisation()->add_signatory_users("tom");
  org.set_request_id("peckham");
  apb::Organisation created;
  grpc::Status s =
      applications_->CreateOrganisation(Ctx(admin).get(), org, &created);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

Rig::~Rig() { Stop(); }

void Rig::People() {
  admin = minter_->Token("root", {"admin"});
  officer = minter_->Token("grace", {"grants_officer"});
  moderator = minter_->Token("mo", {"moderator"});
  approver = minter_->Approver("ade", 7'500'000);
  small_approver = minter_->Approver("bola", 1'000'000);
  finance = minter_->For({.user = "fin",
                          .roles = {"finance_approver", "finance_officer"},
                          .organisation = "",
                          .limits_pence = {{"pay", kMaxAmountPence}},
                          .role_funds = {}});
  safeguarding = minter_->Token("sam", {"safeguarding_officer"});
  amira = minter_->Token("amira", {"applicant"}, kHackney);
  kofi = minter_->Token("kofi", {"signatory"}, kHackney);
  tom = minter_->Token("tom", {"signatory", "applicant"}, kPeckham);
}

std::unique_ptr<grpc::ClientContext> Rig::Ctx(const std::string& token) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) Authorise(ctx.get(), token);
  return ctx;
}

std::map<std::string, std::string> Rig::EveryRole() {
  std::map<std::string, std::string> out;
  for (const std::string& role : auth::KnownRoles()) {
    if (role == "approver") {
      out[role] = minter_->Approver("any-approver", kMaxAmountPence);
    } else if (role == "applicant" || role == "signatory") {
      out[role] = minter_->Token("any-" + role, {role}, kHackney);
    } else {
      out[role] = minter_->Token("any-" + role, {role});
    }
  }
  out[""] = "";
  return out;
}

void Rig::AsEveryOtherRole(
    Attacks& attacks, const std::string& what,
    const std::vector<std::string>& allowed,
    const std::function<grpc::Status(const std::string&)>& attempt) {
  for (const auto& [role, token] : EveryRole()) {
    if (std::find(allowed.begin(), allowed.end(), role) != allowed.end()) {
      continue;
    }
    attacks.Refused(absl::StrCat(what, " as ", role.empty() ? "nobody" : role),
                    attempt(token),
                    role.empty() ? grpc::StatusCode::UNAUTHENTICATED
                                 : grpc::StatusCode::PERMISSION_DENIED);
  }
}

void Rig::Background() { EXPECT_TRUE(server_->RunBackgroundOnce().ok()); }

std::string Rig::NextId() { return absl::StrCat(id_prefix_, ++counter_); }

std::string Rig::NewCase(int64_t requested, const std::string& suffix,
                         const std::string& round, const std::string& org) {
  return SubmitCase(CompleteApplication(round, org, requested), suffix);
}

std::string Rig::SubmitCase(const apb::Application& application,
                            const std::string& suffix) {
  const std::string& applicant =
      application.organisation() == kPeckham ? tom : amira;
  apb::CreateApplicationRequest draft;
  *draft.mutable_application() = application;
  draft.set_request_id("draft-" + suffix);
  apb::Application app;
  grpc::Status s =
      applications_->CreateApplication(Ctx(applicant).get(), draft, &app);
  EXPECT_TRUE(s.ok()) << s.error_message();
  apb::SubmitApplicationRequest submit;
  submit.set_name(app.name());
  submit.set_request_id("submit-" + suffix);
  s = applications_->SubmitApplication(Ctx(applicant).get(), submit, &app);
  EXPECT_TRUE(s.ok()) << s.error_message();
  Background();  // delivers the StartCase task
  return "cases/" + app.name().substr(std::string("applications/").size());
}

grpc::Status Rig::Fact(const std::string& token, const std::string& c,
                       const std::string& fact, wpb::FactPayload payload,
                       const std::string& reason, wpb::Case* out) {
  wpb::RecordFactRequest req;
  req.set_name(c);
  req.set_fact(fact);
  *req.mutable_payload() = std::move(payload);
  req.set_reason(reason);
  req.set_request_id(NextId());
  wpb::Case ignored;
  return engine_->RecordFact(Ctx(token).get(), req, out ? out : &ignored);
}

grpc::Status Rig::ServiceFact(const std::string& person, const std::string& c,
                              const std::string& fact,
                              const std::string& reason,
                              wpb::FactPayload payload) {
  wpb::RecordFactRequest req;
  req.set_name(c);
  req.set_fact(fact);
  *req.mutable_payload() = std::move(payload);
  req.set_reason(reason);
  req.set_on_behalf_of(person);
  req.set_request_id(NextId());
  wpb::Case ignored;
  return engine_->RecordFact(
      Ctx(minter_->Token("grantflowd-tests", {"service"})).get(), req,
      &ignored);
}

grpc::Status Rig::ActingFact(const std::string& token, const std::string& c,
                             const std::string& fact,
                             wpb::FactPayload payload) {
  if (token.empty()) return Fact(token, c, fact, std::move(payload));
  wpb::RecordFactRequest req;
  req.set_name(c);
  req.set_fact(fact);
  *req.mutable_payload() = std::move(payload);
  const auth::Principal who = minter_->Who(token);
  req.set_on_behalf_of(who.user);
  *req.mutable_acting() = ActingOf(who);
  req.set_request_id(NextId());
  wpb::Case ignored;
  return engine_->RecordFact(
      Ctx(minter_->Token("grantflowd-tests", {"service"})).get(), req,
      &ignored);
}

wpb::FactPayload Rig::Award(int64_t pence, const std::string& line) {
  wpb::FactPayload p;
  p.set_amount_pence(pence);
  auto* a = p.add_allocations();
  a->set_budget_line(line);
  a->set_amount_pence(pence);
  return p;
}

grpc::Status Rig::Decide(const std::string& token, const std::string& c,
                         const wpb::FactPayload& award, awpb::Award* out) {
  awpb::DecideAwardRequest req;
  req.set_case_(c);
  req.set_decision(awpb::DecideAwardRequest::AWARD);
  req.set_amount_pence(award.amount_pence());
  for (const wpb::Allocation& a : award.allocations()) {
    auto* al = req.add_allocations();
    al->set_budget_line(a.budget_line());
    al->set_amount_pence(a.amount_pence());
  }
  req.set_request_id(NextId());
  awpb::Award ignored;
  return awards_->DecideAward(Ctx(token).get(), req, out ? out : &ignored);
}

void Rig::ToRecommended(const std::string& c) {
  for (const char* f : {"ELIGIBILITY_CHECK_STARTED", "ELIGIBLE", "SHORTLISTED",
                        "INTERVIEW_SCHEDULED", "RECOMMENDED"}) {
    grpc::Status s = ServiceFact("grace", c, f);
    ASSERT_TRUE(s.ok()) << f << ": " << s.error_message();
  }
}

void Rig::ToChecksPassed(const std::string& c, int64_t pence,
                         const std::string& line) {
  ToRecommended(c);
  grpc::Status s = Decide(approver, c, Award(pence, line));
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(ServiceFact("grace", c, "CHECKS_STARTED").ok());
  ASSERT_TRUE(ServiceFact("grace", c, "DUE_DILIGENCE_PASSED").ok());
  ASSERT_TRUE(ServiceFact("sam", c, "SAFEGUARDING_PASSED").ok());
}

void Rig::ToExecuted(const std::string& c) {
  wpb::FactPayload doc;
  doc.set_document_sha256(kDoc);
  grpc::Status s = ActingFact(officer, c, "AGREEMENT_ISSUED", doc);
  ASSERT_TRUE(s.ok()) << s.error_message();
  s = ActingFact(kofi, c, "AGREEMENT_SIGNED_BY_RECIPIENT", doc);
  ASSERT_TRUE(s.ok()) << s.error_message();
  s = ActingFact(approver, c, "AGREEMENT_EXECUTED", doc);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

grpc::Status Rig::Authorize(const std::string& token, const std::string& c,
                            const std::string& id, int64_t pence,
                            wpb::Payment* out) {
  // As PaymentService asks the engine, for the person the token names,
  // with the payment requested by someone else.
  wpb::AuthorizePaymentRequest req;
  req.set_name(c);
  req.set_payment_id(id);
  req.set_amount_pence(pence);
  req.set_request_id(NextId());
  req.set_requested_by("rig-requester");
  wpb::Payment ignored;
  if (token.empty()) {  // no one at all
    return engine_->AuthorizePayment(Ctx("").get(), req, &ignored);
  }
  const auth::Principal who = minter_->Who(token);
  req.set_on_behalf_of(who.user);
  *req.mutable_acting() = ActingOf(who);
  return engine_->AuthorizePayment(
      Ctx(minter_->Token("grantflowd-tests", {"service"})).get(), req,
      out ? out : &ignored);
}

grpc::Status Rig::Confirm(const std::string& token, const std::string& c,
                          const std::string& id) {
  wpb::ConfirmPaymentRequest req;
  req.set_name(c);
  req.set_payment_id(id);
  req.set_request_id(NextId());
  const auth::Principal who = minter_->Who(token);
  req.set_on_behalf_of(who.user);
  *req.mutable_acting() = ActingOf(who);
  wpb::Payment ignored;
  return engine_->ConfirmPayment(
      Ctx(minter_->Token("grantflowd-tests", {"service"})).get(), req,
      &ignored);
}

wpb::Case Rig::Case(const std::string& c) {
  wpb::GetCaseRequest req;
  req.set_name(c);
  wpb::Case out;
  grpc::Status s = engine_->GetCase(Ctx(admin).get(), req, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return out;
}

wpb::LedgerLine Rig::Ledger(const std::string& line) {
  wpb::GetLedgerLineRequest req;
  req.set_name(line);
  wpb::LedgerLine out;
  grpc::Status s = engine_->GetLedgerLine(Ctx(admin).get(), req, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return out;
}

ppb::BudgetLine Rig::Line(const std::string& line) {
  ppb::GetBudgetLineRequest req;
  req.set_name(line);
  ppb::BudgetLine out;
  grpc::Status s = programmes_->GetBudgetLine(Ctx(admin).get(), req, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return out;
}

}  // namespace grantflow::testing
