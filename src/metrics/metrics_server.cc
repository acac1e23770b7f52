#include "metrics/metrics_server.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/atomic_file.h"
#include "common/host_port.h"
#include "common/listen_check.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "httplib.h"
#include "spdlog/spdlog.h"

namespace tandem::metrics {
namespace {

// process_* as Prometheus' client libraries name them, from /proc/self.
void CollectProcess(SampleWriter& w) {
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command, which is in parentheses and may hold spaces.
  const size_t close = stat.rfind(')');
  if (close != std::string::npos) {
    std::vector<std::string> f = absl::StrSplit(stat.substr(close + 2), ' ');
    // f[0] is field 3 (state): utime 14, stime 15, num_threads 20,
    // starttime 22, vsize 23, rss 24.
    if (f.size() > 22) {
      const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
      const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
      w.Counter("process_cpu_seconds_total", "User and system CPU time spent, in seconds.", {},
                (std::stod(f[11]) + std::stod(f[12])) / tick);
      w.Gauge("process_threads", "Threads of the process.", {}, std::stod(f[17]));
      w.Gauge("process_virtual_memory_bytes", "Virtual memory size, in bytes.", {},
              std::stod(f[20]));
      w.Gauge("process_resident_memory_bytes", "Resident memory size, in bytes.", {},
              std::stod(f[21]) * page);
      std::ifstream uptime_in("/proc/uptime");
      double uptime = 0;
      uptime_in >> uptime;
      const double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
      w.Gauge("process_start_time_seconds", "Start time of the process since the Unix epoch.", {},
              now - uptime + std::stod(f[19]) / tick);
    }
  }
  std::error_code ec;
  double fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  w.Gauge("process_open_fds", "Open file descriptors.", {}, fds);
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    w.Gauge("process_max_fds", "Limit of open file descriptors.", {},
            static_cast<double>(limit.rlim_cur));
  }
}

}  // namespace

const std::vector<std::string>& MetricsKeys() {
  static const auto* keys = new std::vector<std::string>{"listen", "port_file"};
  return *keys;
}

absl::Status TomlGetMetrics(const toml::table& root, const std::string& source,
                            MetricsConfig* out) {
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "metrics", "listen", &out->listen));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "metrics", "port_file", &out->port_file));
  if (!out->listen.empty()) {
    auto hp = ParseHostPort(out->listen, "[metrics] listen", /*allow_port_zero=*/true);
    if (!hp.ok())
      return absl::InvalidArgumentError(absl::StrCat(source, ": ", hp.status().message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const MetricsConfig& config,
                                                                    Registry& registry) {
  TANDEM_ASSIGN_OR_RETURN(HostPort hp, ParseHostPort(config.listen, "[metrics] listen", true));
  TANDEM_RETURN_IF_ERROR(CheckListenAddress(config.listen, "[metrics] listen"));
  std::unique_ptr<MetricsServer> s(new MetricsServer());
  s->process_ = registry.AddCollector(&CollectProcess);
  s->http_ = std::make_unique<httplib::Server>();
  httplib::Server& http = *s->http_;
  http.new_task_queue = [] { return new httplib::ThreadPool(2); };
  http.set_read_timeout(5, 0);
  http.set_write_timeout(5, 0);
  http.set_keep_alive_max_count(10);
  http.set_payload_max_length(4096);
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  http.Get("/metrics", [&registry](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry.Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  const auto refuse = [](const httplib::Request& req, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_content(
        absl::StrCat(req.method, " is not served: metrics are read with GET /metrics\n"),
        "text/plain; charset=utf-8");
  };
  http.Post("/metrics", refuse);
  http.Put("/metrics", refuse);
  http.Delete("/metrics", refuse);
  http.Patch("/metrics", refuse);
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404) {
      res.set_content(absl::StrCat(req.path, " is not served here: metrics are at GET /metrics\n"),
                      "text/plain; charset=utf-8");
    }
  });
  const int port = hp.port == 0 ? http.bind_to_any_port(hp.host) : hp.port;
  if (port <= 0 || (hp.port != 0 && !http.bind_to_port(hp.host, hp.port))) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", config.listen, " for metrics: check [metrics] listen"));
  }
  s->port_ = port;
  // bind_to_port already listens: a scrape that comes first waits in the backlog.
  s->thread_ = std::thread([&http] { http.listen_after_bind(); });
  if (!config.port_file.empty()) {
    TANDEM_RETURN_IF_ERROR(WriteFileAtomically(config.port_file, absl::StrCat(port, "\n")));
  }
  spdlog::info("metrics at http://{}/metrics", HostPort{hp.host, port}.ToString());
  return s;
}

MetricsServer::~MetricsServer() {
  if (http_ != nullptr) http_->stop();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetricsIfConfigured(
    const MetricsConfig& config) {
  if (!config.enabled()) return std::unique_ptr<MetricsServer>();
  return MetricsServer::Start(config, Registry::Default());
}

}  // namespace tandem::metrics
