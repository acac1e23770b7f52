#include "scs/scs_app.h"

#include <signal.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/signals.h"
#include "common/status_macros.h"
#include "config/refs.h"
#include "metrics/metrics_server.h"
#include "net/access_check.h"
#include "net/grpc_server.h"
#include "net/scs_service.h"
#include "net/tls.h"
#include "scs/audit_log.h"
#include "scs/operator_api.h"
#include "scs/pair_backends.h"
#include "scs/scs_alarms.h"
#include "scs/scs_bus.h"
#include "scs/scs_metrics.h"
#include "scs/scs_server.h"
#include "spdlog/spdlog.h"

namespace tandem::scs {

absl::Status RunScs(const ScsConfig& config) {
  AuditLog audit(config.audit_file);
  TANDEM_RETURN_IF_ERROR(audit.CheckWritable());
  // The region's Log Message Server: the framework's alarms and the audit
  // trail of control actions go there too.
  std::unique_ptr<client::Logger> log;
  if (!config.log_servers.empty()) {
    client::LoggerOptions lo;
    lo.servers = config.log_servers;
    lo.tls = config.tls;
    lo.claimed = config.application;
    lo.host = config.application;
    log = std::make_unique<client::Logger>(lo);
    audit.set_sink([&log](const AuditEntry& e) {
      namespace fm = client::framework_message;
      const std::string prefix = "application ";
      const std::string app =
          e.target.rfind(prefix, 0) == 0 ? e.target.substr(prefix.size()) : std::string();
      (void)log->LogFor(app, "", client::LogLevel::kInteraction,
                        e.outcome == "allowed" ? fm::kAuditControl : fm::kAuditControlRefused,
                        absl::StrCat(e.who, " from ", e.peer, ": ", e.action, " ", e.target, ": ",
                                     e.outcome, e.detail.empty() ? "" : " (" + e.detail + ")"));
    });
    spdlog::info("scs: logs to the Log Message Server {}", absl::StrJoin(config.log_servers, ", "));
  }
  ScsServer server(config.application, config.controller, Clock::Real(),
                   MakeGrpcHostLinks(config.tls), config.status_file);
  client::ClientOptions co;
  co.servers = config.masters;
  co.application = config.application;
  co.types = {config::v1::OBJECT_TYPE_HOST, config::v1::OBJECT_TYPE_APPLICATION,
              config::v1::OBJECT_TYPE_SOLUTION};
  co.tls = config.tls;
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<client::TandemClient> cfg,
                          client::TandemClient::Start(
                              co, [&](const client::ObjectChange&) { server.ConfigChanged(); },
                              [&](const client::ClientState& s) {
                                spdlog::info("scs: configuration {} ({}){}",
                                             client::HealthName(s.health), s.server,
                                             s.detail.empty() ? "" : ": " + s.detail);
                              }));
  if (!cfg->WaitReady(absl::Seconds(30))) {
    spdlog::warn("scs: no master ({}) answered within 30 s; still trying",
                 absl::StrJoin(config.masters, ", "));
  }
  // Its own Application first: whether it is one of a pair is decided once,
  // here (a configuration imported after the SCS started is waited for).
  for (int waited = 0; !cfg->Find(config::v1::OBJECT_TYPE_APPLICATION, config.application);
       ++waited) {
    if (waited % 100 == 0) {
      spdlog::warn("scs: no Application '{}' in the configuration yet; waiting for it",
                   config.application);
    }
    if (const int sig = TerminationSignalWithin(100); sig != 0) {
      spdlog::info("signal {} received while waiting: the SCS stops", sig);
      cfg->Stop();
      return absl::OkStatus();
    }
  }
  // An SCS pair: the lock in the configuration, the partner's GetInfo.
  std::unique_ptr<ConfigEpochStore> store;
  std::unique_ptr<GrpcPartnerProbe> probe;
  std::unique_ptr<PairRole> role;
  std::optional<PairMembers> pair = FindPair(*cfg, config.application);
  if (pair.has_value()) {
    if (config.listen.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "this SCS is one of the pair ", config.application, "/", pair->partner,
          ": give [scs] listen (its Application's host address and default port) so that its "
          "partner can tell it is alive"));
    }
    config::ClientOptions client_options;
    client_options.application_name = config.application;
    client_options.client_version = "tandemd-scs";
    client_options.tls = config.tls;
    store = std::make_unique<ConfigEpochStore>(*cfg, pair->lock_application, config.masters,
                                               client_options);
    probe = std::make_unique<GrpcPartnerProbe>(*cfg, pair->partner, config.tls);
    PairRoleOptions ro;
    ro.takeover_after = config.takeover_after;
    ro.configured_backup = pair->lock_application != config.application;
    role = std::make_unique<PairRole>(config.application, ro, Clock::Real(), *store, probe.get());
    spdlog::info("scs: one of the pair {}/{} (lock in {}'s annex [scs-pair])", config.application,
                 pair->partner, pair->lock_application);
  }
  server.Start(*cfg, role.get(), pair.has_value() ? pair->partner : "");
  // Operators' commands: the master decides who may, the audit file records it.
  net::AccessCheckClient access(config.masters, config.tls);
  OperatorApi ops(
      server, *cfg, [&access](const control::v1::CheckAccessRequest& r) { return access.Check(r); },
      audit);
  // The other SCSs, over the Message Server: their pictures, and commands
  // for their hosts forwarded to them.
  std::unique_ptr<ScsBus> bus;
  if (!config.message_servers.empty()) {
    ScsBusOptions bo;
    bo.me = config.application;
    bo.partner = pair.has_value() ? pair->partner : "";
    bo.bus.servers = config.message_servers;
    bo.bus.tls = config.tls;
    bus = std::make_unique<ScsBus>(
        bo, [&server] { return server.Info().role() == control::v1::SCS_ROLE_PRIMARY; },
        [&server] { return FullPicture(server); },
        [&ops](const net::OperatorCall& call, const control::v1::ControlRequest& r) {
          return ops.Control(call, r);
        },
        [&cfg](const std::string& publisher) {
          const std::string prefix = "application ";
          if (publisher.rfind(prefix, 0) != 0) return false;
          auto app =
              cfg->Find(config::v1::OBJECT_TYPE_APPLICATION, publisher.substr(prefix.size()));
          if (!app.has_value() || !app->enabled()) return false;
          return config::AppType(*app) == "SCS";
        });
    bus->Start();
    ops.set_bus(bus.get());
    spdlog::info("scs: on the Message Server {} (channel {})",
                 absl::StrJoin(config.message_servers, ", "), kScsChannel);
  }
  // What happens, to the Log Message Server: the framework's alarms.
  net::TlsStatus tls_status(config.tls);
  std::unique_ptr<ScsAlarmReporter> reporter;
  if (log != nullptr) {
    reporter = std::make_unique<ScsAlarmReporter>(
        server, *log, absl::Seconds(8), [&tls_status] { return tls_status.CertificateAlarms(); });
  }
  net::ScsServiceImpl service(ops);
  // Before the listener, so that it outlives the calls it counts.
  TANDEM_ASSIGN_OR_RETURN(auto metrics_server, metrics::StartMetricsIfConfigured(config.metrics));
  metrics::CollectorHandle scs_metrics =
      AddScsCollector(metrics::Registry::Default(), [&server] { return FullPicture(server); });
  std::unique_ptr<net::GrpcServer> listener;
  if (!config.listen.empty()) {
    TANDEM_ASSIGN_OR_RETURN(listener,
                            net::GrpcServer::Start(config.listen, {&service}, {.tls = config.tls}));
  } else {
    spdlog::warn("scs: no [scs] listen: operators' commands (tandemctl app ...) cannot reach it");
  }
  server.ConfigChanged();
  if (!config.ready_file.empty()) {
    TANDEM_RETURN_IF_ERROR(net::WritePortFile(config.ready_file, 1));
  }
  spdlog::info("scs {} running, following masters {}", config.application,
               absl::StrJoin(config.masters, ", "));
  const int sig = WaitForTerminationSignal();
  spdlog::info("signal {} received: the SCS stops; applications keep running", sig);
  if (listener != nullptr) listener->Shutdown(absl::Seconds(1));
  if (reporter != nullptr) reporter->Stop();
  if (bus != nullptr) bus->Stop();
  server.Stop();
  cfg->Stop();
  return absl::OkStatus();
}

}  // namespace tandem::scs
