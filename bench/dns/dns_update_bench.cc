// Latency of dynamic DNS updates against a real BIND 9 on loopback (the
// test helper's named): SetAddress (one TSIG-signed RFC 2136 update, its
// answer verified), the query that follows it, and set -> visible (from the
// start of the update to the first query answering the new address).
//   dns_update_bench [--updates 200] [--ttl 5] [--tandemctl PATH [--ctl-runs 50]] [--json]
// With --tandemctl it also times whole `tandemctl dns set` processes (start,
// key file, query before, update, query after).
// Each update alternates the name between two addresses, so each one changes
// the zone (and BIND writes its journal).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dns/dns_client.h"
#include "nlohmann/json.hpp"
#include "testing/named_server.h"

namespace tandem {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

nlohmann::json Summary(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))];
  };
  return {{"n", ms.size()},
          {"p50_ms", at(0.50)},
          {"p90_ms", at(0.90)},
          {"p99_ms", at(0.99)},
          {"max_ms", ms.back()}};
}

int Run(int updates, uint32_t ttl, const std::string& tandemctl, int ctl_runs, bool json) {
  testing::NamedServer named;
  named.Start();
  if (!named.running()) {
    std::cerr << "dns_update_bench: named did not start:\n" << named.Log();
    return 1;
  }
  dns::DnsClientPtr client = dns::NewDnsClient();
  absl::StatusOr<dns::TsigKey> key = dns::LoadTsigKey(named.update_key_file());
  if (!key.ok()) {
    std::cerr << "dns_update_bench: " << key.status().message() << "\n";
    return 1;
  }
  dns::SetAddressRequest request;
  request.server = *dns::ParseServer(named.address());
  request.zone = "tandem.test";
  request.name = "cfgmaster";
  request.ttl = ttl;
  request.key = *key;
  const char* addresses[] = {"198.51.100.11", "203.0.113.11"};

  std::vector<double> set_ms, query_ms, visible_ms;
  int extra_queries = 0;
  for (int i = 0; i < updates + 10; ++i) {  // the first 10 warm up
    request.address = addresses[i % 2];
    Clock::time_point start = Clock::now();
    if (absl::Status s = client->SetAddress(request); !s.ok()) {
      std::cerr << "dns_update_bench: " << s.message() << "\n";
      return 1;
    }
    Clock::time_point set_done = Clock::now();
    Clock::time_point visible;
    for (int attempt = 0;; ++attempt) {
      Clock::time_point q = Clock::now();
      absl::StatusOr<dns::Answer> a = client->Lookup(request.server, "cfgmaster.tandem.test.", "A");
      if (!a.ok()) {
        std::cerr << "dns_update_bench: " << a.status().message() << "\n";
        return 1;
      }
      if (i >= 10 && attempt == 0) query_ms.push_back(Ms(Clock::now() - q));
      if (a->records.size() == 1 && a->records[0].address == request.address) {
        visible = Clock::now();
        break;
      }
      if (attempt > 1000) {
        std::cerr << "dns_update_bench: update " << i << " never became visible\n";
        return 1;
      }
      if (i >= 10) ++extra_queries;
    }
    if (i < 10) continue;
    set_ms.push_back(Ms(set_done - start));
    visible_ms.push_back(Ms(visible - start));
  }
  std::vector<double> ctl_ms;
  for (int i = 0; !tandemctl.empty() && i < ctl_runs; ++i) {
    std::string cmd = absl::StrCat(tandemctl, " dns set cfgmaster ", addresses[i % 2], " --ttl ",
                                   ttl, " --dns-server ", named.address(), " --zone tandem.test",
                                   " --key-file ", named.update_key_file(), " >/dev/null");
    Clock::time_point start = Clock::now();
    if (std::system(cmd.c_str()) != 0) {
      std::cerr << "dns_update_bench: failed: " << cmd << "\n";
      return 1;
    }
    ctl_ms.push_back(Ms(Clock::now() - start));
  }
  nlohmann::json out = {{"bench", "dns_update"},
                        {"updates", updates},
                        {"set_address", Summary(set_ms)},
                        {"query_after_set", Summary(query_ms)},
                        {"set_to_visible", Summary(visible_ms)},
                        {"queries_that_missed_the_update", extra_queries}};
  if (!ctl_ms.empty()) out["tandemctl_dns_set"] = Summary(ctl_ms);
  std::ostream& human = json ? std::cerr : std::cout;
  for (const char* k : {"set_address", "query_after_set", "set_to_visible", "tandemctl_dns_set"}) {
    if (!out.contains(k)) continue;
    const nlohmann::json& s = out[k];
    human << absl::StrFormat("%-18s n=%d p50=%.2f ms p90=%.2f ms p99=%.2f ms max=%.2f ms\n", k,
                             s["n"].get<int>(), s["p50_ms"].get<double>(),
                             s["p90_ms"].get<double>(), s["p99_ms"].get<double>(),
                             s["max_ms"].get<double>());
  }
  human << "queries that did not yet see the update: " << extra_queries << "\n";
  if (json) std::cout << out.dump() << "\n";
  return 0;
}

}  // namespace
}  // namespace tandem

int main(int argc, char** argv) {
  CLI::App app("Latency of TSIG-signed dynamic DNS updates against a local BIND 9");
  int updates = 200;
  uint32_t ttl = 5;
  bool json = false;
  std::string tandemctl;
  int ctl_runs = 50;
  app.add_option("--updates", updates, "measured updates (after 10 warm-up ones)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--ttl", ttl, "TTL of the record")->capture_default_str();
  app.add_option("--tandemctl", tandemctl, "also time `tandemctl dns set` with this binary");
  app.add_option("--ctl-runs", ctl_runs, "tandemctl runs")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_flag("--json", json, "one JSON line on stdout, the summary on stderr");
  CLI11_PARSE(app, argc, argv);
  return tandem::Run(updates, ttl, tandemctl, ctl_runs, json);
}
