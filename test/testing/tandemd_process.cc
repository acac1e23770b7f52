#include "testing/tandemd_process.h"

#include <fstream>

namespace tandem::testing {

TandemdProcess::TandemdProcess(TandemdOptions options)
    : DaemonProcess("confserv", options.listen, options.netns, options.plaintext) {
  if (options.tls) UseTls(*options.tls);
  std::ofstream toml(config_path());
  toml << "[server]\nlisten = \"" << options.listen << "\"\nport_file = \"" << port_file()
       << "\"\napplication = \"confserv\"\nshutdown_grace_s = 5\n"
       << options.server_toml
       << (options.storage_toml.empty()
               ? "[storage]\nbackend = \"sqlite\"\npath = \"" + dir_.file("config.db") + "\"\n"
               : options.storage_toml)
       << "[history]\nmax_count = " << options.history_max_count << "\n"
       << "[log]\nlevel = \"info\"\n"
       << TlsToml() << AuthToml(options.auth) << options.extra_toml;
}

}  // namespace tandem::testing
