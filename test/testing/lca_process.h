// Runs a real `tandemd lca` for integration tests (the process handling is
// DaemonProcess's): its state and application logs in its temporary folder,
// so a kill -9 and a Start() again is an LCA restart on the same host.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tandem/control/v1/lca.grpc.pb.h"
#include "testing/daemon_process.h"

namespace tandem::testing {

struct LcaOptions {
  std::string host = "h1";
  std::vector<std::string> config_servers;
  //! cgroup v2 directory; empty: process groups.
  std::string cgroup_root;
  std::string listen = "127.0.0.1:0";
  //! Appended to the bootstrap file (e.g. [[lca.service]] blocks).
  std::string extra_toml;
  //! Its certificate files; unset: the test CA's for "lca".
  std::optional<TlsFiles> tls;
};

class LcaProcess : public DaemonProcess {
 public:
  explicit LcaProcess(LcaOptions options);
  //! A LocalControl stub presenting a client certificate with CN `caller`
  //! (empty: no certificate).
  std::unique_ptr<control::v1::LocalControl::Stub> Control(const std::string& caller) const;
  std::string state_dir() const { return dir_.file("state"); }
};

}  // namespace tandem::testing
