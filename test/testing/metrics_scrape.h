// /metrics of a real daemon in tests: GET over HTTP, parsed by Prometheus'
// own Python parser (test/integration/parse_metrics.py, Debian's
// python3-prometheus-client), so a format error fails the test.
#pragma once

#include <map>
#include <string>

namespace tandem::testing {

//! "name{label=\"v\",...}" (labels sorted) -> value.
using Samples = std::map<std::string, double>;

//! A [metrics] section listening on 127.0.0.1:port.
std::string MetricsToml(int port);
//! GET /metrics on 127.0.0.1:port, parsed; a failure is a test failure.
Samples Scrape(int port);
//! The sample's value; a missing one is a test failure (and -1).
double At(const Samples& s, const std::string& key);

}  // namespace tandem::testing
