#include "testing/csproxy_process.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

namespace tandem::testing {

CsProxyProcess::CsProxyProcess(CsProxyOptions options)
    : DaemonProcess("csproxy", options.listen, "", options.plaintext) {
  std::ofstream toml(config_path());
  toml << "[server]\nlisten = \"" << options.listen << "\"\nport_file = \"" << port_file()
       << "\"\napplication = \"csproxy\"\nshutdown_grace_s = 5\n[proxy]\nmasters = [";
  for (size_t i = 0; i < options.masters.size(); ++i) {
    toml << (i > 0 ? ", " : "") << "\"" << options.masters[i] << "\"";
  }
  toml << "]\nhistory_max_count = " << options.history_max_count
       << "\nreload_stagger_max_ms = " << options.reload_stagger_max_ms
       << "\nreconnect_max_backoff_s = " << options.reconnect_max_backoff_s << "\n"
       << options.extra_toml << "[log]\nlevel = \"info\"\n"
       << TlsToml() << AuthToml(options.auth);
}

bool CsProxyProcess::WaitForMode(config::v1::ProxyMode mode, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    const config::v1::ServerInfo info = Info(std::chrono::seconds(2));
    if (info.role() == config::v1::ROLE_PROXY && info.proxy_mode() == mode) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace tandem::testing
