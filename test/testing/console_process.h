// Runs a real `tandemd console` for integration tests (DaemonProcess's
// process handling): HTTPS with a certificate of the test CA for its listen
// host, talking to the given configuration servers.
#pragma once

#include <string>
#include <vector>

#include "testing/daemon_process.h"

namespace tandem::testing {

struct ConsoleOptions {
  std::vector<std::string> servers;
  std::string listen = "127.0.0.1:0";
  //! More lines for the [console] section.
  std::string console_toml;
  //! More sections ([metrics]).
  std::string extra_toml;
};

class ConsoleProcess : public DaemonProcess {
 public:
  explicit ConsoleProcess(ConsoleOptions options);
  //! https://HOST:PORT
  std::string url() const { return "https://" + address(); }
};

}  // namespace tandem::testing
