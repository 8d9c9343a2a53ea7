// The portal over HTTP against a real grantflowd: sessions, CSRF, roles
// checked on every page, and hostile input, each attempt checked to change
// nothing in the services.
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grantflow/applications/v1/applications.grpc.pb.h"
#include "grantflow/assessment/v1/assessment.grpc.pb.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/process.h"
#include "tests/web/portal_rig.h"
#include "tests/web/visitor.h"

namespace grantflow {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::Visitor;
namespace apps = applications::v1;

class PortalTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(rig_.ok()); }

  // Hackney Family Network's record as the service holds it.
  apps::Organisation Hackney() {
    auto stub = apps::ApplicationService::NewStub(rig_.daemon().Channel());
    grpc::ClientContext ctx;
    testing::Authorise(
        &ctx,
        testing::TokenMinter(rig_.data()).Token("grace", {"grants_officer"}));
    apps::GetOrganisationRequest req;
    req.set_name("organisations/hackney-family-network");
    apps::Organisation o;
    EXPECT_TRUE(stub->GetOrganisation(&ctx, req, &o).ok());
    return o;
  }
  int ApplicationCount(const std::string& org) {
    auto stub = apps::ApplicationService::NewStub(rig_.daemon().Channel());
    grpc::ClientContext ctx;
    testing::Authorise(
        &ctx,
        testing::TokenMinter(rig_.data()).Token("grace", {"grants_officer"}));
    apps::ListApplicationsRequest req;
    req.set_organisation(org);
    req.set_page_size(500);
    apps::ListApplicationsResponse resp;
    EXPECT_TRUE(stub->ListApplications(&ctx, req, &resp).ok());
    return resp.applications_size();
  }

  testing::PortalRig rig_;
};

TEST_F(PortalTest, SessionCookieIsHttpOnlyStrictAndPagesCarrySecurityHeaders) {
  httplib::Client c(rig_.url());
  httplib::Result r = c.Get("/sign-in");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const std::string cookie = r->get_header_value("Set-Cookie");
  EXPECT_THAT(cookie, HasSubstr("HttpOnly"));
  EXPECT_THAT(cookie, HasSubstr("SameSite=Strict"));
  EXPECT_THAT(cookie, Not(HasSubstr("Secure")));  // plain HTTP here
  EXPECT_THAT(r->get_header_value("Content-Security-Policy"),
              HasSubstr("script-src 'self'"));
  EXPECT_THAT(r->get_header_value("Content-Security-Policy"),
              HasSubstr("frame-ancestors 'none'"));
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
  // GOV.UK Frontend's stylesheet is served from the npm package.
  httplib::Result css = c.Get("/assets/govuk-frontend.min.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->status, 200);
  EXPECT_THAT(css->body, HasSubstr(".govuk-header"));
  EXPECT_EQ(c.Get("/assets/../../etc/passwd")->status, 404);
}

TEST_F(PortalTest, SigningInStartsANewSessionAndSigningOutEndsIt) {
  Visitor v(rig_.url());
  v.Get("/sign-in");
  const std::string visitor_cookie = v.cookie();
  ASSERT_TRUE(v.SignIn("amira"));
  EXPECT_NE(v.cookie(), visitor_cookie)
      << "a planted session id must not survive sign-in";
  httplib::Result home = v.Get("/applicant");
  ASSERT_TRUE(home);
  EXPECT_EQ(home->status, 200);
  EXPECT_THAT(home->body, HasSubstr("Hackney Family Network"));
  const std::string signed_in = v.cookie();
  ASSERT_EQ(v.Post("/sign-out", {})->status, 303);
  // The old cookie is worthless now.
  httplib::Client c(rig_.url());
  httplib::Result after = c.Get("/applicant", {{"Cookie", signed_in}});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 303);
  EXPECT_EQ(after->get_header_value("Location"), "/sign-in");
}

