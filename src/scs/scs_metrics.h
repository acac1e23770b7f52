// The SCS's numbers for Prometheus (/metrics): its role and epoch, the
// applications it manages by status, each one's up state and restarts, its
// hosts' LCAs and its alarms. Read at scrape time from what the SCS
// publishes (FullPicture), so the control loop gains nothing.
#pragma once

#include <functional>

#include "metrics/registry.h"
#include "tandem/control/v1/scs.pb.h"

namespace tandem::scs {

metrics::CollectorHandle AddScsCollector(metrics::Registry& registry,
                                         std::function<control::v1::ScsStatusResponse()> picture);

}  // namespace tandem::scs
