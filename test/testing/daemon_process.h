// Runs a real `tandemd MODE -f MODE.toml` in a temporary directory for
// integration tests: start and wait until it serves (its port file), kill -9
// or SIGTERM, wait for it to exit, read its log. TandemdProcess (confserv)
// and CsProxyProcess (csproxy) write the configuration and add their own
// checks.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/channel.h"
#include "tandem/config/v1/config.grpc.pb.h"
#include "tandem/tls_files.h"
#include "testing/temp_dir.h"

namespace tandem::testing {

class DaemonProcess {
 public:
  //! `listen`: the [server] listen address (its host is the one clients
  //! use; 127.0.0.1 for a wildcard). `netns`: run inside that network
  //! namespace (`ip netns exec`), as another host; empty = here.
  //! Serves TLS with a certificate of the test CA (TestPki) for its
  //! listen host, unless `plaintext`.
  DaemonProcess(std::string mode, std::string listen, std::string netns = "",
                bool plaintext = false);
  virtual ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  //! Starts the server and waits (up to 20 s) until it serves.
  void Start();
  //! Starts the server: true once it serves; false if it exited first
  //! (`*exit_status`: its exit code, 128+signal) or did not serve within
  //! 20 s (-1, still running).
  bool StartOrExit(int* exit_status);
  //! kill -9 and reap.
  void Kill();
  //! SIGTERM; returns the exit status (waitpid status).
  int Terminate();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  //! Waits up to `seconds` for the server to exit by itself; true (and its
  //! waitpid status) if it did.
  bool Exited(int seconds, int* status);

  //! host:port clients use.
  std::string address() const;
  std::unique_ptr<config::v1::ConfigService::Stub> Stub() const;
  //! A new channel (own TCP connection) to the server, over TLS trusting
  //! the test CA (plaintext for a plaintext server).
  std::shared_ptr<grpc::Channel> Channel() const;
  //! The server's TLS files (its certificate; ca = the test CA).
  const TlsFiles& tls() const { return tls_; }
  //! What a client of this server needs: the test CA, or plaintext.
  TlsFiles ClientTls() const;
  const std::string& dir() const { return dir_.path(); }
  //! GetServerInfo; an empty ServerInfo (role unspecified) when it does not
  //! answer within `timeout`.
  config::v1::ServerInfo Info(std::chrono::seconds timeout = std::chrono::seconds(5)) const;
  //! The server's log so far (for failure messages).
  std::string Log() const;
  //! The bootstrap file (TOML) the server runs with.
  std::string config_path() const { return dir_.file(mode_ + ".toml"); }
  //! Where an [auth] server writes its bootstrap secret.
  std::string bootstrap_file() const { return dir_.file("bootstrap.secret"); }

 protected:
  //! The port file the subclass's configuration must name.
  std::string port_file() const { return dir_.file("port"); }
  //! The [tls] section of the bootstrap file.
  std::string TlsToml() const;
  //! The [auth] section: on (cheap hashing, the bootstrap secret in the
  //! server's folder) or off.
  std::string AuthToml(bool on) const;
  //! Serve with these files instead (before the configuration is written).
  void UseTls(TlsFiles tls) { tls_ = std::move(tls); }
  TempDir dir_;

 private:
  const std::string mode_;
  const std::string listen_;
  const std::string netns_;
  TlsFiles tls_;
  pid_t pid_ = -1;
  int port_ = 0;
};

//! The server's alarms but the one every test server with authentication
//! off raises ("authentication is off ...").
std::vector<std::string> Alarms(const config::v1::ServerInfo& info);

//! A TCP port that was free a moment ago (for servers that must keep their
//! address across restarts).
int FreePort();

//! Path of a built executable (tandemd, tandemctl).
std::string BinaryPath(const std::string& name);

//! What a shell command printed (stdout; add 2>&1 for stderr) and its exit code.
struct CommandResult {
  int code = -1;
  std::string out;
};
CommandResult Shell(const std::string& command);

}  // namespace tandem::testing
