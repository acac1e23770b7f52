// Serves a Registry over HTTP: GET /metrics in the Prometheus text format,
// on [metrics] listen of a daemon's bootstrap file. Plain HTTP, read-only,
// nothing else served: bind it to loopback or the management network.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "common/toml_file.h"
#include "metrics/registry.h"

namespace httplib {
class Server;
}

namespace tandem::metrics {

struct MetricsConfig {
  //! HOST:PORT to serve /metrics on; empty: no metrics listener.
  std::string listen;
  //! Written with the bound port once serving (port 0 in tests).
  std::string port_file;
  bool enabled() const { return !listen.empty(); }
};

//! The keys of a [metrics] section.
const std::vector<std::string>& MetricsKeys();
//! Reads [metrics] listen and port_file (both optional).
absl::Status TomlGetMetrics(const toml::table& root, const std::string& source, MetricsConfig* out);

class MetricsServer {
 public:
  //! Listens on config.listen and serves `registry` until destroyed. Also
  //! registers the process_* metrics (CPU, memory, file descriptors) once.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const MetricsConfig& config,
                                                              Registry& registry);
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  //! Stops listening and waits for the scrapes in flight.
  ~MetricsServer();
  int port() const { return port_; }

 private:
  MetricsServer() = default;
  CollectorHandle process_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
};

//! Starts the server if `config` asks for one; a null pointer if not.
absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetricsIfConfigured(
    const MetricsConfig& config);

}  // namespace tandem::metrics
