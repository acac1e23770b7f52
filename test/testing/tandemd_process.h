// Runs a real `tandemd confserv` in a temporary directory for integration
// tests: start, wait until serving, kill -9 or SIGTERM, restart on the same
// database.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <memory>
#include <string>

#include "grpcpp/channel.h"
#include "tandem/config/v1/config.grpc.pb.h"
#include "testing/temp_dir.h"

namespace tandem::testing {

struct TandemdOptions {
  int64_t history_max_count = 100000;
  std::string extra_toml;
  //! Replaces the [storage] section (default: SQLite in the temporary dir).
  std::string storage_toml;
  //! [server] listen; a fixed port keeps the address across restarts.
  std::string listen = "127.0.0.1:0";
  //! Run inside this network namespace (`ip netns exec`), as another host.
  std::string netns = "";
  //! More lines for the [server] section.
  std::string server_toml = "";
};

class TandemdProcess {
 public:
  explicit TandemdProcess(TandemdOptions options = {});
  ~TandemdProcess();
  TandemdProcess(const TandemdProcess&) = delete;
  TandemdProcess& operator=(const TandemdProcess&) = delete;

  //! Starts the server and waits (up to 20 s) until it serves.
  void Start();
  //! kill -9 and reap.
  void Kill();
  //! SIGTERM; returns the exit status (waitpid status).
  int Terminate();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  //! Waits up to `seconds` for the server to exit by itself; true (and its
  //! waitpid status) if it did.
  bool Exited(int seconds, int* status);

  //! host:port clients use: the listen host (127.0.0.1 for a wildcard).
  std::string address() const;
  std::unique_ptr<config::v1::ConfigService::Stub> Stub() const;
  //! A new channel (own TCP connection) to the server.
  std::shared_ptr<grpc::Channel> Channel() const;
  const std::string& dir() const { return dir_.path(); }
  //! The server's log so far (for failure messages).
  std::string Log() const;

 private:
  TandemdOptions options_;
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

//! Path of a built executable (tandemd, tandemctl).
std::string BinaryPath(const std::string& name);

}  // namespace tandem::testing
