#include "load/report.h"

#include <cstdio>
#include <iostream>

namespace tandem::bench {

Report::Report(std::string mode) { fields_["mode"] = std::move(mode); }

void Report::SetLatency(const std::string& prefix, const LatencySummary& s) {
  Set(prefix + "_count", s.count);
  Set(prefix + "_mean_ms", s.mean_ms);
  Set(prefix + "_p50_ms", s.p50_ms);
  Set(prefix + "_p90_ms", s.p90_ms);
  Set(prefix + "_p99_ms", s.p99_ms);
  Set(prefix + "_max_ms", s.max_ms);
}

void Report::Print(bool json) const {
  std::ostream& human = json ? std::cerr : std::cout;
  human << "tandem-load " << fields_["mode"].get<std::string>() << "\n";
  for (const auto& [key, value] : fields_.items()) {
    if (key == "mode") continue;
    if (value.is_number_float()) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.3f", value.get<double>());
      human << "  " << key << ": " << buf << "\n";
    } else {
      human << "  " << key << ": " << value.dump() << "\n";
    }
  }
  human.flush();
  if (json) std::cout << fields_.dump() << std::endl;
}

}  // namespace tandem::bench
