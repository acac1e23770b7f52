#include "testing/lca_process.h"

#include <fstream>

#include "grpcpp/create_channel.h"
#include "net/tls.h"
#include "testing/test_pki.h"

namespace tandem::testing {

LcaProcess::LcaProcess(LcaOptions options) : DaemonProcess("lca", options.listen) {
  if (options.tls.has_value()) UseTls(*options.tls);
  std::ofstream toml(config_path());
  toml << "[lca]\nhost = \"" << options.host << "\"\nlisten = \"" << options.listen
       << "\"\nport_file = \"" << port_file() << "\"\napplication = \"lca\"\nstate_dir = \""
       << dir_.file("state") << "\"\nlog_dir = \"" << dir_.file("logs") << "\"\ncgroup_root = \""
       << options.cgroup_root << "\"\nshim = \"" << BinaryPath("tandem-shim")
       << "\"\n[config]\nservers = [";
  for (size_t i = 0; i < options.config_servers.size(); ++i) {
    toml << (i > 0 ? ", " : "") << "\"" << options.config_servers[i] << "\"";
  }
  toml << "]\n[log]\nlevel = \"info\"\n" << TlsToml() << options.extra_toml;
}

std::unique_ptr<control::v1::LocalControl::Stub> LcaProcess::Control(
    const std::string& caller) const {
  TlsFiles tls = caller.empty() ? TestPki::Get().Trust() : TestPki::Get().Client(caller);
  return control::v1::LocalControl::NewStub(
      grpc::CreateChannel(address(), net::MakeChannelCredentials(tls)));
}

}  // namespace tandem::testing
