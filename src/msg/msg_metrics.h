// The Message Server's numbers for Prometheus (/metrics): the bus (acting,
// epoch, per channel: messages published, kept, bytes kept, subscribers)
// and, for a Log Message Server, log ingest per application and the active
// alarms by category. Read at scrape time from the components' own state.
#pragma once

#include "metrics/registry.h"
#include "msg/alarm_engine.h"
#include "msg/bus.h"
#include "msg/log_service.h"

namespace tandem::msg {

metrics::CollectorHandle AddBusCollector(metrics::Registry& registry, Bus& bus);
metrics::CollectorHandle AddLogCollector(metrics::Registry& registry, LogServiceImpl& log,
                                         AlarmEngine& alarms);

}  // namespace tandem::msg
