#include "lca/lca_app.h"

#include <signal.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/listen_check.h"
#include "common/logging.h"
#include "common/signals.h"
#include "common/status_macros.h"
#include "lca/owners.h"
#include "metrics/metrics_server.h"
#include "net/grpc_server.h"
#include "net/lca_service.h"
#include "net/tls.h"
#include "spdlog/spdlog.h"
#include "tandem/client/tandem_client.h"

namespace tandem::lca {
namespace {

namespace v1 = ::tandem::config::v1;

// Reads the owners from the client's cache into the agent (on the client's
// thread); keeps the last known ones while the Host cannot be read.
void UpdateOwners(const std::string& host, client::TandemClient& client, Agent& agent) {
  std::optional<v1::ConfigObject> h = client.Find(v1::OBJECT_TYPE_HOST, host);
  if (!h.has_value()) {
    spdlog::warn("lca: no Host object named {}: create it (address, lca_port, scs)", host);
    agent.SetOwners({});
    return;
  }
  absl::StatusOr<std::vector<std::string>> owners =
      OwnersOf(*h, [&](int64_t dbid) { return client.Get(v1::OBJECT_TYPE_APPLICATION, dbid); });
  if (!owners.ok()) {
    spdlog::warn("lca: {}", owners.status().message());
    agent.SetOwners({});
    return;
  }
  agent.SetOwners(std::move(*owners));
}

}  // namespace

absl::Status RunLca(const LcaConfig& config, const std::string& self_dir) {
  TANDEM_RETURN_IF_ERROR(CheckListenAddress(config.listen, "[lca] listen"));
  AgentOptions options;
  options.host = config.host;
  options.state_dir = config.state_dir;
  options.log_dir = config.log_dir;
  options.cgroup_root = config.cgroup_root == "auto" ? AutoCgroupRoot() : config.cgroup_root;
  options.default_user = config.default_user;
  options.log_max_bytes = config.log_max_mib << 20;
  options.log_keep = config.log_keep;
  options.app_socket = config.state_dir + "/lca.sock";
  options.services = config.services;
  const std::string shim = config.shim.empty() ? self_dir + "/tandem-shim" : config.shim;
  ProcessRunnerPtr runner = MakeLinuxProcessRunner(shim);
  Agent agent(options, Clock::Real(), *runner);
  TANDEM_RETURN_IF_ERROR(agent.Recover());
  agent.StartServices();
  agent.StartLoop();

  client::ClientOptions co;
  co.servers = config.config_servers;
  co.application = config.application;
  co.types = {v1::OBJECT_TYPE_HOST, v1::OBJECT_TYPE_APPLICATION};
  co.tls = config.tls;
  // The callbacks run on the client's thread, possibly before Start returns.
  std::atomic<client::TandemClient*> started{nullptr};
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<client::TandemClient> cfg,
                          client::TandemClient::Start(
                              co,
                              [&](const client::ObjectChange&) {
                                if (client::TandemClient* c = started.load())
                                  UpdateOwners(config.host, *c, agent);
                              },
                              [&](const client::ClientState& s) {
                                spdlog::info("lca: configuration {} ({}){}",
                                             client::HealthName(s.health), s.server,
                                             s.detail.empty() ? "" : ": " + s.detail);
                              }));
  started.store(cfg.get());
  if (cfg->WaitReady(absl::Seconds(10))) {
    UpdateOwners(config.host, *cfg, agent);
  } else {
    const std::vector<std::string> owners = agent.Owners();
    spdlog::warn(
        "lca: the configuration ({}) is not reachable yet; obeying the last known "
        "owners: {}",
        absl::StrJoin(config.config_servers, ", "),
        owners.empty() ? std::string("none") : absl::StrJoin(owners, ", "));
  }

  net::TlsStatus tls_status(config.tls);
  net::LcaServiceImpl service(agent, [&tls_status] { return tls_status.CertificateAlarms(); });
  // Before the listener, so that it outlives the calls it counts.
  TANDEM_ASSIGN_OR_RETURN(auto metrics_server, metrics::StartMetricsIfConfigured(config.metrics));
  TANDEM_ASSIGN_OR_RETURN(
      auto server,
      net::GrpcServer::Start(config.listen, {&service}, {.tls = config.tls, .reflection = true}));
  net::AppAgentImpl app_agent(agent);
  TANDEM_ASSIGN_OR_RETURN(auto local,
                          net::GrpcServer::StartLocal(options.app_socket, {&app_agent}));
  net::LogTlsAtStart(config.tls, tls_status);
  spdlog::info("lca for host {} serving on port {} ({}), state in {}", config.host, server->port(),
               agent.isolation(), config.state_dir);
  if (!config.port_file.empty()) {
    TANDEM_RETURN_IF_ERROR(net::WritePortFile(config.port_file, server->port()));
  }
  const int sig = WaitForTerminationSignal([&tls_status] { net::RecheckTlsOnSighup(tls_status); });
  spdlog::info("signal {} received: the LCA stops; its applications keep running", sig);
  service.Shutdown();
  server->Shutdown(absl::Seconds(2));
  local->Shutdown(absl::Seconds(1));
  cfg->Stop();
  agent.StopLoop();
  return absl::OkStatus();
}

}  // namespace tandem::lca
