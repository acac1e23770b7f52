// Runs a real BIND 9 (`named -g -u bind`) for integration tests: on
// 127.0.0.1 and a free port, authoritative for tandem.test. with dynamic
// updates allowed for one TSIG key made by tsig-keygen; stopped (SIGTERM,
// wait) when destroyed.
#pragma once

#include <sys/types.h>

#include <string>

#include "testing/temp_dir.h"

namespace tandem::testing {

class NamedServer {
 public:
  //! The zone it serves.
  static constexpr char kZone[] = "tandem.test.";
  //! Key allowed to update the zone.
  static constexpr char kUpdateKey[] = "tandem-update";
  //! Key the server knows but does not allow to update.
  static constexpr char kOtherKey[] = "tandem-other";

  NamedServer();
  ~NamedServer();
  NamedServer(const NamedServer&) = delete;
  NamedServer& operator=(const NamedServer&) = delete;

  //! Writes the configuration and keys, starts named and waits (up to 20 s)
  //! until it answers; use ASSERT_NO_FATAL_FAILURE.
  void Start();
  //! SIGTERM and wait; idempotent.
  void Stop();

  bool running() const { return pid_ > 0; }
  //! "127.0.0.1:PORT".
  std::string address() const;
  int port() const { return port_; }
  //! Key files as tsig-keygen wrote them.
  std::string update_key_file() const { return dir_.file("update.key"); }
  std::string other_key_file() const { return dir_.file("other.key"); }
  const std::string& dir() const { return dir_.path(); }
  //! named's output so far (for failure messages).
  std::string Log() const;

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

//! A port on 127.0.0.1 free for both UDP and TCP right now.
int FreeDnsPort();

}  // namespace tandem::testing
