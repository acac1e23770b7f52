#include "scs/scs_metrics.h"

#include <map>
#include <string>

namespace tandem::scs {

namespace cv1 = control::v1;

metrics::CollectorHandle AddScsCollector(metrics::Registry& registry,
                                         std::function<cv1::ScsStatusResponse()> picture) {
  return registry.AddCollector([picture = std::move(picture)](metrics::SampleWriter& w) {
    const cv1::ScsStatusResponse p = picture();
    const bool primary = p.info().role() == cv1::SCS_ROLE_PRIMARY;
    w.Gauge("tandem_scs_primary", "1 while this SCS acts for its pair, 0 as its backup.", {},
            primary ? 1 : 0);
    w.Gauge("tandem_scs_epoch", "The SCS pair's epoch as this SCS knows it.", {},
            static_cast<double>(p.info().epoch()));
    // Every status of the classic framework, so that a count falling to 0 is seen.
    std::map<std::string, int> by_status = {{"Started", 0},
                                            {"Stopped", 0},
                                            {"Pending", 0},
                                            {"Initializing", 0},
                                            {"Service Unavailable", 0},
                                            {"Suspending", 0},
                                            {"Suspended", 0},
                                            {"Unknown", 0}};
    for (const cv1::ApplicationState& a : p.applications()) ++by_status[a.status()];
    for (const auto& [status, n] : by_status) {
      w.Gauge("tandem_scs_applications", "Applications this SCS manages, by status.",
              {{"status", status}}, n);
    }
    for (const cv1::ApplicationState& a : p.applications()) {
      const std::vector<std::pair<std::string, std::string>> labels = {{"application", a.name()},
                                                                       {"host", a.host()}};
      w.Gauge("tandem_scs_application_up", "1 while the application is Started.", labels,
              a.status() == "Started" ? 1 : 0);
      w.Counter("tandem_scs_application_restarts_total",
                "Times the SCS started the application again (its restart count).", labels,
                a.restarts());
      w.Gauge("tandem_scs_application_gave_up",
              "1 when restarting stopped after too many failures (`tandemctl app start` resumes).",
              labels, a.gave_up() ? 1 : 0);
    }
    for (const cv1::HostState& h : p.hosts()) {
      w.Gauge("tandem_scs_host_lca_up", "1 while the host's LCA answers this SCS.",
              {{"host", h.name()}}, h.lca_up() ? 1 : 0);
    }
    w.Gauge("tandem_scs_alarms", "Alarms the SCS raises (held pairs, applications given up on).",
            {}, p.alarms_size());
  });
}

}  // namespace tandem::scs
