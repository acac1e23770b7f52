// Message Server fan-out, measured: one message to N subscribers (libtandem
// BusSubscriber, each with its own TCP connection and thread), delivery
// latency from just before Publish to each subscriber's handler, with a
// real confserv (authentication off) and `tandemd msgserver`.
//   bus_fanout_bench --subscribers 1000 --messages 200 [--interval-ms 20] [--json FILE]
// Reported: every delivery's latency (p50/p99/max), the time until the last
// subscriber has a message (p50/p99), and the Message Server's CPU per
// delivered message (from /proc). Load loops are bounded by --messages.
#include <atomic>
#include <fstream>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "scs/fleet.h"
#include "tandem/client/bus_client.h"
#include "testing/msgserver_process.h"
#include "testing/tandemd_process.h"
#include "testing/test_pki.h"

namespace tandem {
namespace {

namespace v1 = config::v1;

int Run(int subscribers, int messages, int interval_ms, const std::string& json_path) {
  testing::TandemdProcess master;
  master.Start();
  const int port = testing::FreePort();
  v1::ConfigObject host;
  host.set_type(v1::OBJECT_TYPE_HOST);
  host.set_name("ms-host");
  (*host.mutable_properties())["address"].set_string_value("127.0.0.1");
  if (!bench::Create(master, host)) return 1;
  v1::ConfigObject ms;
  ms.set_type(v1::OBJECT_TYPE_APPLICATION);
  ms.set_name("ms");
  (*ms.mutable_properties())["app_type"].set_string_value("MessageServer");
  (*ms.mutable_properties())["host"] = bench::Ref(v1::OBJECT_TYPE_HOST, "ms-host");
  v1::Value* p = (*ms.mutable_properties())["ports"].mutable_list_value()->add_values();
  (*p->mutable_record_value()->mutable_fields())["id"].set_string_value("default");
  (*p->mutable_record_value()->mutable_fields())["port"].set_int_value(port);
  if (!bench::Create(master, ms)) return 1;
  testing::MsgServerOptions mo;
  mo.masters = {master.address()};
  mo.application = "ms";
  mo.listen = absl::StrCat("127.0.0.1:", port);
  testing::MsgServerProcess server(mo);
  server.Start();

  client::BusOptions o;
  o.servers = {server.address()};
  o.tls = testing::TestPki::Get().Trust();
  o.claimed = "bus_fanout_bench";
  absl::Mutex mu;
  std::vector<double> latency_ms;          // every delivery
  std::vector<int> received(messages, 0);  // per message: how many have it
  std::vector<double> last_ms(messages, 0);
  std::vector<absl::Time> sent(messages);
  latency_ms.reserve(static_cast<size_t>(subscribers) * messages);
  std::vector<std::unique_ptr<client::BusSubscriber>> subs;
  const absl::Time t_sub = absl::Now();
  for (int i = 0; i < subscribers; ++i) {
    subs.push_back(
        client::BusSubscriber::Start(o, "fanout", {"", 0}, [&](const client::BusDelivery& d) {
          const absl::Time now = absl::Now();
          absl::MutexLock lock(&mu);
          for (const client::BusMessage& m : d.messages) {
            int k = 0;
            if (!absl::SimpleAtoi(m.payload, &k) || k < 0 || k >= messages) continue;
            const double ms = absl::ToDoubleMilliseconds(now - sent[k]);
            latency_ms.push_back(ms);
            ++received[k];
            last_ms[k] = std::max(last_ms[k], ms);
          }
        }));
  }
  for (int i = 0; i < 600; ++i) {
    int up = 0;
    for (const auto& s : subs) up += s->connected() ? 1 : 0;
    if (up == subscribers) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  // A subscription is open once its STARTED notice arrived; wait a moment
  // more so that every stream is registered at the server.
  absl::SleepFor(absl::Seconds(1));
  std::cerr << "subscribed " << subscribers << " in " << absl::FormatDuration(absl::Now() - t_sub)
            << "\n";
  client::BusPublisher pub(o);
  const bench::ProcUsage before = bench::Usage(server.pid());
  for (int k = 0; k < messages; ++k) {
    {
      absl::MutexLock lock(&mu);
      sent[k] = absl::Now();
    }
    absl::StatusOr<client::BusPublisher::Published> r = pub.Publish("fanout", absl::StrCat(k));
    if (!r.ok()) {
      std::cerr << "publish: " << r.status() << "\n";
      return 1;
    }
    absl::SleepFor(absl::Milliseconds(interval_ms));
  }
  {
    absl::MutexLock lock(&mu);
    auto all = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) {
      return latency_ms.size() >= static_cast<size_t>(subscribers) * messages;
    };
    mu.AwaitWithTimeout(absl::Condition(&all), absl::Seconds(60));
  }
  const bench::ProcUsage after = bench::Usage(server.pid());
  for (auto& s : subs) s->Stop();
  absl::MutexLock lock(&mu);
  const size_t expected = static_cast<size_t>(subscribers) * messages;
  std::vector<double> last(last_ms.begin(), last_ms.end());
  nlohmann::json j = {
      {"subscribers", subscribers},
      {"messages", messages},
      {"interval_ms", interval_ms},
      {"deliveries", latency_ms.size()},
      {"expected", expected},
      {"delivery_ms_p50", bench::Percentile(latency_ms, 0.5)},
      {"delivery_ms_p99", bench::Percentile(latency_ms, 0.99)},
      {"delivery_ms_max", bench::Percentile(latency_ms, 1.0)},
      {"all_subscribers_ms_p50", bench::Percentile(last, 0.5)},
      {"all_subscribers_ms_p99", bench::Percentile(last, 0.99)},
      {"server_cpu_us_per_delivery",
       1e6 * (after.cpu_s - before.cpu_s) / std::max<size_t>(1, latency_ms.size())},
      {"server_rss_mib", after.rss_mib},
  };
  std::cout << j.dump(2) << "\n";
  if (!json_path.empty()) std::ofstream(json_path) << j.dump(2) << "\n";
  return latency_ms.size() == expected ? 0 : 1;
}

}  // namespace
}  // namespace tandem

int main(int argc, char** argv) {
  CLI::App app{"Message Server fan-out: one message to N subscribers, delivery latency"};
  int subscribers = 1000, messages = 200, interval_ms = 20;
  std::string json;
  app.add_option("--subscribers", subscribers)->check(CLI::Range(1, 5000));
  app.add_option("--messages", messages)->check(CLI::Range(1, 10000));
  app.add_option("--interval-ms", interval_ms)->check(CLI::Range(0, 10000));
  app.add_option("--json", json, "also write the result here");
  CLI11_PARSE(app, argc, argv);
  return tandem::Run(subscribers, messages, interval_ms, json);
}
