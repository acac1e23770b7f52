#include "msg/msg_metrics.h"

#include <map>
#include <string>

namespace tandem::msg {

metrics::CollectorHandle AddBusCollector(metrics::Registry& registry, Bus& bus) {
  return registry.AddCollector([&bus](metrics::SampleWriter& w) {
    w.Gauge("tandem_bus_acting", "1 while this Message Server acts for its pair, 0 as its backup.",
            {}, bus.acting() ? 1 : 0);
    w.Gauge("tandem_bus_epoch", "The pair's epoch as this Message Server knows it.", {},
            static_cast<double>(bus.epoch()));
    for (const Bus::ChannelStats& c : bus.Stats()) {
      const std::vector<std::pair<std::string, std::string>> labels = {{"channel", c.name}};
      w.Counter("tandem_bus_messages_published_total",
                "Messages published on the channel (its last sequence).", labels,
                static_cast<double>(c.last_seq));
      w.Gauge("tandem_bus_messages_kept", "Messages the channel keeps for subscribers to resume.",
              labels, static_cast<double>(c.kept));
      w.Gauge("tandem_bus_kept_bytes", "Bytes of the messages the channel keeps.", labels,
              static_cast<double>(c.kept_bytes));
      w.Gauge("tandem_bus_subscribers", "Subscribers of the channel now.", labels, c.subscribers);
    }
  });
}

metrics::CollectorHandle AddLogCollector(metrics::Registry& registry, LogServiceImpl& log,
                                         AlarmEngine& alarms) {
  return registry.AddCollector([&log, &alarms](metrics::SampleWriter& w) {
    for (const auto& s : log.ApplicationStats()) {
      const std::vector<std::pair<std::string, std::string>> labels = {
          {"application", s.application()}};
      w.Counter("tandem_log_events_stored_total",
                "Log events stored in the Log Database (acknowledged to the sender).", labels,
                static_cast<double>(s.stored()));
      w.Counter("tandem_log_rate_limited_total",
                "Append requests refused for going over [logdb] rate_per_app (sent again).", labels,
                static_cast<double>(s.rate_limited()));
      w.Counter("tandem_log_dropped_by_sender_total",
                "Events the application reported dropping from its full buffer.", labels,
                static_cast<double>(s.dropped_by_sender()));
      w.Counter("tandem_log_events_rejected_total", "Events refused as invalid.", labels,
                static_cast<double>(s.rejected()));
    }
    std::map<std::string, int> by_category = {{"critical", 0}, {"major", 0}, {"minor", 0}};
    for (const logdb::Alarm& a : alarms.Active()) ++by_category[a.category];
    for (const auto& [category, n] : by_category) {
      w.Gauge("tandem_alarms_active", "Active alarms, by category.", {{"category", category}}, n);
    }
  });
}

}  // namespace tandem::msg
