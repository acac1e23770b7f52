// Application HA pair failover, measured: the time from kill -9 of the
// primary's process to the backup's LCA reporting it primary (the SCS's
// SetMode carried out), over many runs, with real tandemd confserv, two LCAs
// (hosts h1, h2 on loopback) and the SCS.
//   scs_failover_bench --runs 60 [--fault kill|host] [--json FILE]
// --fault kill: kill -9 of the primary's process (the LCA reports the exit).
// --fault host: the primary's host is lost: its LCA is stopped (SIGSTOP; it
// answers nothing, as behind a cut link) until the backup is primary; the SCS
// notices by keepalive and waits the grace period (3 s here) first.
// Each run kills whichever member is primary; the SCS restarts it as the
// backup (restart backoff capped at 1 s here) before the next run. The clock
// starts just before the kill and stops when the backup's WatchStatus stream
// shows mode PRIMARY.
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "fleet.h"
#include "grpcpp/client_context.h"
#include "nlohmann/json.hpp"
#include "testing/lca_process.h"
#include "testing/scs_process.h"
#include "testing/tandemd_process.h"

namespace tandem {
namespace {

namespace v1 = config::v1;
namespace cv1 = control::v1;
using bench::Create;
using bench::Percentile;
using bench::Ref;
using bench::StatusOf;

bool Serving(const std::optional<cv1::ProcessStatus>& p, cv1::HaMode mode) {
  return p.has_value() && p->state() == cv1::PROCESS_STATE_RUNNING && p->pid() > 0 &&
         p->mode() == mode;
}

int Run(int runs, const std::string& fault, const std::string& json_path) {
  testing::TandemdProcess master;
  master.Start();
  v1::ConfigObject scs;
  scs.set_type(v1::OBJECT_TYPE_APPLICATION);
  scs.set_name("scs");
  if (!Create(master, scs)) return 1;
  std::map<std::string, std::unique_ptr<testing::LcaProcess>> lcas;
  for (const std::string h : {"h1", "h2"}) {
    const int port = testing::FreePort();
    if (!Create(master, bench::LoopbackHost(h, port))) return 1;
    testing::LcaOptions o;
    o.host = h;
    o.config_servers = {master.address()};
    o.listen = absl::StrCat("127.0.0.1:", port);
    lcas[h] = std::make_unique<testing::LcaProcess>(o);
    lcas[h]->Start();
  }
  auto app = bench::SleeperApp;
  if (!Create(master, app("pb", "h2"))) return 1;
  v1::ConfigObject pa = app("pa", "h1");
  (*pa.mutable_properties())["redundancy"].set_string_value("warm-standby");
  (*pa.mutable_properties())["backup"] = Ref(v1::OBJECT_TYPE_APPLICATION, "pb");
  if (!Create(master, pa)) return 1;
  testing::ScsOptions so;
  so.masters = {master.address()};
  // Restarts without giving up or backing off long, and no flip protection:
  // this bench switches the pair over on purpose, again and again.
  so.extra_toml = "max_failures = 100000\nrestart_backoff_max_s = 1\nflip_max = 100000\n";
  testing::ScsProcess scs_process(so);
  scs_process.Start();

  const std::map<std::string, std::string> host_of = {{"pa", "h1"}, {"pb", "h2"}};
  std::vector<double> ms;
  for (int run = 0; run < runs; ++run) {
    // A stable pair: one primary, one backup, both running.
    std::string primary, backup;
    const absl::Time until = absl::Now() + absl::Seconds(30);
    while (absl::Now() < until) {
      auto a = StatusOf(*lcas["h1"], "pa");
      auto b = StatusOf(*lcas["h2"], "pb");
      if (Serving(a, cv1::HA_MODE_PRIMARY) && Serving(b, cv1::HA_MODE_BACKUP)) {
        primary = "pa", backup = "pb";
        break;
      }
      if (Serving(b, cv1::HA_MODE_PRIMARY) && Serving(a, cv1::HA_MODE_BACKUP)) {
        primary = "pb", backup = "pa";
        break;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    if (primary.empty()) {
      std::cerr << "run " << run << ": the pair did not settle within 30 s\n" << scs_process.Log();
      return 1;
    }
    const int64_t pid = StatusOf(*lcas[host_of.at(primary)], primary)->pid();
    auto stub = lcas[host_of.at(backup)]->Control("scs");
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    auto watch = stub->WatchStatus(&ctx, {});
    cv1::StatusEvent ev;
    if (!watch->Read(&ev)) return 1;  // the initial picture
    const absl::Time t0 = absl::Now();
    const pid_t lca_pid = lcas[host_of.at(primary)]->pid();
    if (fault == "host") {
      kill(lca_pid, SIGSTOP);
    } else {
      kill(static_cast<pid_t>(pid), SIGKILL);
    }
    bool promoted = false;
    while (!promoted && watch->Read(&ev)) {
      for (const auto& p : ev.processes()) {
        promoted = promoted || (p.application() == backup && p.mode() == cv1::HA_MODE_PRIMARY);
      }
    }
    const double took = absl::ToDoubleMilliseconds(absl::Now() - t0);
    ctx.TryCancel();
    if (fault == "host") {
      // The host comes back: its process still runs as a primary of an older
      // epoch and is demoted; for the next run it must be the backup.
      kill(lca_pid, SIGCONT);
    }
    if (!promoted) {
      std::cerr << "run " << run << ": the backup was not made primary\n";
      return 1;
    }
    ms.push_back(took);
    std::cerr << "run " << run + 1 << "/" << runs << ": " << primary
              << (fault == "host" ? "'s host lost, " : " killed, ") << backup << " primary after "
              << took << " ms\n";
  }
  nlohmann::json out = {{"fault", fault},
                        {"runs", ms.size()},
                        {"p50_ms", Percentile(ms, 0.5)},
                        {"p99_ms", Percentile(ms, 0.99)},
                        {"max_ms", *std::max_element(ms.begin(), ms.end())},
                        {"samples_ms", ms}};
  std::cout << (fault == "host" ? "host loss" : "process death") << " -> backup primary over "
            << ms.size() << " runs: p50 " << Percentile(ms, 0.5) << " ms, p99 "
            << Percentile(ms, 0.99) << " ms, max " << *std::max_element(ms.begin(), ms.end())
            << " ms\n";
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  scs_process.Kill();  // so that nothing restarts what follows ends
  for (auto& [h, lca] : lcas) bench::KillApplications(*lca);
  return 0;
}

}  // namespace
}  // namespace tandem

int main(int argc, char** argv) {
  CLI::App app{"scs_failover_bench: kill -9 of an HA pair's primary to its backup made primary"};
  int runs = 60;
  std::string json, fault = "kill";
  app.add_option("--runs", runs, "kills")->capture_default_str();
  app.add_option("--json", json, "write the figures here");
  app.add_option("--fault", fault, "kill: kill -9 of the primary; host: its LCA stops answering")
      ->check(CLI::IsMember({"kill", "host"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return tandem::Run(runs, fault, json);
}
