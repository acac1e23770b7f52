// Failover of the master HA pair, measured: the time from a fault of the
// primary to the first write the backup acknowledges, over many runs, and
// whether any acknowledged write went missing.
//   ha_failover_bench --backend sqlite|postgres --fault kill|stop --runs 20
// Faults: kill (kill -9 of the primary process) and stop (SIGSTOP: a hung
// primary, or one whose host is cut off — it cannot renew its lease; it is
// woken after the takeover, must not commit, and stops by itself). `stop`
// is for PostgreSQL only: on a shared SQLite file a primary stopped inside a
// write transaction keeps the file's lock until it dies.
// Each run: one client writes continuously (switching server on failure,
// 10 ms apart); the fault hits whichever server is primary; the faulted
// server is restarted as the backup for the next run.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "nlohmann/json.hpp"
#include "testing/postgres_cluster.h"
#include "testing/tandemd_process.h"

namespace tandem {
namespace {

namespace v1 = config::v1;
using testing::TandemdProcess;

bool WaitRole(const TandemdProcess& s, v1::Role role, absl::Duration max) {
  const absl::Time until = absl::Now() + max;
  while (absl::Now() < until) {
    if (s.Info(std::chrono::seconds(2)).role() == role) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * (v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

int Run(const std::string& backend, const std::string& fault, int runs, int lease_ms) {
  testing::TempDir dir;
  testing::PostgresCluster pg;
  std::string storage;
  if (backend == "postgres") {
    if (absl::Status st = pg.Start(); !st.ok()) {
      std::cerr << "cannot start PostgreSQL: " << st << "\n";
      return 1;
    }
    auto conninfo = pg.CreateDatabase("tandem");
    if (!conninfo.ok()) return 1;
    storage = "[storage]\nbackend = \"postgres\"\nconninfo = \"" + *conninfo + "\"\n";
  } else {
    storage = "[storage]\nbackend = \"sqlite\"\npath = \"" + dir.file("config.db") + "\"\n";
  }
  std::vector<std::unique_ptr<TandemdProcess>> servers;
  for (const char* node : {"cs1", "cs2"}) {
    testing::TandemdOptions o;
    o.storage_toml = storage;
    o.extra_toml = absl::StrCat("[ha]\nnode = \"", node, "\"\nlease_ms = ", lease_ms, "\n");
    servers.push_back(std::make_unique<TandemdProcess>(o));
  }
  servers[0]->Start();
  if (!WaitRole(*servers[0], v1::ROLE_PRIMARY, absl::Seconds(10))) return 1;
  servers[1]->Start();
  if (!WaitRole(*servers[1], v1::ROLE_BACKUP, absl::Seconds(10))) return 1;

  std::map<std::string, int64_t> acked;
  std::mutex mu;
  std::vector<double> takeover_s;
  int primary = 0;
  int64_t seq = 0;
  for (int r = 0; r < runs; ++r) {
    std::atomic<bool> stop{false};
    std::atomic<int64_t> fault_us{0}, first_us{0};
    const int backup = 1 - primary;
    std::thread writer([&] {
      int target = primary;
      while (!stop) {
        auto stub = servers[target]->Stub();
        grpc::ClientContext ctx;
        // Short: a stalled server must not hold the client longer than this.
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
        v1::CreateRequest req;
        const std::string name = absl::StrCat("f", seq++);
        req.mutable_object()->set_type(v1::OBJECT_TYPE_HOST);
        req.mutable_object()->set_name(name);
        (*req.mutable_object()->mutable_properties())["address"].set_string_value("192.0.2.7");
        v1::CreateResponse resp;
        if (stub->Create(&ctx, req, &resp).ok()) {
          {
            std::lock_guard<std::mutex> l(mu);
            acked[name] = resp.revision();
          }
          if (fault_us > 0 && target == backup && first_us == 0) {
            first_us = absl::ToUnixMicros(absl::Now());
          }
        } else {
          target = 1 - target;
          absl::SleepFor(absl::Milliseconds(10));
        }
      }
    });
    absl::SleepFor(absl::Milliseconds(500));
    TandemdProcess& victim = *servers[primary];
    fault_us = absl::ToUnixMicros(absl::Now());
    if (fault == "kill") {
      victim.Kill();
    } else {
      kill(victim.pid(), SIGSTOP);
    }
    const absl::Time until = absl::Now() + absl::Seconds(30);
    while (first_us == 0 && absl::Now() < until) absl::SleepFor(absl::Milliseconds(5));
    absl::SleepFor(absl::Milliseconds(200));
    stop = true;
    writer.join();
    if (first_us == 0) {
      std::cerr << "run " << r << ": the backup never took over\n" << servers[backup]->Log();
      return 1;
    }
    takeover_s.push_back((first_us - fault_us) / 1e6);
    if (fault == "stop") {
      kill(victim.pid(), SIGCONT);
      int status = 0;
      if (!victim.Exited(10, &status)) {
        std::cerr << "run " << r << ": the stalled primary did not stop after waking\n";
        return 1;
      }
    }
    victim.Start();
    if (!WaitRole(victim, v1::ROLE_BACKUP, absl::Seconds(10))) return 1;
    primary = backup;
    std::cerr << "run " << r + 1 << "/" << runs << ": " << takeover_s.back() << " s\n";
  }
  // Nothing acknowledged is missing, at its revision.
  int64_t lost = 0;
  auto stub = servers[primary]->Stub();
  for (const auto& [name, revision] : acked) {
    grpc::ClientContext ctx;
    v1::GetRequest get;
    get.set_type(v1::OBJECT_TYPE_HOST);
    get.set_name(name);
    v1::GetResponse resp;
    if (!stub->Get(&ctx, get, &resp).ok() || resp.object().revision() != revision) ++lost;
  }
  nlohmann::json out = {
      {"backend", backend},
      {"fault", fault},
      {"lease_ms", lease_ms},
      {"runs", runs},
      {"takeover_s_median", Percentile(takeover_s, 0.5)},
      {"takeover_s_p99", Percentile(takeover_s, 0.99)},
      {"takeover_s_min", *std::min_element(takeover_s.begin(), takeover_s.end())},
      {"takeover_s_max", *std::max_element(takeover_s.begin(), takeover_s.end())},
      {"acknowledged_writes", acked.size()},
      {"lost_writes", lost},
  };
  std::cout << out.dump() << std::endl;
  return lost == 0 ? 0 : 2;
}

}  // namespace
}  // namespace tandem

int main(int argc, char** argv) {
  CLI::App app{"Failover time of the master HA pair (see the file's header)"};
  std::string backend = "sqlite", fault = "kill";
  int runs = 20, lease_ms = 1500;
  app.add_option("--backend", backend, "sqlite or postgres")->capture_default_str();
  app.add_option("--fault", fault, "kill (kill -9) or stop (SIGSTOP, woken later)")
      ->capture_default_str();
  app.add_option("--runs", runs, "failovers to measure")->capture_default_str();
  app.add_option("--lease-ms", lease_ms, "[ha] lease_ms of both servers")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if ((backend != "sqlite" && backend != "postgres") || (fault != "kill" && fault != "stop") ||
      runs < 1 || runs > 1000) {
    std::cerr
        << "ha_failover_bench: --backend sqlite|postgres, --fault kill|stop, --runs 1..1000\n";
    return 2;
  }
  return tandem::Run(backend, fault, runs, lease_ms);
}
