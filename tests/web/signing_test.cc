// R1 through the portal: the recipient's signatory signs the very version
// they read (its SHA-256 travels with the form), nobody else of theirs can,
// and only a funder approver countersigns. A real host (the adversarial
// rig: an agreement drafted and issued after its checks passed) and a real
// grantflow-portal process in front of it.
#include <fstream>
#include <regex>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grantflow/agreements/v1/agreements.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/adversarial/agreement_steps.h"
#include "tests/adversarial/rig.h"
#include "tests/testing/daemon.h"
#include "tests/testing/process.h"
#include "tests/web/visitor.h"

namespace grantflow {
namespace {

using ::testing::HasSubstr;
namespace agr = agreements::v1;

std::string Hidden(const std::string& body, const std::string& name) {
  const std::regex re("name=\"" + name + "\" value=\"([^\"]*)\"");
  std::smatch m;
  return std::regex_search(body, m, re) ? m[1].str() : "";
}

TEST(PortalSigningTest,
     TheSignatorySignsWhatTheyReadAndAnApproverCountersigns) {
  testing::Rig rig;
  testing::AgreementSteps steps(&rig);
  steps.SetTemplate();
  agr::Agreement issued;
  const std::string name = steps.Drafted(2'000'000, "portal", &issued);
  ASSERT_TRUE(steps.Issue(name, &issued).ok());
  const std::string id = name.substr(name.find('/') + 1);

  // The portal, signing in the rig's people with the rig's key at its time.
  testing::TempDir dir;
  testing::SetClock(dir, testing::TestEpoch());
  {
    std::ofstream people(dir.Sub("people.json"));
    people << R"({"people": {
      "kofi": {"roles": ["signatory"], "org": "hackney-families"},
      "amira": {"roles": ["applicant"], "org": "hackney-families"},
      "grace": {"roles": ["grants_officer"]},
      "ade": {"roles": ["approver"], "limits": {"approve": 7500000}}}})";
  }
  testing::Process portal(
      {PORTAL_PATH, "--listen=127.0.0.1:0",
       "--port_file=" + dir.Sub("portal.port"),
       absl::StrCat("--grpc=127.0.0.1:", rig.port()),
       "--dev_key=" + rig.data_dir() + "/keys/token-signing.pem",
       "--demo_people=" + dir.Sub("people.json"),
       "--clock_file=" + dir.Sub("clock")},
      dir.Sub("portal.log"));
  const int port = testing::WaitForPortFile(dir.Sub("portal.port"), 20);
  ASSERT_GT(port, 0);
  const std::string url = absl::StrCat("http://127.0.0.1:", port);
  auto state = [&] {
    agr::GetAgreementRequest req;
    req.set_name(name);
    agr::Agreement a;
    EXPECT_TRUE(
        steps.Ag()->GetAgreement(rig.Ctx(rig.officer).get(), req, &a).ok());
    return a.state();
  };
  const std::string path = "/applicant/grants/" + id;

  testing::Visitor kofi(url);
  ASSERT_TRUE(kofi.SignIn("kofi"));
  httplib::Result page = kofi.Get(path);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr("Sign the funding agreement"));
  const std::string sha = Hidden(page->body, "sha256");
  ASSERT_EQ(sha, issued.versions(0).document_sha256());
  ASSERT_EQ(Hidden(page->body, "version"), "1");

  int attempts = 0, refused = 0;
  auto refuse = [&](const httplib::Result& r, int status,
                    const std::string& words) {
    ++attempts;
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << words;
    EXPECT_THAT(r->body, HasSubstr(words));
    if (r->status == status) ++refused;
    EXPECT_EQ(state(), agr::Agreement::AWAITING_SIGNATURE) << words;
  };
  // The applicant is not the signatory: the portal refuses the page's form.
  testing::Visitor amira(url);
  ASSERT_TRUE(amira.SignIn("amira"));
  amira.Get(path);
  refuse(amira.Post(path + "/sign", {{"version", "1"},
                                     {"sha256", sha},
                                     {"position", "Project lead"},
                                     {"confirm", "yes"}}),
         403, "This page is not for your role");
  // Another text's hash: the service's DOCUMENT_MISMATCH, in words.
  refuse(kofi.Post(path + "/sign", {{"version", "1"},
                                    {"sha256", testing::kOtherDoc},
                                    {"position", "Chair"},
                                    {"confirm", "yes"}}),
         400, "The agreement has changed since you opened it");
  // No position, no confirmation: the portal's own checks, on their fields.
  refuse(kofi.Post(path + "/sign", {{"version", "1"}, {"sha256", sha}}), 400,
         "Enter your position");
  httplib::Result signed_ =
      kofi.Post(path + "/sign", {{"version", "1"},
                                 {"sha256", sha},
                                 {"position", "Chair of trustees"},
                                 {"confirm", "yes"}});
  ASSERT_EQ(signed_->status, 303);
  EXPECT_EQ(state(), agr::Agreement::AWAITING_COUNTERSIGNATURE);

  // The countersignature: never the grants officer, only an approver.
  const std::string staff = "/staff/grants/" + id;
  testing::Visitor grace(url);
  ASSERT_TRUE(grace.SignIn("grace"));
  grace.Get(staff);
  ++attempts;
  httplib::Result by_grace =
      grace.Post(staff + "/countersign", {{"version", "1"},
                                          {"sha256", sha},
                                          {"position", "Grants officer"},
                                          {"confirm", "yes"}});
  if (by_grace->status == 403) ++refused;
  EXPECT_EQ(by_grace->status, 403);
  testing::Visitor ade(url);
  ASSERT_TRUE(ade.SignIn("ade"));
  httplib::Result view = ade.Get(staff);
  ASSERT_EQ(view->status, 200);
  EXPECT_THAT(view->body, HasSubstr("Countersign for the funder"));
  EXPECT_THAT(view->body, HasSubstr("Chair of trustees"));
  httplib::Result done = ade.Post(staff + "/countersign",
                                  {{"version", Hidden(view->body, "version")},
                                   {"sha256", Hidden(view->body, "sha256")},
                                   {"position", "Head of Grants"},
                                   {"confirm", "yes"}});
  ASSERT_EQ(done->status, 303);
  EXPECT_EQ(state(), agr::Agreement::EXECUTED);
  httplib::Result after = kofi.Get(path);
  EXPECT_THAT(after->body, HasSubstr("In force"));
  EXPECT_THAT(after->body, HasSubstr("Countersigned for the funder"));
  std::printf(
      "adversarial portal: signatures (R1) through the portal: %d attempts, "
      "succeeded: %d\n",
      attempts, attempts - refused);
}

}  // namespace
}  // namespace grantflow
