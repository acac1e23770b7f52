// The result of one load-generator run: a human summary and a one-line JSON.
#pragma once

#include <string>

#include "load/latency.h"
#include "nlohmann/json.hpp"

namespace tandem::bench {

class Report {
 public:
  explicit Report(std::string mode);

  template <typename T>
  void Set(const std::string& key, const T& value) {
    fields_[key] = value;
  }
  //! Adds `<prefix>_p50_ms` ... `<prefix>_max_ms` and `<prefix>_count`.
  void SetLatency(const std::string& prefix, const LatencySummary& s);

  //! The human summary goes to stderr when `json` (stdout carries only the JSON line),
  //! to stdout otherwise.
  void Print(bool json) const;

 private:
  nlohmann::ordered_json fields_;
};

}  // namespace tandem::bench
