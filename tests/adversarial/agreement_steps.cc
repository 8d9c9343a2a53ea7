#include "tests/adversarial/agreement_steps.h"

#include "gtest/gtest.h"

namespace grantflow::testing {

namespace gpb = ::grantflow::agreements::v1;

gpb::AgreementTemplate AgreementSteps::SetTemplate(const std::string& fund) {
  gpb::SetTemplateRequest t;
  t.set_fund(fund);
  gpb::AgreementTemplate* tmpl = t.mutable_template_();
  tmpl->set_funder_name("Greater London Authority");
  tmpl->set_programme_title("London Family Fund");
  tmpl->add_clauses("The Recipient keeps records of spending for six years.");
  tmpl->set_recovery_clause(
      "Funds unspent or spent outside this agreement are repaid on demand.");
  tmpl->add_indicators("families reached");
  t.set_request_id("template-" + fund.substr(fund.find('/') + 1));
  gpb::AgreementTemplate out;
  grpc::Status s = Ag()->SetTemplate(r_->Ctx(r_->admin).get(), t, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return out;
}

std::unique_ptr<gpb::AgreementService::Stub> AgreementSteps::Ag() {
  return gpb::AgreementService::NewStub(r_->channel());
}

std::string AgreementSteps::Next() { return r_->NextId(); }

std::string AgreementSteps::Drafted(int64_t pence, const std::string& suffix,
                                    gpb::Agreement* out,
                                    const gpb::Terms* terms,
                                    const std::string& round,
                                    const std::string& line) {
  const std::string c = r_->NewCase(pence, suffix, round);
  r_->ToChecksPassed(c, pence, line);
  gpb::DraftAgreementRequest d;
  d.set_case_(c);
  if (terms != nullptr) *d.mutable_terms() = *terms;
  d.set_request_id(Next());
  gpb::Agreement a;
  grpc::Status s = Ag()->DraftAgreement(r_->Ctx(r_->officer).get(), d, &a);
  EXPECT_TRUE(s.ok()) << s.error_message();
  if (out) *out = a;
  return a.name();
}

grpc::Status AgreementSteps::Issue(const std::string& name,
                                   gpb::Agreement* out) {
  gpb::IssueAgreementRequest req;
  req.set_name(name);
  req.set_request_id(Next());
  gpb::Agreement ignored;
  return Ag()->IssueAgreement(r_->Ctx(r_->officer).get(), req,
                              out ? out : &ignored);
}

gpb::SignAgreementRequest AgreementSteps::SignReq(const gpb::Agreement& a,
                                                  int version) {
  const gpb::Version& v = version == 0 ? a.versions(a.versions_size() - 1)
                                       : a.versions(version - 1);
  gpb::SignAgreementRequest req;
  req.set_name(a.name());
  req.set_version(v.number());
  req.set_document_sha256(v.document_sha256());
  req.set_position("Chair of trustees");
  req.set_request_id(Next());
  return req;
}

grpc::Status AgreementSteps::Sign(const std::string& token,
                                  gpb::SignAgreementRequest req,
                                  gpb::Agreement* out) {
  req.set_request_id(Next());
  gpb::Agreement ignored;
  return Ag()->SignAgreement(r_->Ctx(token).get(), req, out ? out : &ignored);
}

grpc::Status AgreementSteps::Countersign(const std::string& token,
                                         gpb::SignAgreementRequest req,
                                         gpb::Agreement* out) {
  req.set_request_id(Next());
  req.set_position("Executive Director");
  gpb::Agreement ignored;
  return Ag()->CountersignAgreement(r_->Ctx(token).get(), req,
                                    out ? out : &ignored);
}

gpb::Agreement AgreementSteps::Get(const std::string& name) {
  gpb::GetAgreementRequest req;
  req.set_name(name);
  gpb::Agreement out;
  grpc::Status s = Ag()->GetAgreement(r_->Ctx(r_->officer).get(), req, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return out;
}

std::string AgreementSteps::CaseOf(const std::string& agreement) {
  return "cases/" + agreement.substr(std::string("agreements/").size());
}

gpb::Agreement AgreementSteps::Executed(const std::string& name) {
  gpb::Agreement a;
  EXPECT_TRUE(Issue(name, &a).ok());
  EXPECT_TRUE(Sign(r_->kofi, SignReq(a), &a).ok());
  grpc::Status s = Countersign(r_->approver, SignReq(a), &a);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return a;
}

}  // namespace grantflow::testing
