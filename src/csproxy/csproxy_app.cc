#include "csproxy/csproxy_app.h"

#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "csproxy/proxy_backend.h"
#include "net/config_service.h"
#include "net/grpc_server.h"
#include "spdlog/spdlog.h"

namespace tandem::csproxy {

absl::Status RunCsProxy(const ProxyConfig& config) {
  ProxyBackend backend(config);
  net::ConfigServiceImpl service(backend);
  TANDEM_ASSIGN_OR_RETURN(auto server, net::GrpcServer::Start(config.listen, {&service}));
  backend.Start();
  spdlog::info("csproxy '{}' serving on port {}, following masters {}", config.application,
               server->port(), absl::StrJoin(config.masters, ", "));
  if (!config.port_file.empty()) {
    TANDEM_RETURN_IF_ERROR(net::WritePortFile(config.port_file, server->port()));
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("signal {} received: shutting down (grace {} s)", sig,
               absl::ToInt64Seconds(config.shutdown_grace));
  backend.Stop();
  server->Shutdown(config.shutdown_grace);
  spdlog::info("csproxy stopped at revision {}", backend.copy().revision());
  return absl::OkStatus();
}

}  // namespace tandem::csproxy
