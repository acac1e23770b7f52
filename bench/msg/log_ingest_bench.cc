// Log Message Server ingest, measured: `tandemd msgserver` with a Log
// Database (SQLite, PostgreSQL, or PostgreSQL with a synchronous standby),
// a real confserv (authentication off), and C client threads each sending
// batches of B events with LogService.Append and waiting for the
// acknowledgement (the events are then committed, and with a synchronous
// standby replicated) before the next batch.
//   log_ingest_bench --store sqlite|postgres|postgres-sync [--clients 4] [--batch 500]
//                    [--seconds 10] [--max-events 2000000] [--json FILE]
// Reported: events acknowledged per second, the acknowledgement latency of
// each batch (p50/p99/max), and the Message Server's CPU per event (from
// /proc). Bounded by --seconds and --max-events.
//   log_ingest_bench --alarms 50 [--store ...]
// instead measures detection -> alarm visible: an AlarmCondition (detect
// 7001, cancel 7002); libtandem's Logger logs the detection event and the
// bench asks ListAlarms (what `tandemctl alarms` calls) every 2 ms until
// the alarm is there; then the cancel, until it is gone. N rounds.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "net/tls.h"
#include "nlohmann/json.hpp"
#include "scs/fleet.h"
#include "tandem/client/log_client.h"
#include "tandem/config/client.h"
#include "tandem/msg/v1/log.grpc.pb.h"
#include "testing/msgserver_process.h"
#include "testing/postgres_cluster.h"
#include "testing/tandemd_process.h"
#include "testing/temp_dir.h"
#include "testing/test_pki.h"

