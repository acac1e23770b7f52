#include "console/session_store.h"

#include <sodium.h>

#include "absl/strings/escaping.h"
#include "common/status_macros.h"

namespace tandem::console {

std::string SessionStore::NewId() {
  TANDEM_CHECK(sodium_init() >= 0, "libsodium cannot be initialised");
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof(bytes));
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

Session SessionStore::Create(Session session) {
  const absl::Time now = clock_.Now();
  session.id = NewId();
  session.last_used = now;
  absl::MutexLock lock(&mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = Expired(it->second, now) ? sessions_.erase(it) : std::next(it);
  }
  while (static_cast<int>(sessions_.size()) >= max_) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.last_used < oldest->second.last_used) oldest = it;
    }
    sessions_.erase(oldest);
  }
  sessions_[session.id] = session;
  return session;
}

std::optional<Session> SessionStore::Find(const std::string& id) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  if (Expired(it->second, now)) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_used = now;
  return it->second;
}

void SessionStore::Remove(const std::string& id) {
  absl::MutexLock lock(&mu_);
  sessions_.erase(id);
}

int64_t SessionStore::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(sessions_.size());
}

}  // namespace tandem::console
