#include "csproxy/csproxy_app.h"

#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "auth/backend_directory.h"
#include "common/listen_check.h"
#include "common/logging.h"
#include "common/signals.h"
#include "common/status_macros.h"
#include "csproxy/proxy_backend.h"
#include "metrics/metrics_server.h"
#include "metrics/server_info_metrics.h"
#include "net/config_service.h"
#include "net/grpc_server.h"
#include "net/tls.h"
#include "spdlog/spdlog.h"

namespace tandem::csproxy {

absl::Status RunCsProxy(const ProxyConfig& config) {
  TANDEM_RETURN_IF_ERROR(CheckListenAddress(config.listen, "[server] listen"));
  ProxyBackend backend(config);
  net::TlsStatus tls_status(config.tls);
  auth::BackendDirectory directory(backend);
  std::unique_ptr<auth::Authenticator> authenticator =
      auth::MakeAuthenticator(config.auth, config.tls, directory);
  net::ConfigServiceImpl::Options service_options;
  service_options.alarms = [&tls_status] { return tls_status.Alarms(); };
  service_options.auth = authenticator.get();
  net::ConfigServiceImpl service(backend, service_options);
  // Before the listener, so that it outlives the calls it counts.
  TANDEM_ASSIGN_OR_RETURN(auto metrics_server, metrics::StartMetricsIfConfigured(config.metrics));
  TANDEM_ASSIGN_OR_RETURN(
      auto server, net::GrpcServer::Start(config.listen, {&service},
                                          {.tls = config.tls, .reflection = config.reflection}));
  metrics::CollectorHandle info_metrics = metrics::AddServerInfoCollector(
      metrics::Registry::Default(), backend, [&authenticator]() -> int64_t {
        return authenticator == nullptr ? 0 : authenticator->refusals();
      });
  net::LogTlsAtStart(config.tls, tls_status);
  net::LogAuthAtStart(authenticator.get(), directory, "");
  backend.Start();
  spdlog::info("csproxy '{}' serving on port {}, following masters {}", config.application,
               server->port(), absl::StrJoin(config.masters, ", "));
  if (!config.port_file.empty()) {
    TANDEM_RETURN_IF_ERROR(net::WritePortFile(config.port_file, server->port()));
  }
  const int sig = WaitForTerminationSignal([&tls_status] { net::RecheckTlsOnSighup(tls_status); });
  spdlog::info("signal {} received: shutting down (grace {} s)", sig,
               absl::ToInt64Seconds(config.shutdown_grace));
  backend.Stop();
  server->Shutdown(config.shutdown_grace);
  spdlog::info("csproxy stopped at revision {}", backend.copy().revision());
  return absl::OkStatus();
}

}  // namespace tandem::csproxy
