// Runs a real `tandemd scs` for integration tests (DaemonProcess's process
// handling); its certificate's CN is its Application's name (default
// "scs"). Its status file is status_file().
#pragma once

#include <string>
#include <vector>

#include "testing/daemon_process.h"

namespace tandem::testing {

struct ScsOptions {
  std::vector<std::string> masters;
  //! Its Application (and its certificate's CN).
  std::string application = "scs";
  //! [scs] listen (ScsControl), e.g. for an SCS pair; empty: none.
  std::string listen;
  int grace_period_s = 3;
  //! More lines for the [scs] section.
  std::string extra_toml;
};

class ScsProcess : public DaemonProcess {
 public:
  explicit ScsProcess(ScsOptions options);
  std::string status_file() const { return dir_.file("status.json"); }
};

}  // namespace tandem::testing
