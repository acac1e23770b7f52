#include "testing/msgserver_process.h"

#include <fstream>

#include "grpcpp/create_channel.h"
#include "net/tls.h"
#include "testing/test_pki.h"

namespace tandem::testing {

MsgServerProcess::MsgServerProcess(MsgServerOptions options)
    : DaemonProcess("msgserver", options.listen) {
  UseTls(TestPki::Get().Server(options.application));
  std::ofstream toml(config_path());
  toml << "[msgserver]\napplication = \"" << options.application << "\"\nlisten = \""
       << options.listen << "\"\nready_file = \"" << port_file()
       << "\"\ntakeover_s = " << options.takeover_s << "\n[config]\nmasters = [";
  for (size_t i = 0; i < options.masters.size(); ++i) {
    toml << (i > 0 ? ", " : "") << "\"" << options.masters[i] << "\"";
  }
  toml << "]\n[log]\nlevel = \"info\"\n" << TlsToml() << options.extra_toml;
}

std::unique_ptr<msg::v1::MessageBus::Stub> MsgServerProcess::Bus(const std::string& caller) const {
  TlsFiles tls = caller.empty() ? TestPki::Get().Trust() : TestPki::Get().Client(caller);
  return msg::v1::MessageBus::NewStub(
      grpc::CreateChannel(address(), net::MakeChannelCredentials(tls)));
}

msg::v1::BusInfo MsgServerProcess::Info() const {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  msg::v1::BusInfo info;
  if (!Bus()->GetInfo(&ctx, msg::v1::GetBusInfoRequest(), &info).ok()) return {};
  return info;
}

}  // namespace tandem::testing
