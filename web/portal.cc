#include "web/portal.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "web/view.h"

namespace grantflow::web {
namespace {

constexpr char kCookie[] = "grantflow_session";

bool IsStaff(const auth::Principal& p) {
  for (const std::string& r : StaffRoles()) {
    if (p.HasRole(r)) return true;
  }
  return false;
}

std::string CookieValue(const httplib::Request& req) {
  const std::string header = req.get_header_value("Cookie");
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, kCookie) &&
        absl::ConsumePrefix(&part, "=")) {
      return std::string(part);
    }
  }
  return "";
}

void SecurityHeaders(httplib::Response& res) {
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; script-src 'self'; style-src 'self'; "
                 "img-src 'self' data:; font-src 'self'; object-src 'none'; "
                 "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "same-origin");
}

nlohmann::json Nav(const auth::Principal& p, const std::string& path) {
  nlohmann::json nav = nlohmann::json::array();
  auto add = [&](const std::string& href, const std::string& text) {
    nav.push_back({{"href", href},
                   {"text", text},
                   {"active", absl::StartsWith(path, href)}});
  };
  if (p.HasRole("applicant") || p.HasRole("signatory")) {
    add("/applicant", "Your applications");
    add("/applicant/rounds", "Open funding rounds");
    add("/applicant/organisation", "Your organisation");
  }
  if (p.HasRole("assessor")) add("/assessor", "Your assessments");
  if (IsStaff(p)) {
    add("/staff/funds", "Funds");
    add("/staff/grants", "Agreements");
  }
  if (p.HasRole("finance_officer") || p.HasRole("finance_approver") ||
      p.HasRole("auditor") || p.HasRole("admin")) {
    add("/staff/payments", "Payments");
  }
  return nav;
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

const std::vector<std::string>& StaffRoles() {
  static const auto* v =
      new std::vector<std::string>{"grants_officer",  "approver",
                                   "moderator",       "safeguarding_officer",
                                   "finance_officer", "finance_approver",
                                   "auditor",         "admin"};
  return *v;
}

const std::vector<std::string>& Portal::kAnyone() {
  static const auto* v = new std::vector<std::string>{"*"};
  return *v;
}

std::string HomeFor(const auth::Principal& who) {
  if (who.HasRole("applicant") || who.HasRole("signatory")) return "/applicant";
  if (who.HasRole("assessor")) return "/assessor";
  if (IsStaff(who)) return "/staff";
  return "/sign-in";
}

absl::StatusOr<std::unique_ptr<Portal>> Portal::Create(PortalOptions options,
                                                       Backend* backend,
                                                       Clock* clock) {
  std::unique_ptr<Portal> p(new Portal());
  p->backend_ = backend;
  p->clock_ = clock;
  if (!options.dev_key.empty()) {
    auto signer = auth::TokenSigner::FromPemFile(options.dev_key);
    if (!signer.ok()) return signer.status();
    p->signer_ = std::move(*signer);
  }
  for (const std::string& k : options.trusted_keys) {
    if (absl::Status s = p->verifier_.AddPublicKeyPem(k); !s.ok()) return s;
  }
  p->options_ = std::move(options);
  return p;
}

absl::StatusOr<std::string> Portal::MintDevToken(const std::string& user) {
  if (signer_ == nullptr) {
    return absl::FailedPreconditionError("development sign-in is off");
  }
  if (!options_.dev_people.contains(user)) {
    return absl::NotFoundError("not a demo user");
  }
  const nlohmann::json& person = options_.dev_people[user];
  auth::TokenClaims claims;
  claims.principal.user = user;
  // The demo file is read leniently: a value of the wrong type is left out.
  const nlohmann::json roles = person.value("roles", nlohmann::json::array());
  for (const nlohmann::json& r : roles) {
    if (r.is_string()) claims.principal.roles.push_back(r.get<std::string>());
  }
  const nlohmann::json org = person.value("org", nlohmann::json());
  if (org.is_string() && !org.get<std::string>().empty()) {
    claims.principal.organisation = "organisations/" + org.get<std::string>();
  }
  const nlohmann::json limits =
      person.value("limits", nlohmann::json::object());
  for (const auto& [k, v] : limits.items()) {
    if (v.is_number_integer())
      claims.principal.limits_pence[k] = v.get<int64_t>();
  }
  claims.issued_at = clock_->Now();
  claims.expires_at = claims.issued_at + absl::Hours(8);
  return signer_->Sign(claims);
}

absl::StatusOr<auth::Principal> Portal::VerifyToken(const std::string& token) {
  return verifier_.Verify(token, clock_->Now());
}

void Portal::Install(httplib::Server& server) {
  // GOV.UK Frontend's stylesheet, script and images, and the portal's own.
  // Its fonts are not served: GDS Transport is for GOV.UK services only, so
  // pages fall back to Arial as the Frontend's stylesheet allows.
  const std::string assets = options_.assets_dir;
  const std::string own = options_.static_dir;
  server.Get(
      R"(/assets/([A-Za-z0-9_.\-/]+))",
      [assets, own](const httplib::Request& req, httplib::Response& res) {
        const std::string rel = req.matches[1];
        SecurityHeaders(res);
        if (absl::StrContains(rel, "..")) {
          res.status = 404;
          return;
        }
        std::string path;
        if (rel == "portal.css" || rel == "portal.js") {
          path = own + "/" + rel;
        } else if (rel == "govuk-frontend.min.css" ||
                   rel == "govuk-frontend.min.js") {
          path = assets + "/" + rel;
        } else if (absl::StartsWith(rel, "images/")) {
          path = assets + "/assets/" + rel;
        } else {
          res.status = 404;
          return;
        }
        std::string body = ReadWhole(path);
        if (body.empty()) {
          res.status = 404;
          return;
        }
        std::string type = "application/octet-stream";
        if (absl::EndsWith(rel, ".css")) type = "text/css";
        if (absl::EndsWith(rel, ".js")) type = "text/javascript";
        if (absl::EndsWith(rel, ".png")) type = "image/png";
        if (absl::EndsWith(rel, ".svg")) type = "image/svg+xml";
        if (absl::EndsWith(rel, ".ico")) type = "image/x-icon";
        res.set_header("Cache-Control", "public, max-age=3600");
        res.set_content(std::move(body), type);
      });
  InstallSignIn(*this, server);
  InstallApplicantPages(*this, server);
  InstallAssessorPages(*this, server);
  InstallStaffPages(*this, server);
  InstallOfficerPages(*this, server);
  InstallGrantPages(*this, server);
  InstallFinancePages(*this, server);
  // Nothing a request does may show its internals: an exception anywhere
  // below is a plain 500 page.
  server.set_exception_handler([](const httplib::Request&,
                                  httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.headers.erase("EXCEPTION_WHAT");
    res.set_content(
        "<!DOCTYPE html><html lang=\"en-GB\"><head><title>Sorry, there is a "
        "problem with the service</title></head><body><h1>Sorry, there is a "
        "problem with the service</h1><p>Try again later.</p></body></html>",
        "text/html; charset=utf-8");
  });
  server.set_error_handler(
      [this](const httplib::Request& req, httplib::Response& res) {
        if (res.status != 404 || !res.body.empty()) return;
        Session s;
        if (auto found = sessions_.Get(CookieValue(req), clock_->Now()))
          s = *found;
        Page page(this, req, res, s);
        page.Render("Page not found", "message",
                    {{"heading", "Page not found"},
                     {"paragraphs",
                      {"If you typed the web address, check it is "
                       "correct.",
                       "If you pasted the web address, check you "
                       "copied the entire address."}},
                     {"link_href", "/"},
                     {"link_text", "Go to the start"}},
                    nullptr, 404);
      });
}

void Portal::Get(httplib::Server& s, const std::string& pattern,
                 std::vector<std::string> roles, Handler h) {
  s.Get(pattern,
        [this, roles, h](const httplib::Request& req, httplib::Response& res) {
          Dispatch(req, res, roles, false, h);
        });
}

void Portal::Post(httplib::Server& s, const std::string& pattern,
                  std::vector<std::string> roles, Handler h) {
  s.Post(pattern,
         [this, roles, h](const httplib::Request& req, httplib::Response& res) {
           Dispatch(req, res, roles, true, h);
         });
}

void Portal::Dispatch(const httplib::Request& req, httplib::Response& res,
                      const std::vector<std::string>& roles, bool post,
                      const Handler& h) {
  SecurityHeaders(res);
  res.set_header("Cache-Control", "no-store");
  const absl::Time now = clock_->Now();
  std::optional<Session> session = sessions_.Get(CookieValue(req), now);
  const bool anyone = roles == kAnyone();
  if (!anyone && (!session || !session->signed_in())) {
    // Signed out (or expired): to the sign-in page.
    res.status = 303;
    res.set_header("Location", "/sign-in");
    return;
  }
  if (!session) session = sessions_.StartVisitor(now);
  Page page(this, req, res, *session);
  page.SetSessionCookie(session->id, session->expires - now);
  if (post && !SameSecret(page.Param("csrf"), session->csrf)) {
    Refusal r;
    r.summary =
        "This form has expired or did not come from this service, so "
        "nothing was changed. Go back, reload the page and try again.";
    r.http_status = 403;
    page.Refuse(r, "Form not accepted");
    return;
  }
  if (!anyone && !roles.empty()) {
    bool allowed = false;
    for (const std::string& r : roles)
      allowed = allowed || session->who.HasRole(r);
    if (!allowed) {
      Refusal r;
      r.summary =
          absl::StrCat("This page is not for your role. You are signed in as ",
                       session->who.user, " (",
                       absl::StrJoin(session->who.roles, ", "), ").");
      r.http_status = 403;
      page.Refuse(r, "You cannot open this page");
      return;
    }
  }
  h(page);
}

std::string Page::Param(const std::string& name) const {
  return req_.has_param(name) ? req_.get_param_value(name) : "";
}

std::vector<std::string> Page::Params(const std::string& name) const {
  std::vector<std::string> out;
  const size_t n = req_.get_param_value_count(name);
  for (size_t i = 0; i < n; ++i) out.push_back(req_.get_param_value(name, i));
  return out;
}

std::string Page::Match(int i) const {
  return i < static_cast<int>(req_.matches.size()) ? req_.matches[i].str() : "";
}

std::string Page::RequestId() const {
  const std::string id = Param("request_id");
  if (id.size() == 32 &&
      id.find_first_not_of("0123456789abcdef") == std::string::npos) {
    return "portal-" + id;
  }
  return "portal-" + RandomHex(16);
}

void Page::Render(const std::string& title, const std::string& tmpl,
                  nlohmann::json model, const Refusal* refusal, int status) {
  model["csrf"] = session_.csrf;
  model["request_id"] = RandomHex(16);
  nlohmann::json layout;
  layout["title"] = title;
  layout["service_name"] = portal_->options().service_name;
  layout["csrf"] = session_.csrf;
  layout["signed_in"] = session_.signed_in();
  layout["user"] = session_.who.user;
  layout["roles"] = absl::StrJoin(session_.who.roles, ", ");
  layout["organisation"] = session_.who.organisation;
  layout["nav"] = Nav(session_.who, req_.path);
  layout["has_nav"] = !layout["nav"].empty();
  layout["flash"] = portal_->sessions().TakeFlash(session_.id);
  if (model.contains("back")) layout["back"] = model["back"];
  if (refusal != nullptr) {
    layout["has_errors"] = true;
    layout["refusal"] = refusal->summary;
    nlohmann::json fe = nlohmann::json::array();
    for (const FieldError& e : refusal->fields) {
      fe.push_back({{"href", e.href}, {"text", e.text}});
      // The message beside its input too.
      if (model.contains("fields") && !e.input_id.empty()) {
        for (auto& f : model["fields"]) {
          if (f.value("id", "") == e.input_id && f.value("error", "").empty()) {
            f["error"] = e.text;
          }
        }
      }
    }
    layout["field_errors"] = fe;
    layout["has_field_errors"] = !fe.empty();
    if (status == 200) status = refusal->http_status;
  }
  if (model.contains("fields")) {
    for (auto& f : model["fields"]) {
      std::vector<std::string> described;
      if (!f.value("hint", "").empty())
        described.push_back(f["id"].get<std::string>() + "-hint");
      if (!f.value("error", "").empty())
        described.push_back(f["id"].get<std::string>() + "-error");
      f["described"] = absl::StrJoin(described, " ");
    }
  }
  res_.status = status;
  res_.set_content(RenderPage(tmpl, model, layout), "text/html; charset=utf-8");
}

void Page::Refuse(const Refusal& refusal, const std::string& title) {
  const std::string heading = !title.empty() ? title
                              : refusal.http_status == 403
                                  ? "You cannot do this"
                              : refusal.http_status == 404 ? "Not found"
                              : refusal.http_status >= 500
                                  ? "Sorry, there is a problem with the service"
                                  : "There is a problem";
  Render(heading, "message",
         {{"heading", heading},
          {"paragraphs", {refusal.summary}},
          {"link_href", HomeFor(session_.who)},
          {"link_text", "Go to your start page"}},
         nullptr, refusal.http_status);
}

void Page::SetSessionCookie(const std::string& id, absl::Duration max_age) {
  res_.headers.erase("Set-Cookie");
  res_.set_header(
      "Set-Cookie",
      absl::StrCat(kCookie, "=", id,
                   "; Path=/; HttpOnly; SameSite=Strict; Max-Age=",
                   std::max<int64_t>(0, absl::ToInt64Seconds(max_age)),
                   portal_->options().secure_cookies ? "; Secure" : ""));
}

void Page::Redirect(const std::string& path, const std::string& flash) {
  if (!flash.empty()) portal_->sessions().SetFlash(session_.id, flash);
  res_.status = 303;
  res_.set_header("Location", path);
}

}  // namespace grantflow::web
