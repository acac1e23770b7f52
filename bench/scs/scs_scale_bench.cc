// One SCS with many applications on many LCAs, measured with real
// processes: the time from the SCS's start to every application running
// (a cold boot: the LCAs are up and empty), the SCS's and the LCAs' CPU and
// memory at rest, and a mass restart (every application killed with -9 at
// once) until all run again.
//   scs_scale_bench --hosts 20 --apps 1000 [--rest-s 10] [--json FILE]
#include <signal.h>

#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "fleet.h"
#include "nlohmann/json.hpp"
#include "testing/scs_process.h"

namespace tandem {
namespace {

namespace v1 = config::v1;
namespace cv1 = control::v1;

// Running processes over every LCA (app -> pid).
std::map<std::string, int64_t> Running(
    const std::map<std::string, std::unique_ptr<testing::LcaProcess>>& lcas) {
  std::map<std::string, int64_t> out;
  for (const auto& [h, lca] : lcas) {
    for (const auto& p : bench::Statuses(*lca)) {
      if (p.state() == cv1::PROCESS_STATE_RUNNING && p.pid() > 0) out[p.application()] = p.pid();
    }
  }
  return out;
}

struct Sample {
  bench::ProcUsage scs, lcas;
};
Sample Measure(pid_t scs, const std::map<std::string, std::unique_ptr<testing::LcaProcess>>& lcas) {
  Sample s;
  s.scs = bench::Usage(scs);
  for (const auto& [h, lca] : lcas) {
    bench::ProcUsage u = bench::Usage(lca->pid());
    s.lcas.cpu_s += u.cpu_s;
    s.lcas.rss_mib += u.rss_mib;
  }
  return s;
}

int Run(int hosts, int apps, int rest_s, const std::string& json_path) {
  testing::TandemdProcess master;
  master.Start();
  v1::ConfigObject scs;
  scs.set_type(v1::OBJECT_TYPE_APPLICATION);
  scs.set_name("scs");
  if (!bench::Create(master, scs)) return 1;
  std::map<std::string, std::unique_ptr<testing::LcaProcess>> lcas;
  std::vector<std::string> names;
  for (int i = 0; i < hosts; ++i) {
    const std::string h = absl::StrFormat("h%02d", i + 1);
    const int port = testing::FreePort();
    if (!bench::Create(master, bench::LoopbackHost(h, port))) return 1;
    testing::LcaOptions o;
    o.host = h;
    o.config_servers = {master.address()};
    o.listen = absl::StrCat("127.0.0.1:", port);
    lcas[h] = std::make_unique<testing::LcaProcess>(o);
    names.push_back(h);
  }
  for (int i = 0; i < apps; ++i) {
    if (!bench::Create(master, bench::SleeperApp(absl::StrFormat("app%04d", i),
                                                 names[static_cast<size_t>(i % hosts)]))) {
      return 1;
    }
  }
  for (auto& [h, lca] : lcas) lca->Start();
  std::cerr << hosts << " LCAs up, " << apps << " Applications written; starting the SCS\n";

  testing::ScsOptions so;
  so.masters = {master.address()};
  testing::ScsProcess scs_process(so);
  const absl::Time t0 = absl::Now();
  scs_process.Start();
  std::map<std::string, int64_t> running;
  while (absl::Now() - t0 < absl::Minutes(5)) {
    running = Running(lcas);
    if (static_cast<int>(running.size()) == apps) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  const double cold_s = absl::ToDoubleSeconds(absl::Now() - t0);
  if (static_cast<int>(running.size()) != apps) {
    std::cerr << "only " << running.size() << " of " << apps << " running after 5 min\n";
    return 1;
  }
  std::cerr << "all " << apps << " running " << cold_s << " s after the SCS started\n";

  // At rest.
  absl::SleepFor(absl::Seconds(2));
  const Sample rest0 = Measure(scs_process.pid(), lcas);
  absl::SleepFor(absl::Seconds(rest_s));
  const Sample rest1 = Measure(scs_process.pid(), lcas);
  const double scs_rest_pct = 100 * (rest1.scs.cpu_s - rest0.scs.cpu_s) / rest_s;
  const double lcas_rest_pct = 100 * (rest1.lcas.cpu_s - rest0.lcas.cpu_s) / rest_s;

  // Mass restart: every application killed at once.
  const Sample before = Measure(scs_process.pid(), lcas);
  const absl::Time k0 = absl::Now();
  for (const auto& [app, pid] : running) kill(static_cast<pid_t>(pid), SIGKILL);
  std::map<std::string, int64_t> again;
  while (absl::Now() - k0 < absl::Minutes(5)) {
    again = Running(lcas);
    int fresh = 0;
    for (const auto& [app, pid] : again) fresh += running.contains(app) && running[app] != pid;
    if (fresh == apps) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  const double restart_s = absl::ToDoubleSeconds(absl::Now() - k0);
  const Sample after = Measure(scs_process.pid(), lcas);

  nlohmann::json out = {
      {"hosts", hosts},
      {"apps", apps},
      {"cold_start_all_running_s", cold_s},
      {"scs_rest_cpu_pct", scs_rest_pct},
      {"lcas_rest_cpu_pct_total", lcas_rest_pct},
      {"scs_rss_mib", rest1.scs.rss_mib},
      {"lcas_rss_mib_total", rest1.lcas.rss_mib},
      {"mass_restart_all_running_s", restart_s},
      {"mass_restart_scs_cpu_s", after.scs.cpu_s - before.scs.cpu_s},
      {"mass_restart_lcas_cpu_s_total", after.lcas.cpu_s - before.lcas.cpu_s},
      {"scs_rss_mib_after_restart", after.scs.rss_mib},
  };
  std::cout << out.dump(2) << "\n";
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  scs_process.Kill();  // so that nothing restarts what follows ends
  for (auto& [h, lca] : lcas) bench::KillApplications(*lca);
  return 0;
}

}  // namespace
}  // namespace tandem

int main(int argc, char** argv) {
  CLI::App app{"scs_scale_bench: one SCS, many applications on many LCAs"};
  int hosts = 20, apps = 1000, rest_s = 10;
  std::string json;
  app.add_option("--hosts", hosts, "LCAs")->capture_default_str();
  app.add_option("--apps", apps, "applications (sleep 3600 each)")->capture_default_str();
  app.add_option("--rest-s", rest_s, "seconds measured at rest")->capture_default_str();
  app.add_option("--json", json, "write the figures here");
  CLI11_PARSE(app, argc, argv);
  return tandem::Run(hosts, apps, rest_s, json);
}
