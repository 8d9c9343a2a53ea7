// A browser's worth of state for the portal's HTTP tests: the session
// cookie, and the CSRF token of the last page read.
#ifndef GRANTFLOW_TESTS_WEB_VISITOR_H_
#define GRANTFLOW_TESTS_WEB_VISITOR_H_

#include <regex>
#include <string>

#include "httplib.h"

namespace grantflow::testing {

class Visitor {
 public:
  explicit Visitor(const std::string& url) : client_(url) {
    client_.set_follow_location(false);
  }

  httplib::Result Get(const std::string& path) {
    httplib::Result r = client_.Get(path, Headers());
    Absorb(r);
    return r;
  }
  // Posts `form` with the CSRF token unless `with_csrf` is false.
  httplib::Result Post(const std::string& path, httplib::Params form,
                       bool with_csrf = true) {
    if (with_csrf) form.emplace("csrf", csrf_);
    httplib::Result r = client_.Post(path, Headers(), form);
    Absorb(r);
    return r;
  }
  // Signs in as a demo person; false when the portal refused.
  bool SignIn(const std::string& user) {
    Get("/sign-in");
    httplib::Result r = Post("/sign-in", {{"user", user}});
    return r && r->status == 303;
  }
  const std::string& cookie() const { return cookie_; }
  const std::string& csrf() const { return csrf_; }
  void set_csrf(std::string c) { csrf_ = std::move(c); }

 private:
  httplib::Headers Headers() const {
    httplib::Headers h;
    if (!cookie_.empty()) h.emplace("Cookie", cookie_);
    return h;
  }
  void Absorb(const httplib::Result& r) {
    if (!r) return;
    const std::string set = r->get_header_value("Set-Cookie");
    if (!set.empty()) cookie_ = set.substr(0, set.find(';'));
    static const std::regex csrf(R"re(name="csrf" value="([0-9a-f]+)")re");
    std::smatch m;
    if (std::regex_search(r->body, m, csrf)) csrf_ = m[1];
  }

  httplib::Client client_;
  std::string cookie_;
  std::string csrf_;
};

}  // namespace grantflow::testing

#endif  // GRANTFLOW_TESTS_WEB_VISITOR_H_