TEST_F(PortalTest, SignInRefusesPeopleItDoesNotKnowAndForgedTokens) {
  Visitor v(rig_.url());
  v.Get("/sign-in");
  EXPECT_EQ(v.Post("/sign-in", {{"user", "mallory"}})->status, 403);
  EXPECT_EQ(v.Post("/sign-in", {{"token", "eyJhbGciOiJub25lIn0.e30."}})->status,
            401);
  // A token minted with another key.
  testing::TempDir other;
  auth::EnsureDevKeyPair(other.Sub("keys")).IgnoreError();
  const std::string forged =
      testing::TokenMinter(other.path()).Token("grace", {"admin"});
  httplib::Result r = v.Post("/sign-in", {{"token", forged}});
  EXPECT_EQ(r->status, 401);
  EXPECT_THAT(r->body, HasSubstr("was not accepted"));
  EXPECT_EQ(v.Get("/staff")->status, 303);  // still signed out
  // A token signed with a trusted key (production sign-in) is accepted.
  const std::string real =
      testing::TokenMinter(rig_.data()).Token("grace", {"grants_officer"});
  httplib::Result ok = v.Post("/sign-in", {{"token", real}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 303);
  EXPECT_EQ(ok->get_header_value("Location"), "/staff");
  EXPECT_EQ(v.Get("/staff/funds/lff")->status, 200);
}

TEST_F(PortalTest, UnderTlsTheSessionCookieIsSecure) {
  // A self-signed certificate, made with Debian's openssl.
  const std::string cert = rig_.dir().Sub("portal.crt");
  const std::string key = rig_.dir().Sub("portal.key");
  std::string out;
  ASSERT_EQ(testing::RunCommand({"/usr/bin/openssl", "req", "-x509", "-newkey",
                                 "rsa:2048", "-nodes", "-keyout", key, "-out",
                                 cert, "-days", "2", "-subj", "/CN=127.0.0.1"},
                                &out),
            0)
      << out;
  const std::string port_file = rig_.dir().Sub("tls-portal.port");
  testing::Process portal(
      {PORTAL_PATH, "--listen=127.0.0.1:0", "--port_file=" + port_file,
       "--grpc=" + rig_.daemon().addr(), "--tls_cert=" + cert,
       "--tls_key=" + key, "--clock_file=" + rig_.dir().Sub("clock"),
       "--dev_key=" + rig_.data() + "/keys/token-signing.pem",
       "--demo_people=" GRANTFLOW_DEMO_JSON},
      rig_.dir().Sub("tls-portal.log"));
  const int port = testing::WaitForPortFile(port_file, 20);
  ASSERT_GT(port, 0);
  httplib::SSLClient c("127.0.0.1", port);
  c.enable_server_certificate_verification(false);
  httplib::Result r = c.Get("/sign-in");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->get_header_value("Set-Cookie"), HasSubstr("; Secure"));
  EXPECT_THAT(r->get_header_value("Set-Cookie"), HasSubstr("HttpOnly"));
  // Plain HTTP to the TLS port gets no page.
  httplib::Client plain("127.0.0.1", port);
  httplib::Result p = plain.Get("/sign-in");
  EXPECT_TRUE(!p || p->status != 200);
}

TEST_F(PortalTest, EveryPageChecksTheRoleOnTheServer) {
  int attempts = 0, refused = 0;
  auto expect_refused = [&](const httplib::Result& r, const std::string& what) {
    ++attempts;
    ASSERT_TRUE(r) << what;
    EXPECT_EQ(r->status, 403) << what;
    if (r->status == 403) ++refused;
  };
  Visitor amira(rig_.url());
  ASSERT_TRUE(amira.SignIn("amira"));
  for (const char* path :
       {"/staff", "/staff/funds/lff",
        "/staff/funds/lff/rounds/demo-open/ranking",
        "/staff/funds/lff/rounds/demo-open/assessments", "/assessor"}) {
    httplib::Result r = amira.Get(path);
    expect_refused(r, path);
    EXPECT_THAT(r->body, HasSubstr("This page is not for your role")) << path;
  }
  Visitor ola(rig_.url());
  ASSERT_TRUE(ola.SignIn("ola"));
  for (const char* path : {"/applicant", "/applicant/organisation", "/staff"}) {
    expect_refused(ola.Get(path), path);
  }
  // An officer's action posted by an applicant with a valid form token.
  const auto before = Hackney();
  expect_refused(amira.Post("/staff/assessments/anything/screen",
                            {{"decision", "ELIGIBLE"}}),
                 "screening by an applicant");
  // Kofi (a signatory) may read his organisation's pages but not change them.
  Visitor kofi(rig_.url());
  ASSERT_TRUE(kofi.SignIn("kofi"));
  EXPECT_EQ(kofi.Get("/applicant/organisation")->status, 200);
  expect_refused(kofi.Post("/applicant/organisation", {{"org-name", "Kofi's"}}),
                 "organisation changed by a signatory");
  EXPECT_EQ(Hackney().etag(), before.etag());
  std::printf(
      "adversarial portal: pages and forms of another role: %d attempts, "
      "succeeded: %d\n",
      attempts, attempts - refused);
}

