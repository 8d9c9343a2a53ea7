#include "web/session.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <vector>

#include "absl/strings/escaping.h"

namespace grantflow::web {

std::string RandomHex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
    // Never hand out a guessable session: without randomness, stop.
    std::abort();
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(buf.data()), buf.size()));
}

bool SameSecret(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Session SessionStore::Insert(Session s, absl::Time now) {
  if (sessions_.size() >= max_sessions_) {
    // Drop the expired first; if none, the one that ends soonest.
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (it->second.expires <= now) {
        sessions_.erase(it++);
      } else {
        ++it;
      }
    }
    while (sessions_.size() >= max_sessions_) {
      auto oldest = sessions_.begin();
      for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
        if (it->second.expires < oldest->second.expires) oldest = it;
      }
      sessions_.erase(oldest);
    }
  }
  sessions_[s.id] = s;
  return s;
}

Session SessionStore::StartVisitor(absl::Time now) {
  Session s;
  s.id = RandomHex(32);
  s.csrf = RandomHex(32);
  s.expires = now + absl::Hours(1);
  absl::MutexLock l(&mu_);
  return Insert(std::move(s), now);
}

Session SessionStore::SignIn(std::string token, auth::Principal who,
                             absl::Time expires, absl::Time now) {
  Session s;
  s.id = RandomHex(32);
  s.csrf = RandomHex(32);
  s.token = std::move(token);
  s.who = std::move(who);
  s.expires = expires;
  absl::MutexLock l(&mu_);
  return Insert(std::move(s), now);
}

std::optional<Session> SessionStore::Get(absl::string_view id, absl::Time now) {
  if (id.size() != 64) return std::nullopt;
  absl::MutexLock l(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void SessionStore::SetFlash(absl::string_view id, std::string message) {
  absl::MutexLock l(&mu_);
  auto it = sessions_.find(id);
  if (it != sessions_.end()) it->second.flash = std::move(message);
}

std::string SessionStore::TakeFlash(absl::string_view id) {
  absl::MutexLock l(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return "";
  return std::exchange(it->second.flash, "");
}

void SessionStore::End(absl::string_view id) {
  absl::MutexLock l(&mu_);
  sessions_.erase(id);
}

size_t SessionStore::size() {
  absl::MutexLock l(&mu_);
  return sessions_.size();
}

}  // namespace grantflow::web
