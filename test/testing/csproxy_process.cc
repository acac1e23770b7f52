#include "testing/csproxy_process.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "testing/tandemd_process.h"

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

CsProxyProcess::CsProxyProcess(CsProxyOptions options) : options_(std::move(options)) {
  std::ofstream toml(dir_.file("csproxy.toml"));
  toml << "[server]\nlisten = \"127.0.0.1:0\"\nport_file = \"" << dir_.file("port")
       << "\"\napplication = \"csproxy\"\nshutdown_grace_s = 5\n[proxy]\nmasters = [";
  for (size_t i = 0; i < options_.masters.size(); ++i) {
    toml << (i > 0 ? ", " : "") << "\"" << options_.masters[i] << "\"";
  }
  toml << "]\nhistory_max_count = " << options_.history_max_count
       << "\nreload_stagger_max_ms = " << options_.reload_stagger_max_ms
       << "\nreconnect_max_backoff_s = " << options_.reconnect_max_backoff_s << "\n"
       << options_.extra_toml << "[log]\nlevel = \"info\"\n";
}

CsProxyProcess::~CsProxyProcess() {
  if (pid_ > 0) Kill();
}

void CsProxyProcess::Start() {
  ASSERT_LE(pid_, 0) << "already running";
  std::remove(dir_.file("port").c_str());
  const std::string bin = BinaryPath("tandemd");
  const std::string conf = dir_.file("csproxy.toml");
  const std::string log = dir_.file("csproxy.log");
  pid_ = fork();
  ASSERT_GE(pid_, 0);
  if (pid_ == 0) {
    FILE* out = freopen(log.c_str(), "a", stderr);
    (void)out;
    execl(bin.c_str(), bin.c_str(), "csproxy", "-f", conf.c_str(), nullptr);
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(dir_.file("port"));
    if (in >> port_ && port_ > 0) return;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL() << "tandemd csproxy exited during start-up:\n" << Log();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL() << "tandemd csproxy did not start within 20 s:\n" << Log();
}

bool CsProxyProcess::WaitForMode(config::v1::ProxyMode mode, int seconds) {
  auto stub = Stub();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    config::v1::ServerInfo info;
    if (stub->GetServerInfo(&ctx, config::v1::ServerInfoRequest(), &info).ok() &&
        info.proxy_mode() == mode) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void CsProxyProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

int CsProxyProcess::Terminate() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::unique_ptr<config::v1::ConfigService::Stub> CsProxyProcess::Stub() const {
  return config::v1::ConfigService::NewStub(Channel());
}

std::shared_ptr<grpc::Channel> CsProxyProcess::Channel() const {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  return grpc::CreateCustomChannel(address(), grpc::InsecureChannelCredentials(), args);
}

config::v1::ServerInfo CsProxyProcess::Info() const {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  config::v1::ServerInfo info;
  (void)Stub()->GetServerInfo(&ctx, config::v1::ServerInfoRequest(), &info);
  return info;
}

std::string CsProxyProcess::Log() const {
  std::ifstream in(dir_.file("csproxy.log"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace tandem::testing
