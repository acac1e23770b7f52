#include "testing/daemon_process.h"

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
#include "grpcpp/security/credentials.h"
#include "testing/test_pki.h"

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

std::vector<std::string> Alarms(const config::v1::ServerInfo& info) {
  std::vector<std::string> out;
  for (const std::string& a : info.alarms()) {
    if (a.rfind("authentication is off", 0) != 0) out.push_back(a);
  }
  return out;
}

std::string BinaryPath(const std::string& name) {
  const char* dir = std::getenv("TANDEM_BIN_DIR");
  return std::string(dir != nullptr ? dir : "src/exe") + "/" + name;
}

CommandResult Shell(const std::string& command) {
  CommandResult r;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

DaemonProcess::DaemonProcess(std::string mode, std::string listen, std::string netns,
                             bool plaintext)
    : mode_(std::move(mode)), listen_(std::move(listen)), netns_(std::move(netns)) {
  if (plaintext) {
    tls_.plaintext = true;
    return;
  }
  std::string host = listen_.substr(0, listen_.rfind(':'));
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  std::vector<std::string> hosts;
  if (!host.empty() && host != "0.0.0.0" && host != "127.0.0.1" && host != "::" && host != "::1" &&
      host != "localhost") {
    hosts.push_back(host);
  }
  tls_ = TestPki::Get().Server(mode_, hosts);
}

std::string DaemonProcess::TlsToml() const {
  if (tls_.plaintext) return "[tls]\nplaintext = true\n";
  return "[tls]\ncert = \"" + tls_.cert + "\"\nkey = \"" + tls_.key + "\"\nca = \"" + tls_.ca +
         "\"\n";
}

std::string DaemonProcess::AuthToml(bool on) const {
  if (!on) return "[auth]\nmode = \"off\"\n";
  return "[auth]\nmode = \"on\"\nargon2_ops = 1\nargon2_memory_mib = 1\nbootstrap_file = \"" +
         bootstrap_file() + "\"\n";
}

TlsFiles DaemonProcess::ClientTls() const {
  if (tls_.plaintext) {
    TlsFiles plain;
    plain.plaintext = true;
    return plain;
  }
  return TestPki::Get().Trust();
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) Kill();
}

void DaemonProcess::Start() {
  int status = 0;
  if (StartOrExit(&status)) return;
  if (pid_ > 0) FAIL() << "tandemd " << mode_ << " did not start within 20 s:\n" << Log();
  FAIL() << "tandemd " << mode_ << " exited during start-up (status " << status << "):\n" << Log();
}

bool DaemonProcess::StartOrExit(int* exit_status) {
  EXPECT_LE(pid_, 0) << "already running";
  if (pid_ > 0) return false;
  std::remove(port_file().c_str());
  const std::string bin = BinaryPath("tandemd");
  const std::string conf = config_path();
  const std::string log = dir_.file(mode_ + ".log");
  pid_ = fork();
  EXPECT_GE(pid_, 0);
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    FILE* out = freopen(log.c_str(), "a", stderr);
    (void)out;
    if (!netns_.empty()) {
      execlp("ip", "ip", "netns", "exec", netns_.c_str(), bin.c_str(), mode_.c_str(), "-f",
             conf.c_str(), nullptr);
    }
    execl(bin.c_str(), bin.c_str(), mode_.c_str(), "-f", conf.c_str(), nullptr);
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_file());
    if (in >> port_ && port_ > 0) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  *exit_status = -1;
  return false;
}

void DaemonProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

int DaemonProcess::Terminate() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

bool DaemonProcess::Exited(int seconds, int* status) {
  if (pid_ <= 0) return true;
  for (int i = 0; i < seconds * 50; ++i) {
    if (waitpid(pid_, status, WNOHANG) == pid_) {
      pid_ = -1;
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string DaemonProcess::address() const {
  std::string host = listen_.substr(0, listen_.rfind(':'));
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  return host + ":" + std::to_string(port_);
}

std::unique_ptr<config::v1::ConfigService::Stub> DaemonProcess::Stub() const {
  return config::v1::ConfigService::NewStub(Channel());
}

std::shared_ptr<grpc::Channel> DaemonProcess::Channel() const {
  // Plain gRPC, not net::MakeChannel: this library must not pull in
  // libgrpc++_reflection (the reflection test brings its own descriptors).
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);  // big transactions answer big
  if (tls_.plaintext) {
    return grpc::CreateCustomChannel(address(), grpc::InsecureChannelCredentials(), args);
  }
  std::ifstream in(TestPki::Get().ca());
  std::stringstream roots;
  roots << in.rdbuf();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = roots.str();
  return grpc::CreateCustomChannel(address(), grpc::SslCredentials(ssl), args);
}

config::v1::ServerInfo DaemonProcess::Info(std::chrono::seconds timeout) const {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  config::v1::ServerInfo info;
  (void)Stub()->GetServerInfo(&ctx, config::v1::ServerInfoRequest(), &info);
  return info;
}

std::string DaemonProcess::Log() const {
  std::ifstream in(dir_.file(mode_ + ".log"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace tandem::testing