TEST_F(PortalTest, APostWithoutItsOwnCsrfTokenIsRefusedAndWritesNothing) {
  Visitor amira(rig_.url());
  ASSERT_TRUE(amira.SignIn("amira"));
  amira.Get("/applicant/organisation");
  const apps::Organisation before = Hackney();
  const int apps_before =
      ApplicationCount("organisations/hackney-family-network");
  int attempts = 0, refused = 0;
  auto expect_refused = [&](httplib::Result r) {
    ++attempts;
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    EXPECT_THAT(r->body, HasSubstr("did not come from this service"));
    if (r->status == 403) ++refused;
  };
  expect_refused(amira.Post("/applicant/organisation",
                            {{"org-name", "Forged"}, {"etag", before.etag()}},
                            /*with_csrf=*/false));
  expect_refused(amira.Post("/applicant/apply/funds/lff/rounds/demo-open",
                            {{"title", "Forged"}, {"summary", "x"}}, false));
  // Another session's token, and an empty one.
  Visitor tom(rig_.url());
  ASSERT_TRUE(tom.SignIn("tom"));
  tom.Get("/applicant/organisation");
  const std::string own = amira.csrf();
  amira.set_csrf(tom.csrf());
  expect_refused(amira.Post("/applicant/organisation",
                            {{"org-name", "Forged"}, {"etag", before.etag()}}));
  amira.set_csrf("");
  expect_refused(
      amira.Post("/applicant/organisation", {{"org-name", "Forged"}}));
  amira.set_csrf(own);
  EXPECT_EQ(Hackney().etag(), before.etag());
  EXPECT_EQ(Hackney().display_name(), before.display_name());
  EXPECT_EQ(ApplicationCount("organisations/hackney-family-network"),
            apps_before);
  // With its own token the same form goes through.
  httplib::Result ok = amira.Post("/applicant/apply/funds/lff/rounds/demo-open",
                                  {{"title", "Saturday family cooking club"},
                                   {"summary", "Families cook together."}});
  EXPECT_EQ(ok->status, 303);
  EXPECT_EQ(ApplicationCount("organisations/hackney-family-network"),
            apps_before + 1);
  std::printf(
      "adversarial portal: forms without their own CSRF token: %d attempts, "
      "succeeded: %d\n",
      attempts, attempts - refused);
}

TEST_F(PortalTest, HugeAndMalformedInputIsBoundedAndExplainedInWords) {
  Visitor amira(rig_.url());
  ASSERT_TRUE(amira.SignIn("amira"));
  amira.Get("/applicant/rounds");
  const int before = ApplicationCount("organisations/hackney-family-network");
  // A body past the portal's 1 MiB bound.
  httplib::Result big =
      amira.Post("/applicant/apply/funds/lff/rounds/demo-open",
                 {{"title", std::string(2 << 20, 'x')}, {"summary", "s"}});
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  // A title the service refuses: its words, on the field.
  amira.Get("/applicant/rounds");
  httplib::Result long_title =
      amira.Post("/applicant/apply/funds/lff/rounds/demo-open",
                 {{"title", std::string(5000, 'x')}, {"summary", "s"}});
  ASSERT_TRUE(long_title);
  EXPECT_EQ(long_title->status, 400);
  EXPECT_THAT(long_title->body, HasSubstr("There is a problem"));
  EXPECT_THAT(long_title->body, HasSubstr("Project title must be at most 140"));
  EXPECT_THAT(long_title->body, HasSubstr("id=\"title-error\""));
  // A round that does not exist, and a path that is not a page.
  EXPECT_EQ(
      amira.Get("/applicant/apply/funds/lff/rounds/no-such-round")->status,
      404);
  EXPECT_EQ(amira.Get("/applicant/applications/nope")->status, 404);
  httplib::Result missing = amira.Get("/nowhere");
  EXPECT_EQ(missing->status, 404);
  EXPECT_THAT(missing->body, HasSubstr("Page not found"));
  EXPECT_EQ(ApplicationCount("organisations/hackney-family-network"), before);
}

TEST_F(PortalTest, AClosedRoundIsExplainedWithItsClosingTimeInLondon) {
  // The 2018 round closed at 17:00 UTC on 30 April 2018: 18:00 in London.
  Visitor amira(rig_.url());
  ASSERT_TRUE(amira.SignIn("amira"));
  amira.Get("/applicant/rounds");
  httplib::Result r =
      amira.Post("/applicant/apply/funds/lff/rounds/2018-r1",
                 {{"title", "Late bid"}, {"summary", "Too late."}});
  ASSERT_TRUE(r);
  std::string id;
  if (r->status == 303) {
    // Drafts may be started; the submission is what the closed round refuses.
    const std::string loc = r->get_header_value("Location");
    id = loc.substr(loc.find("/applications/") + 14);
    id = id.substr(0, id.find('/'));
    amira.Get("/applicant/applications/" + id + "/check");
    r = amira.Post("/applicant/applications/" + id + "/check", {});
  }
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body,
              HasSubstr("This round closed at 18:00 on 30 April 2018."));
  EXPECT_THAT(r->body, Not(HasSubstr("ROUND_CLOSED")));
}

}  // namespace
}  // namespace grantflow
