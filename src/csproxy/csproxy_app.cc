#include "csproxy/csproxy_app.h"

#include <signal.h>

#include <algorithm>

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
  metrics::CollectorHandle link_metrics =
      metrics::Registry::Default().AddCollector([&backend](metrics::SampleWriter& w) {
        const LinkStatus st = backend.link_status();
        const int64_t copy = backend.copy().revision();
        w.Gauge("tandem_proxy_master_revision", "The newest revision the master sent this proxy.",
                {}, static_cast<double>(st.master_revision));
        w.Gauge("tandem_proxy_lag_revisions",
                "Revisions the master sent that this proxy has not applied yet.", {},
                static_cast<double>(std::max<int64_t>(0, st.master_revision - copy)));
        w.Gauge("tandem_proxy_apply_delay_seconds",
                "From the master's commit of the newest change to this proxy applying it.", {},
                absl::ToDoubleSeconds(st.last_apply_delay));
        w.Counter("tandem_proxy_changes_applied_total",
                  "Changes this proxy applied from its master's watch stream.", {},
                  static_cast<double>(st.changes_applied));
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
