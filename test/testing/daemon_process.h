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

 protected:
  //! Where the subclass writes the configuration, and the port file it must name.
  std::string config_path() const { return dir_.file(mode_ + ".toml"); }
  std::string port_file() const { return dir_.file("port"); }
  //! The [tls] section of the bootstrap file.
  std::string TlsToml() const;
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

//! A TCP port that was free a moment ago (for servers that must keep their
//! address across restarts).
int FreePort();

//! Path of a built executable (tandemd, tandemctl).
std::string BinaryPath(const std::string& name);

}  // namespace tandem::testing
