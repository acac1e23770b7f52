// Runs a real `tandemd csproxy` in a temporary directory for integration
// tests: start, wait until it serves in a given mode, kill or SIGTERM.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "grpcpp/channel.h"
#include "tandem/config/v1/config.grpc.pb.h"
#include "testing/temp_dir.h"

namespace tandem::testing {

struct CsProxyOptions {
  //! "host:port" of each master, in order.
  std::vector<std::string> masters;
  int64_t history_max_count = 100000;
  //! Tests want reloads at once.
  int reload_stagger_max_ms = 0;
  int reconnect_max_backoff_s = 1;
  std::string extra_toml;
};

class CsProxyProcess {
 public:
  explicit CsProxyProcess(CsProxyOptions options);
  ~CsProxyProcess();
  CsProxyProcess(const CsProxyProcess&) = delete;
  CsProxyProcess& operator=(const CsProxyProcess&) = delete;

  //! Starts the proxy and waits (up to 20 s) until it listens.
  void Start();
  //! Waits up to `seconds` until GetServerInfo reports `mode`; true if it did.
  bool WaitForMode(config::v1::ProxyMode mode, int seconds);
  //! kill -9 and reap.
  void Kill();
  //! SIGTERM; returns the waitpid status.
  int Terminate();

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::unique_ptr<config::v1::ConfigService::Stub> Stub() const;
  std::shared_ptr<grpc::Channel> Channel() const;
  config::v1::ServerInfo Info() const;
  std::string Log() const;

 private:
  CsProxyOptions options_;
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

//! A TCP port that was free a moment ago (for servers that must keep their
//! address across restarts).
int FreePort();

}  // namespace tandem::testing
