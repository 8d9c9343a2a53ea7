// Signing in and out. In development the page lists the demo people by role
// and signs their tokens with grantflowd's development key; in production
// it takes a signed token (from the funder's identity provider) and
// verifies it with the trusted public keys, as grantflowd does.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "web/portal.h"

namespace grantflow::web {
namespace {

// Who the demo people are, in words, by their first role.
const char* RoleWords(const std::string& role) {
  static const std::map<std::string, const char*> words = {
      {"applicant", "Community group: applies for grants"},
      {"signatory", "Community group: signs funding agreements"},
      {"assessor", "Assessor: scores bids and interviews"},
      {"moderator", "Moderator: settles assessors' scores"},
      {"grants_officer", "Grants team: runs rounds, checks and agreements"},
      {"approver", "Grants team: approves awards, countersigns"},
      {"safeguarding_officer", "Safeguarding officer"},
      {"finance_officer", "Finance: bank details and payment requests"},
      {"finance_approver", "Finance: approves payments"},
      {"auditor", "Auditor: reads everything, changes nothing"},
      {"admin", "Administrator"},
  };
  auto it = words.find(role);
  return it == words.end() ? "Other" : it->second;
}

void ShowSignIn(Page& page, const Refusal* refusal) {
  const PortalOptions& o = page.portal().options();
  nlohmann::json blocks = nlohmann::json::array();
  if (!o.dev_key.empty() && !o.dev_people.empty()) {
    blocks.push_back({{"inset",
                       "This is a development server: choose a demo person "
                       "to sign in as. In production people sign in with "
                       "their organisation's account."}});
    // By user group, then name.
    const std::vector<std::pair<std::string, std::vector<std::string>>> groups =
        {{"Community groups", {"applicant", "signatory"}},
         {"Assessors and moderators", {"assessor", "moderator"}},
         {"Grants team",
          {"grants_officer", "approver", "safeguarding_officer"}},
         {"Finance", {"finance_officer", "finance_approver"}},
         {"Audit and administration", {"auditor", "admin"}}};
    for (const auto& [heading, group_roles] : groups) {
      nlohmann::json forms = nlohmann::json::array();
      for (const auto& [user, person] : o.dev_people.items()) {
        std::vector<std::string> roles;
        for (const auto& r : person.value("roles", nlohmann::json::array())) {
          if (r.is_string()) roles.push_back(r.get<std::string>());
        }
        if (roles.empty() || std::find(group_roles.begin(), group_roles.end(),
                                       roles[0]) == group_roles.end()) {
          continue;
        }
        const nlohmann::json org_value = person.value("org", nlohmann::json());
        const std::string org =
            org_value.is_string() ? org_value.get<std::string>() : "";
        forms.push_back(
            {{"form",
              {{"action", "/sign-in"},
               {"hidden", {{{"name", "user"}, {"value", user}}}},
               {"fields", nlohmann::json::array()},
               {"secondary", true},
               {"button",
                absl::StrCat(
                    "Sign in as ", user, ": ", RoleWords(roles[0]),
                    org.empty() ? "" : absl::StrCat(" (", org, ")"))}}}});
      }
      if (forms.empty()) continue;
      blocks.push_back({{"h2", heading}});
      for (auto& f : forms) blocks.push_back(f);
    }
  }
  if (!o.trusted_keys.empty()) {
    blocks.push_back({{"h2", "Sign in with a token"}});
    blocks.push_back({{"form",
                       {{"action", "/sign-in"},
                        {"fields",
                         {{{"is_textarea", true},
                           {"id", "token"},
                           {"name", "token"},
                           {"rows", "4"},
                           {"label", "Your sign-in token"},
                           {"hint",
                            "Paste the token your organisation's sign-in gave "
                            "you."}}}},
                        {"button", "Sign in"}}}});
  }
  if (blocks.empty()) {
    blocks.push_back({{"para", "Sign-in is not set up on this server."}});
  }
  page.Render("Sign in", "page", {{"heading", "Sign in"}, {"blocks", blocks}},
              refusal);
}

}  // namespace

void InstallSignIn(Portal& portal, httplib::Server& s) {
  portal.Get(s, "/", Portal::kAnyone(), [](Page& page) {
    page.Redirect(page.session().signed_in() ? HomeFor(page.who())
                                             : "/sign-in");
  });
  portal.Get(s, "/sign-in", Portal::kAnyone(),
             [](Page& page) { ShowSignIn(page, nullptr); });
  portal.Post(s, "/sign-in", Portal::kAnyone(), [](Page& page) {
    Portal& p = page.portal();
    std::string token;
    if (!page.Param("user").empty()) {
      absl::StatusOr<std::string> minted = p.MintDevToken(page.Param("user"));
      if (!minted.ok()) {
        Refusal r;
        r.summary = "That person cannot sign in here.";
        r.http_status = 403;
        ShowSignIn(page, &r);
        return;
      }
      token = *minted;
    } else {
      token = std::string(absl::StripAsciiWhitespace(page.Param("token")));
    }
    absl::StatusOr<auth::Principal> who = p.VerifyToken(token);
    if (!who.ok()) {
      Refusal r = FormErrors({{"token", "#token",
                               "Your sign-in token was not accepted: it may "
                               "have expired. Ask for a new one."}});
      r.http_status = 401;
      ShowSignIn(page, &r);
      return;
    }
    // A new session id at sign-in; the visitor's session ends.
    p.sessions().End(page.session().id);
    Session s2 = p.sessions().SignIn(
        token, *who, p.clock().Now() + absl::Hours(8), p.clock().Now());
    page.SetSessionCookie(s2.id, absl::Hours(8));
    page.Redirect(HomeFor(*who));
  });
  portal.Post(s, "/sign-out", {}, [](Page& page) {
    page.portal().sessions().End(page.session().id);
    page.SetSessionCookie("", absl::ZeroDuration());
    page.Redirect("/sign-in");
  });
}

}  // namespace grantflow::web
