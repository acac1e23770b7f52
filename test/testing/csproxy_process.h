// Runs a real `tandemd csproxy` in a temporary directory for integration
// tests: start, wait until it serves in a given mode, kill or SIGTERM (the
// process handling is DaemonProcess's).
#pragma once

#include <string>
#include <vector>

#include "testing/daemon_process.h"

namespace tandem::testing {

struct CsProxyOptions {
  //! "host:port" of each master, in order.
  std::vector<std::string> masters;
  int64_t history_max_count = 100000;
  //! Tests want reloads at once.
  int reload_stagger_max_ms = 0;
  int reconnect_max_backoff_s = 1;
  std::string extra_toml;
  //! [server] listen.
  std::string listen = "127.0.0.1:0";
  //! [tls] plaintext = true (then the masters must be plaintext too).
  bool plaintext = false;
  //! [auth] mode = "on" (off by default).
  bool auth = false;
};

class CsProxyProcess : public DaemonProcess {
 public:
  explicit CsProxyProcess(CsProxyOptions options);

  //! Waits up to `seconds` until GetServerInfo reports `mode`; true if it did.
  bool WaitForMode(config::v1::ProxyMode mode, int seconds);
};

}  // namespace tandem::testing
