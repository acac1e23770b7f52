#include "metrics/server_info_metrics.h"

#include "absl/time/clock.h"
#include "config/object_types.h"

namespace tandem::metrics {
using config::RoleName;

CollectorHandle AddServerInfoCollector(Registry& registry, config::Backend& backend,
                                       std::function<int64_t()> refusals) {
  return registry.AddCollector([&backend, refusals = std::move(refusals)](SampleWriter& w) {
    const v1::ServerInfo info = backend.Info();
    w.Gauge("tandem_config_revision", "Newest revision this server has (a proxy: its copy's).", {},
            static_cast<double>(info.revision()));
    w.Gauge("tandem_config_oldest_revision",
            "Oldest revision whose change is kept in history (watches resume from it on).", {},
            static_cast<double>(info.oldest_revision()));
    w.Gauge("tandem_config_history_revisions", "Changes kept in history.", {},
            info.revision() >= info.oldest_revision() && info.oldest_revision() > 0
                ? static_cast<double>(info.revision() - info.oldest_revision() + 1)
                : 0.0);
    w.Gauge("tandem_config_objects", "Configuration objects.", {},
            static_cast<double>(info.object_count()));
    w.Gauge("tandem_config_alarms", "Alarms this server reports in GetServerInfo.", {},
            static_cast<double>(info.alarms_size()));
    for (v1::Role r : {v1::ROLE_STANDALONE, v1::ROLE_PRIMARY, v1::ROLE_BACKUP, v1::ROLE_PROXY}) {
      w.Gauge("tandem_config_role", "1 for this server's role, 0 for the others.",
              {{"role", RoleName(r)}}, info.role() == r ? 1 : 0);
    }
    if (info.role() == v1::ROLE_PROXY) {
      const std::pair<v1::ProxyMode, const char*> modes[] = {{v1::PROXY_MODE_NORMAL, "normal"},
                                                             {v1::PROXY_MODE_LIMITED, "limited"},
                                                             {v1::PROXY_MODE_LOADING, "loading"}};
      for (const auto& [mode, name] : modes) {
        w.Gauge("tandem_proxy_mode", "1 for the proxy's mode, 0 for the others.", {{"mode", name}},
                info.proxy_mode() == mode ? 1 : 0);
      }
      w.Gauge("tandem_proxy_limited_seconds",
              "How long no master has been serving this proxy, in seconds (0 in normal mode).", {},
              info.proxy_mode() == v1::PROXY_MODE_NORMAL || !info.has_limited_since()
                  ? 0.0
                  : std::max(0.0, absl::ToDoubleSeconds(
                                      absl::Now() -
                                      absl::FromUnixSeconds(info.limited_since().seconds()))));
    } else {
      w.Gauge("tandem_master_lease_epoch",
              "Lease epoch of the HA pair as this master last saw it (0 standalone).", {},
              static_cast<double>(info.epoch()));
    }
    if (refusals) {
      w.Counter("tandem_config_refused_calls_total",
                "Calls refused by authentication or permissions.", {},
                static_cast<double>(refusals()));
    }
  });
}

}  // namespace tandem::metrics
