// etcd-put-bench: durable puts against a local etcd through its HTTP/JSON gateway
// (/v3/kv/put), to compare with tandem-load's update mode on the same machine.
// Each client is one thread with one keep-alive HTTP connection, overwriting its own key.
#include <atomic>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "load/latency.h"
#include "nlohmann/json.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct ClientResult {
  std::vector<int64_t> latencies_ns;
  int64_t errors = 0;
  std::string last_error;
};

}  // namespace

int main(int argc, char** argv) {
  int port = 2379;
  int clients = 64;
  double duration_s = 10;
  double warmup_s = 1;
  int value_bytes = 128;
  bool json = false;
  CLI::App app{"etcd-put-bench: durable puts to etcd on 127.0.0.1 via /v3/kv/put"};
  app.add_option("--port", port, "etcd client port on 127.0.0.1")->capture_default_str();
  app.add_option("--clients", clients, "concurrent clients (threads)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--duration", duration_s, "measured seconds")
      ->check(CLI::Range(0.1, 120.0))
      ->capture_default_str();
  app.add_option("--warmup", warmup_s, "unmeasured seconds first")
      ->check(CLI::Range(0.0, 30.0))
      ->capture_default_str();
  app.add_option("--value-bytes", value_bytes, "size of each value")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  app.add_flag("--json", json, "also print the result as one JSON line on stdout");
  CLI11_PARSE(app, argc, argv);

  auto measure_begin = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(warmup_s));
  auto end = measure_begin +
             std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration_s));
  std::vector<ClientResult> results(clients);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      ClientResult& r = results[c];
      r.latencies_ns.reserve(1 << 14);
      httplib::Client http("127.0.0.1", port);
      http.set_keep_alive(true);
      http.set_tcp_nodelay(true);  // else Nagle + delayed ACK add ~40 ms per put
      http.set_connection_timeout(5);
      http.set_read_timeout(10);
      const std::string key = absl::Base64Escape(absl::StrCat("bench/key-", c));
      for (int64_t seq = 0;; ++seq) {
        auto started = Clock::now();
        if (started >= end || r.errors >= 1000) break;
        std::string value(static_cast<size_t>(value_bytes), 'v');
        std::string seq_text = std::to_string(seq);
        value.replace(0, std::min(value.size(), seq_text.size()), seq_text, 0,
                      std::min(value.size(), seq_text.size()));
        std::string body =
            absl::StrCat(R"({"key":")", key, R"(","value":")", absl::Base64Escape(value), R"("})");
        auto res = http.Post("/v3/kv/put", body, "application/json");
        auto now = Clock::now();
        if (!res || res->status != 200 || res->body.find("revision") == std::string::npos) {
          ++r.errors;
          r.last_error = res ? absl::StrCat("HTTP ", res->status, ": ", res->body)
                             : httplib::to_string(res.error());
          continue;
        }
        if (started >= measure_begin && now <= end) {
          r.latencies_ns.push_back(
              std::chrono::duration_cast<std::chrono::nanoseconds>(now - started).count());
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  std::vector<int64_t> all;
  int64_t errors = 0;
  std::string last_error;
  for (auto& r : results) {
    all.insert(all.end(), r.latencies_ns.begin(), r.latencies_ns.end());
    errors += r.errors;
    if (!r.last_error.empty()) last_error = r.last_error;
  }
  auto s = tandem::bench::Summarize(all);
  nlohmann::ordered_json out;
  out["mode"] = "etcd-put";
  out["clients"] = clients;
  out["ops"] = s.count;
  out["errors"] = errors;
  out["measured_s"] = duration_s;
  out["ops_per_s"] = static_cast<double>(s.count) / duration_s;
  out["latency_mean_ms"] = s.mean_ms;
  out["latency_p50_ms"] = s.p50_ms;
  out["latency_p90_ms"] = s.p90_ms;
  out["latency_p99_ms"] = s.p99_ms;
  out["latency_max_ms"] = s.max_ms;
  std::ostream& human = json ? std::cerr : std::cout;
  human << "etcd-put-bench\n";
  for (const auto& [k, v] : out.items()) human << "  " << k << ": " << v.dump() << "\n";
  if (!last_error.empty()) human << "  last_error: " << last_error << "\n";
  if (json) std::cout << out.dump() << std::endl;
  return s.count > 0 ? 0 : 1;
}
