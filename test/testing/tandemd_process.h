// Runs a real `tandemd confserv` in a temporary directory for integration
// tests: start, wait until serving, kill -9 or SIGTERM, restart on the same
// database (the process handling is DaemonProcess's).
#pragma once

#include <signal.h>

#include <optional>
#include <string>

#include "testing/daemon_process.h"

namespace tandem::testing {

struct TandemdOptions {
  int64_t history_max_count = 100000;
  std::string extra_toml;
  //! Replaces the [storage] section (default: SQLite in the temporary dir).
  std::string storage_toml;
  //! [server] listen; a fixed port keeps the address across restarts.
  std::string listen = "127.0.0.1:0";
  //! Run inside this network namespace (`ip netns exec`), as another host.
  std::string netns = "";
  //! More lines for the [server] section.
  std::string server_toml = "";
  //! [tls] plaintext = true instead of a certificate of the test CA.
  bool plaintext = false;
  //! These [tls] files instead of a certificate of the test CA.
  std::optional<TlsFiles> tls;
  //! Authentication on ([auth] mode = "on", with cheap password hashing);
  //! off by default, for the tests that are not about it.
  bool auth = false;
};

class TandemdProcess : public DaemonProcess {
 public:
  explicit TandemdProcess(TandemdOptions options = {});
};

}  // namespace tandem::testing
