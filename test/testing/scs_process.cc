#include "testing/scs_process.h"

#include <fstream>

namespace tandem::testing {

ScsProcess::ScsProcess(ScsOptions options) : DaemonProcess("scs", "127.0.0.1:0") {
  std::ofstream toml(config_path());
  toml << "[scs]\napplication = \"scs\"\nstatus_file = \"" << status_file() << "\"\nready_file = \""
       << port_file() << "\"\ngrace_period_s = " << options.grace_period_s << "\n"
       << options.extra_toml << "[config]\nmasters = [";
  for (size_t i = 0; i < options.masters.size(); ++i) {
    toml << (i > 0 ? ", " : "") << "\"" << options.masters[i] << "\"";
  }
  toml << "]\n[log]\nlevel = \"info\"\n" << TlsToml();
}

}  // namespace tandem::testing