namespace tandem {
namespace {

namespace v1 = config::v1;
namespace mv1 = msg::v1;

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// utime+stime of a process, in seconds.
double CpuSeconds(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = s.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(s.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Polls ListAlarms until `want` alarms are active; how long it took (ms),
// or -1 after 10 s.
double UntilActive(mv1::LogService::Stub& stub, int want, absl::Time since) {
  while (absl::Now() - since < absl::Seconds(10)) {
    grpc::ClientContext ctx;
    ctx.AddMetadata(config::kClaimedMetadataKey, "log_ingest_bench");
    mv1::ListAlarmsResponse resp;
    if (stub.ListAlarms(&ctx, {}, &resp).ok() && resp.alarms_size() == want) {
      return absl::ToDoubleMilliseconds(absl::Now() - since);
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
  return -1;
}

int Run(const std::string& store, int clients, int batch, int seconds, int64_t max_events,
        int alarm_rounds, const std::string& json_path) {
  testing::TempDir dir;
  std::string logdb;
  testing::PostgresCluster primary, standby;
  if (store == "sqlite") {
    logdb = absl::StrCat("sqlite = \"", dir.file("log.db"), "\"\n");
  } else {
    if (absl::Status st = primary.Start(); !st.ok()) {
      std::cerr << "log_ingest_bench: " << st << "\n";
      return 1;
    }
    if (store == "postgres-sync") {
      if (absl::Status st = standby.StartStandbyOf(primary, "standby1"); !st.ok()) {
        std::cerr << "log_ingest_bench: " << st << "\n";
        return 1;
      }
      auto set = primary.Psql("postgres",
                              "ALTER SYSTEM SET synchronous_standby_names = 'standby1';\n"
                              "SELECT pg_reload_conf();");
      if (!set.ok()) {
        std::cerr << "log_ingest_bench: " << set.status() << "\n";
        return 1;
      }
    }
    absl::StatusOr<std::string> conninfo = primary.CreateDatabase("tandem_log");
    if (!conninfo.ok()) {
      std::cerr << "log_ingest_bench: " << conninfo.status() << "\n";
      return 1;
    }
    logdb = absl::StrCat("postgres = \"", *conninfo, "\"\n");
  }
  testing::TandemdProcess master;
  master.Start();
  const int port = testing::FreePort();
  v1::ConfigObject host;
  host.set_type(v1::OBJECT_TYPE_HOST);
  host.set_name("lms-host");
  (*host.mutable_properties())["address"].set_string_value("127.0.0.1");
  if (!bench::Create(master, host)) return 1;
  v1::ConfigObject lms;
  lms.set_type(v1::OBJECT_TYPE_APPLICATION);
  lms.set_name("lms");
  (*lms.mutable_properties())["app_type"].set_string_value("MessageServer");
  (*lms.mutable_properties())["host"] = bench::Ref(v1::OBJECT_TYPE_HOST, "lms-host");
  v1::Value* p = (*lms.mutable_properties())["ports"].mutable_list_value()->add_values();
  (*p->mutable_record_value()->mutable_fields())["id"].set_string_value("default");
  (*p->mutable_record_value()->mutable_fields())["port"].set_int_value(port);
  if (!bench::Create(master, lms)) return 1;
  testing::MsgServerOptions mo;
  mo.masters = {master.address()};
  mo.application = "lms";
  mo.listen = absl::StrCat("127.0.0.1:", port);
  mo.extra_toml = absl::StrCat("[logdb]\n", logdb, "rate_per_app = 10000000\n");
  testing::MsgServerProcess server(mo);
  server.Start();

  if (alarm_rounds > 0) {
    v1::ConfigObject cond;
    cond.set_type(v1::OBJECT_TYPE_ALARM_CONDITION);
    cond.set_name("bench-alarm");
    (*cond.mutable_properties())["detect_log_event_id"].set_int_value(7001);
    (*cond.mutable_properties())["cancel_log_event_id"].set_int_value(7002);
    if (!bench::Create(master, cond)) return 1;
    absl::SleepFor(absl::Seconds(1));  // the server's configuration follows the change
    client::LoggerOptions lo;
    lo.servers = {server.address()};
    lo.tls = testing::TestPki::Get().Trust();
    lo.claimed = "bench-app";
    lo.host = "bench-host";
    client::Logger log(lo);
    auto stub = mv1::LogService::NewStub(grpc::CreateChannel(
        server.address(), net::MakeChannelCredentials(testing::TestPki::Get().Trust())));
    std::vector<double> raise_ms, clear_ms;
    int failed = 0;
    for (int i = 0; i < alarm_rounds; ++i) {
      absl::Time t = absl::Now();
      (void)log.Log(client::LogLevel::kAlarm, 7001, absl::StrCat("detected ", i));
      const double r = UntilActive(*stub, 1, t);
      t = absl::Now();
      (void)log.Log(client::LogLevel::kStandard, 7002, absl::StrCat("cancelled ", i));
      const double c = UntilActive(*stub, 0, t);
      if (r < 0 || c < 0) {
        ++failed;
        continue;
      }
      raise_ms.push_back(r);
      clear_ms.push_back(c);
    }
    nlohmann::json j = {{"store", store},
                        {"rounds", alarm_rounds},
                        {"raise_visible_ms_p50", Percentile(raise_ms, 0.5)},
                        {"raise_visible_ms_p99", Percentile(raise_ms, 0.99)},
                        {"raise_visible_ms_max", Percentile(raise_ms, 1.0)},
                        {"clear_visible_ms_p50", Percentile(clear_ms, 0.5)},
                        {"clear_visible_ms_p99", Percentile(clear_ms, 0.99)},
                        {"rounds_over_10s", failed}};
    std::cout << j.dump(2) << "\n";
    if (!json_path.empty()) std::ofstream(json_path) << j.dump(2) << "\n";
    return failed == 0 ? 0 : 1;
  }

  absl::Mutex mu;
  std::vector<double> latency_ms;
  std::atomic<int64_t> acknowledged{0};
  std::atomic<int64_t> failures{0};
  std::atomic<bool> stop{false};
  const double cpu_before = CpuSeconds(server.pid());
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::Seconds(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto stub = mv1::LogService::NewStub(grpc::CreateChannel(
          server.address(), net::MakeChannelCredentials(testing::TestPki::Get().Trust())));
      std::vector<double> mine;
      int64_t next = 0;
      while (!stop.load() && absl::Now() < end) {
        if (acknowledged.load() >= max_events) break;
        mv1::AppendRequest req;
        const absl::Time now = absl::Now();
        for (int i = 0; i < batch; ++i) {
          mv1::LogEvent* e = req.add_events();
          e->set_event_id(absl::StrCat("bench-", c, "-", next++));
          e->mutable_at()->set_seconds(absl::ToUnixSeconds(now));
          e->set_host("bench-host");
          e->set_level(mv1::STANDARD);
          e->set_message_id(4000 + i % 10);
          e->set_text("order 123456 for customer 98765 priced at 42.17 EUR in 12 ms");
        }
        grpc::ClientContext ctx;
        ctx.AddMetadata(config::kClaimedMetadataKey, absl::StrCat("bench-app-", c));
        ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
        mv1::AppendResponse resp;
        const absl::Time sent = absl::Now();
        grpc::Status st = stub->Append(&ctx, req, &resp);
        if (!st.ok()) {
          if (failures.fetch_add(1) < 5) std::cerr << "append: " << st.error_message() << "\n";
          continue;
        }
        mine.push_back(absl::ToDoubleMilliseconds(absl::Now() - sent));
        acknowledged += resp.stored() + resp.duplicates();
      }
      absl::MutexLock lock(&mu);
      latency_ms.insert(latency_ms.end(), mine.begin(), mine.end());
    });
  }
  for (std::thread& t : threads) t.join();
  const double took = absl::ToDoubleSeconds(absl::Now() - start);
  const double cpu = CpuSeconds(server.pid()) - cpu_before;
  const int64_t n = acknowledged.load();
  nlohmann::json j = {{"store", store},
                      {"clients", clients},
                      {"batch", batch},
                      {"events", n},
                      {"seconds", took},
                      {"events_per_s", static_cast<double>(n) / took},
                      {"ack_ms_p50", Percentile(latency_ms, 0.5)},
                      {"ack_ms_p99", Percentile(latency_ms, 0.99)},
                      {"ack_ms_max", Percentile(latency_ms, 1.0)},
                      {"server_cpu_us_per_event", n == 0 ? 0 : cpu * 1e6 / static_cast<double>(n)},
                      {"failed_appends", failures.load()}};
  std::cout << j.dump(2) << "\n";
  if (!json_path.empty()) std::ofstream(json_path) << j.dump(2) << "\n";
  return failures.load() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace tandem

int main(int argc, char** argv) {
  CLI::App app("Log Message Server ingest with acknowledgements");
  std::string store = "sqlite", json;
  int clients = 4, batch = 500, seconds = 10;
  int64_t max_events = 2'000'000;
  int alarms = 0;
  app.add_option("--store", store, "sqlite, postgres or postgres-sync")
      ->check(CLI::IsMember({"sqlite", "postgres", "postgres-sync"}));
  app.add_option("--clients", clients)->check(CLI::Range(1, 256));
  app.add_option("--batch", batch)->check(CLI::Range(1, 10000));
  app.add_option("--seconds", seconds)->check(CLI::Range(1, 600));
  app.add_option("--max-events", max_events)->check(CLI::Range(1, 100'000'000));
  app.add_option("--alarms", alarms, "measure detection -> alarm visible, this many rounds")
      ->check(CLI::Range(1, 1000));
  app.add_option("--json", json, "also write the result here");
  CLI11_PARSE(app, argc, argv);
  return tandem::Run(store, clients, batch, seconds, max_events, alarms, json);
}
