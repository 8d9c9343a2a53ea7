// grantflow's web portal: an HTTP server (cpp-httplib) that renders GOV.UK
// pages on the server and is a gRPC client of the services. Community
// groups apply and follow their grants, assessors declare and score, the
// grants and finance teams work rounds from a dashboard. Pages work
// without JavaScript.
//
// Every request is checked here before any service is called: the session
// (cookie: HttpOnly, SameSite=Strict, Secure under TLS), the CSRF token on
// every POST, and the role the page is for. The services check everything
// again with the person's own token; the portal holds no power of its own.
#ifndef GRANTFLOW_WEB_PORTAL_H_
#define GRANTFLOW_WEB_PORTAL_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "platform/auth.h"
#include "platform/clock.h"
#include "web/backend.h"
#include "web/refusals.h"
#include "web/session.h"

namespace grantflow::web {

struct PortalOptions {
  std::string service_name = "Apply for and manage a community grant";
  // Development sign-in: a page lists these people (a demo.json's
  // "people": name -> {roles, org, limits}) and signs their tokens with
  // this private key (grantflowd's DATA_DIR/keys/token-signing.pem).
  std::string dev_key;
  nlohmann::json dev_people = nlohmann::json::object();
  // Production sign-in: a signed token, verified with these public keys
  // (the files grantflowd's --trusted_key takes).
  std::vector<std::string> trusted_keys;
  bool secure_cookies = false;  // set under TLS
  std::string assets_dir;       // GOV.UK Frontend's dist/govuk
  std::string static_dir;       // web/static
};

class Page;

// Owns the sessions; borrows the backend and the clock, which must outlive
// it. Install() once, before the server starts; handlers then run
// concurrently on the server's threads (thread-safe).
class Portal {
 public:
  // INVALID_ARGUMENT / NOT_FOUND when a key file is unusable.
  static absl::StatusOr<std::unique_ptr<Portal>> Create(PortalOptions options,
                                                        Backend* backend,
                                                        Clock* clock);
  void Install(httplib::Server& server);

  // Who may open a page: any of `roles`; kAnyone for signed-out visitors
  // too; an empty list for anyone signed in.
  static const std::vector<std::string>& kAnyone();

  using Handler = std::function<void(Page&)>;
  void Get(httplib::Server& s, const std::string& pattern,
           std::vector<std::string> roles, Handler h);
  void Post(httplib::Server& s, const std::string& pattern,
            std::vector<std::string> roles, Handler h);

  Backend& backend() { return *backend_; }
  SessionStore& sessions() { return sessions_; }
  Clock& clock() { return *clock_; }
  const PortalOptions& options() const { return options_; }
  absl::StatusOr<std::string> MintDevToken(const std::string& user);
  absl::StatusOr<auth::Principal> VerifyToken(const std::string& token);

 private:
  Portal() = default;
  void Dispatch(const httplib::Request& req, httplib::Response& res,
                const std::vector<std::string>& roles, bool post,
                const Handler& h);

  PortalOptions options_;
  Backend* backend_ = nullptr;
  Clock* clock_ = nullptr;
  SessionStore sessions_;
  std::unique_ptr<auth::TokenSigner> signer_;
  auth::TokenVerifier verifier_;
};

// One request being answered. Not thread-safe; lives for one request.
class Page {
 public:
  Page(Portal* portal, const httplib::Request& req, httplib::Response& res,
       Session session)
      : portal_(portal), req_(req), res_(res), session_(std::move(session)) {}

  const httplib::Request& req() const { return req_; }
  httplib::Response& res() { return res_; }
  const Session& session() const { return session_; }
  const auth::Principal& who() const { return session_.who; }
  const std::string& token() const { return session_.token; }
  Backend& backend() { return portal_->backend(); }
  Portal& portal() { return *portal_; }
  absl::Time now() { return portal_->clock().Now(); }

  // A form field or query parameter ("" when absent), and every value of a
  // repeated one (checkboxes).
  std::string Param(const std::string& name) const;
  std::vector<std::string> Params(const std::string& name) const;
  // A path capture: /applicant/applications/(\w+) -> Match(1).
  std::string Match(int i) const;

  // Calls a service as the signed-in person.
  template <typename Stub, typename Req, typename Resp>
  absl::Status Call(Stub& stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                 const Req&, Resp*),
                    const Req& req, Resp* resp) {
    return backend().Call(stub, method, session_.token, req, resp);
  }

  // Call(), answering the request with the refusal when it fails: true
  // when `resp` holds the answer, false when the page has been answered.
  template <typename Stub, typename Req, typename Resp>
  bool Fetch(Stub& stub,
             grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&,
                                          Resp*),
             const Req& req, Resp* resp) {
    absl::Status s = Call(stub, method, req, resp);
    if (!s.ok()) Refuse(Explain(s));
    return s.ok();
  }

  // Renders `tmpl` with `model` in the layout, with the refusal (if any) as
  // the error summary and each field's error beside its input.
  void Render(const std::string& title, const std::string& tmpl,
              nlohmann::json model, const Refusal* refusal = nullptr,
              int status = 200);
  // A whole page that only says why the request was refused.
  void Refuse(const Refusal& refusal, const std::string& title = "");
  // 303 to `path`, with a message for the next page.
  void Redirect(const std::string& path, const std::string& flash = "");
  // Replaces the session cookie this response sets: `id` for `max_age`
  // (0 ends it). HttpOnly, SameSite=Strict, Secure under TLS.
  void SetSessionCookie(const std::string& id, absl::Duration max_age);
  // A fresh request id for a mutating call: the form's own (so a
  // double-submitted form is one request) or a new one.
  std::string RequestId() const;

 private:
  Portal* portal_;
  const httplib::Request& req_;
  httplib::Response& res_;
  Session session_;
};

// Every role inside the funder (grants, assessment moderation,
// safeguarding, finance, audit, administration): who may open /staff.
const std::vector<std::string>& StaffRoles();

// The page each role starts on.
std::string HomeFor(const auth::Principal& who);

// Route groups, each in its own file.
void InstallSignIn(Portal& portal, httplib::Server& s);
void InstallApplicantPages(Portal& portal, httplib::Server& s);
void InstallAssessorPages(Portal& portal, httplib::Server& s);
void InstallStaffPages(Portal& portal, httplib::Server& s);
void InstallOfficerPages(Portal& portal, httplib::Server& s);
void InstallGrantPages(Portal& portal, httplib::Server& s);
void InstallFinancePages(Portal& portal, httplib::Server& s);

}  // namespace grantflow::web

#endif  // GRANTFLOW_WEB_PORTAL_H_
