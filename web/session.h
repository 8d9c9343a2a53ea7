// The portal's sessions: a random id in an HttpOnly, SameSite=Strict cookie
// (Secure under TLS) names a session held in memory, which keeps the
// person's signed bearer token (sent on to the services, which check it
// again), who they are, and the CSRF token every form must carry. Sessions
// end with their token, on sign-out, or when the store is full (the oldest
// goes). A restart signs everyone out; nothing here is a record.
#ifndef GRANTFLOW_WEB_SESSION_H_
#define GRANTFLOW_WEB_SESSION_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "platform/auth.h"

namespace grantflow::web {

struct Session {
  std::string id;     // the cookie's value: 32 random bytes, hex
  std::string csrf;   // the forms' token: 32 random bytes, hex
  std::string token;  // the bearer token; "" for a signed-out visitor
  auth::Principal who;
  absl::Time expires;
  std::string flash;  // a message for the next page ("Your draft is saved")
  bool signed_in() const { return !token.empty(); }
};

// `bytes` random bytes from OpenSSL's CSPRNG, as lower-case hex.
std::string RandomHex(size_t bytes);

// True when a and b are equal, in time that does not depend on where they
// differ.
bool SameSecret(absl::string_view a, absl::string_view b);

// Thread-safe.
class SessionStore {
 public:
  explicit SessionStore(size_t max_sessions = 20000)
      : max_sessions_(max_sessions) {}

  // A session for a visitor who has not signed in (it carries the sign-in
  // form's CSRF token), valid for an hour.
  Session StartVisitor(absl::Time now);
  // Signs in: a new session (a new id, so a planted id is worthless) with
  // the token and who it names, until the token expires.
  Session SignIn(std::string token, auth::Principal who, absl::Time expires,
                 absl::Time now);
  // The live session `id` names; nullopt when unknown or expired.
  std::optional<Session> Get(absl::string_view id, absl::Time now);
  void SetFlash(absl::string_view id, std::string message);
  // The flash message, once.
  std::string TakeFlash(absl::string_view id);
  void End(absl::string_view id);
  size_t size();

 private:
  Session Insert(Session s, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_sessions_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Session> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace grantflow::web

#endif  // GRANTFLOW_WEB_SESSION_H_
