// Browser sessions of the console: a random id (the cookie) standing for a
// person's session token, which the console sends with every call it makes
// on that person's behalf. A session ends when unused for the idle time,
// when its token expires, at logout, or when the store is full and it is
// the least recently used.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace tandem::console {

struct Session {
  std::string id;
  //! The person's session token (never sent to the browser).
  std::string token;
  //! Who the server takes the person for ("person alice").
  std::string identity;
  bool administrator = false;
  absl::Time token_expires = absl::InfiniteFuture();
  absl::Time last_used = absl::UnixEpoch();
};

class SessionStore {
 public:
  SessionStore(const Clock& clock, absl::Duration idle, int max_sessions)
      : clock_(clock), idle_(idle), max_(max_sessions) {}

  //! A new session for `session` (its id and last_used are set here); the
  //! least recently used one ends if the store is full.
  Session Create(Session session);
  //! The live session of `id`, marked used; nullopt if none (unknown,
  //! idle too long, token expired).
  std::optional<Session> Find(const std::string& id);
  void Remove(const std::string& id);
  int64_t size() const;

  //! 32 random bytes, hex (libsodium's randombytes).
  static std::string NewId();

 private:
  bool Expired(const Session& s, absl::Time now) const {
    return now - s.last_used > idle_ || now >= s.token_expires;
  }

  const Clock& clock_;
  const absl::Duration idle_;
  const int max_;
  mutable absl::Mutex mu_;
  std::map<std::string, Session> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem::console
