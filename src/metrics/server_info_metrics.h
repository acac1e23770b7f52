// Metrics of a configuration server or proxy from its ServerInfo, read at
// scrape time: revision, history kept, objects, role, lease epoch, proxy
// mode. The same collector serves confserv and csproxy.
#pragma once

#include <functional>

#include "metrics/registry.h"
#include "tandem/config/backend.h"

namespace tandem::metrics {

//! Reports backend.Info() on every scrape until the handle goes, and
//! `refusals()` (calls refused by authentication or rights) if given;
//! both must outlive the handle.
[[nodiscard]] CollectorHandle AddServerInfoCollector(Registry& registry, config::Backend& backend,
                                                     std::function<int64_t()> refusals);

}  // namespace tandem::metrics
