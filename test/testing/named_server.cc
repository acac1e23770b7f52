#include "testing/named_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace tandem::testing {
namespace {

//! Binds `type` on 127.0.0.1:port (0 = any); returns the port or 0.
int BindPort(int type, int port, int* fd_out) {
  int fd = socket(AF_INET, type, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return 0;
  }
  *fd_out = fd;
  return ntohs(addr.sin_port);
}

}  // namespace

int FreeDnsPort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int udp = -1;
    int tcp = -1;
    int port = BindPort(SOCK_DGRAM, 0, &udp);
    bool ok = port > 0 && BindPort(SOCK_STREAM, port, &tcp) == port;
    if (udp >= 0) close(udp);
    if (tcp >= 0) close(tcp);
    if (ok) return port;
  }
  return 0;
}

NamedServer::NamedServer() = default;

NamedServer::~NamedServer() { Stop(); }

void NamedServer::Start() {
  ASSERT_LE(pid_, 0) << "already running";
  const std::string dir = dir_.path();
  // named drops to user bind: it must reach the directory and write its journal.
  chmod(dir.c_str(), 0777);
  for (const auto& [file, name] :
       {std::pair{update_key_file(), kUpdateKey}, std::pair{other_key_file(), kOtherKey}}) {
    std::string cmd = "tsig-keygen " + std::string(name) + " > " + file;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  port_ = FreeDnsPort();
  ASSERT_GT(port_, 0);
  {
    std::ofstream zone(dir_.file("tandem.test.zone"));
    zone << "$TTL 300\n"
            "@ IN SOA ns.tandem.test. hostmaster.tandem.test. 1 3600 600 86400 60\n"
            "@ IN NS ns.tandem.test.\n"
            "ns IN A 127.0.0.1\n";
    std::ofstream conf(dir_.file("named.conf"));
    conf << "options {\n  directory \"" << dir << "\";\n  listen-on port " << port_
         << " { 127.0.0.1; };\n  listen-on-v6 { none; };\n  pid-file \"" << dir_.file("named.pid")
         << "\";\n  session-keyfile \"" << dir_.file("session.key")
         << "\";\n  recursion no;\n  dnssec-validation no;\n  notify no;\n};\n"
         << "controls { };\n"
         << "include \"" << update_key_file() << "\";\ninclude \"" << other_key_file() << "\";\n"
         << "zone \"tandem.test\" {\n  type primary;\n  file \"" << dir_.file("tandem.test.zone")
         << "\";\n  allow-update { key \"" << kUpdateKey << "\"; };\n};\n";
  }
  if (geteuid() == 0) {
    if (passwd* bind = getpwnam("bind"); bind != nullptr) {
      for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (chown(entry.path().c_str(), bind->pw_uid, bind->pw_gid) != 0) {
          ADD_FAILURE() << "chown " << entry.path();
        }
      }
      ASSERT_EQ(chown(dir.c_str(), bind->pw_uid, bind->pw_gid), 0);
    }
  }
  const std::string conf = dir_.file("named.conf");
  const std::string log = dir_.file("named.log");
  pid_ = fork();
  ASSERT_GE(pid_, 0);
  if (pid_ == 0) {
    FILE* out = freopen(log.c_str(), "a", stderr);
    (void)out;
    if (geteuid() == 0) {
      execlp("named", "named", "-g", "-u", "bind", "-c", conf.c_str(), nullptr);
    }
    execlp("named", "named", "-g", "-c", conf.c_str(), nullptr);
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (Log().find("\nrunning") != std::string::npos ||
        Log().find(" running\n") != std::string::npos) {
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL() << "named exited during start-up:\n" << Log();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL() << "named did not start within 20 s:\n" << Log();
}

void NamedServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 500; ++i) {  // 10 s, then kill -9
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string NamedServer::address() const { return "127.0.0.1:" + std::to_string(port_); }

std::string NamedServer::Log() const {
  std::ifstream in(dir_.file("named.log"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace tandem::testing
