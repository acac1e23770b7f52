// Runs a real `tandemd scs` for integration tests (DaemonProcess's process
// handling); its certificate's CN is "scs", so the Application it runs as
// is "scs". Its status file is status_file().
#pragma once

#include <string>
#include <vector>

#include "testing/daemon_process.h"

namespace tandem::testing {

struct ScsOptions {
  std::vector<std::string> masters;
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
