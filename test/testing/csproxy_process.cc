#include "testing/csproxy_process.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

namespace tandem::testing {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

CsProxyProcess::CsProxyProcess(CsProxyOptions options) : DaemonProcess("csproxy", "127.0.0.1:0") {
  std::ofstream toml(config_path());
  toml << "[server]\nlisten = \"127.0.0.1:0\"\nport_file = \"" << port_file()
       << "\"\napplication = \"csproxy\"\nshutdown_grace_s = 5\n[proxy]\nmasters = [";
  for (size_t i = 0; i < options.masters.size(); ++i) {
    toml << (i > 0 ? ", " : "") << "\"" << options.masters[i] << "\"";
  }
  toml << "]\nhistory_max_count = " << options.history_max_count
       << "\nreload_stagger_max_ms = " << options.reload_stagger_max_ms
       << "\nreconnect_max_backoff_s = " << options.reconnect_max_backoff_s << "\n"
       << options.extra_toml << "[log]\nlevel = \"info\"\n";
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
