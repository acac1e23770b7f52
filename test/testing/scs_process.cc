#include "testing/scs_process.h"

#include <fstream>

#include "testing/test_pki.h"

namespace tandem::testing {

ScsProcess::ScsProcess(ScsOptions options)
    : DaemonProcess("scs", options.listen.empty() ? "127.0.0.1:0" : options.listen) {
  if (options.application != "scs") UseTls(TestPki::Get().Server(options.application));
  std::ofstream toml(config_path());
  toml << "[scs]\napplication = \"" << options.application << "\"\n"
       << (options.listen.empty() ? "" : "listen = \"" + options.listen + "\"\n")
       << "status_file = \"" << status_file() << "\"\nready_file = \"" << port_file()
       << "\"\ngrace_period_s = " << options.grace_period_s << "\n"
       << options.extra_toml << "[config]\nmasters = [";
  for (size_t i = 0; i < options.masters.size(); ++i) {
    toml << (i > 0 ? ", " : "") << "\"" << options.masters[i] << "\"";
  }
  toml << "]\n[log]\nlevel = \"info\"\n" << TlsToml();
}

}  // namespace tandem::testing
