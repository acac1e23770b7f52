#include "console/console_app.h"

#include <signal.h>

#include "absl/strings/str_join.h"
#include "common/atomic_file.h"
#include "common/clock.h"
#include "common/signals.h"
#include "common/status_macros.h"
#include "console/console_server.h"
#include "metrics/metrics_server.h"
#include "spdlog/spdlog.h"

namespace tandem::console {

absl::Status RunConsole(const ConsoleConfig& config) {
  // A browser that goes away mid-response must not end the process.
  signal(SIGPIPE, SIG_IGN);
  TANDEM_ASSIGN_OR_RETURN(auto metrics_server, metrics::StartMetricsIfConfigured(config.metrics));
  TANDEM_ASSIGN_OR_RETURN(auto server, ConsoleServer::Start(config, Clock::Real()));
  spdlog::info("console serving https on port {} (listen {}), talking to {}", server->port(),
               config.listen, absl::StrJoin(config.servers, ", "));
  if (!config.port_file.empty()) {
    TANDEM_RETURN_IF_ERROR(
        WriteFileAtomically(config.port_file, absl::StrCat(server->port(), "\n")));
  }
  const int sig = WaitForTerminationSignal([] {});
  spdlog::info("signal {} received: console shutting down", sig);
  server->Stop();
  return absl::OkStatus();
}

}  // namespace tandem::console
