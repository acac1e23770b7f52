#include "scs/scs_app.h"

#include <signal.h>

#include <atomic>

#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "net/grpc_server.h"
#include "scs/scs_server.h"
#include "spdlog/spdlog.h"

namespace tandem::scs {

absl::Status RunScs(const ScsConfig& config) {
  ScsServer server(config.application, config.controller, Clock::Real(),
                   MakeGrpcHostLinks(config.tls), config.status_file);
  client::ClientOptions co;
  co.servers = config.masters;
  co.application = config.application;
  co.types = {config::v1::OBJECT_TYPE_HOST, config::v1::OBJECT_TYPE_APPLICATION};
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
  server.Start(*cfg);
  server.ConfigChanged();
  if (!config.ready_file.empty()) {
    TANDEM_RETURN_IF_ERROR(net::WritePortFile(config.ready_file, 1));
  }
  spdlog::info("scs {} running, following masters {}", config.application,
               absl::StrJoin(config.masters, ", "));
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("signal {} received: the SCS stops; applications keep running", sig);
  server.Stop();
  cfg->Stop();
  return absl::OkStatus();
}

}  // namespace tandem::scs
