#include "testing/console_process.h"

#include <fstream>

namespace tandem::testing {

ConsoleProcess::ConsoleProcess(ConsoleOptions options) : DaemonProcess("console", options.listen) {
  std::ofstream toml(config_path());
  toml << "[server]\nlisten = \"" << options.listen << "\"\nport_file = \"" << port_file() << "\"\n"
       << TlsToml() << "[console]\nservers = [";
  for (size_t i = 0; i < options.servers.size(); ++i) {
    toml << (i > 0 ? ", " : "") << "\"" << options.servers[i] << "\"";
  }
  toml << "]\n" << options.console_toml << "[log]\nlevel = \"info\"\n" << options.extra_toml;
}

}  // namespace tandem::testing
