// tandem-load: a bounded load generator for a Tandem configuration server on loopback.
#include <sys/resource.h>

#include <iostream>
#include <map>

#include "CLI/CLI.hpp"
#include "load/client.h"
#include "load/modes.h"

namespace tb = tandem::bench;

namespace {

//! Only loopback targets: "127.x.y.z:port", "localhost:port" or "[::1]:port".
bool IsLoopback(const std::string& target) {
  std::string host;
  if (!target.empty() && target[0] == '[') {
    auto close = target.find(']');
    if (close == std::string::npos) return false;
    host = target.substr(1, close - 1);
  } else {
    auto colon = target.rfind(':');
    if (colon == std::string::npos) return false;
    host = target.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  tb::LoadOptions o;
  CLI::App app{"tandem-load: bounded load against a Tandem server on loopback"};
  const std::map<std::string, absl::StatusOr<tb::Report> (*)(const tb::LoadOptions&)> modes = {
      {"update", tb::RunUpdate},
      {"create", tb::RunCreate},
      {"read", tb::RunRead},
      {"list", tb::RunList},
      {"watch-fanout", tb::RunWatchFanout},
      {"populate", tb::RunPopulate},
      {"ready", tb::RunReady}};
  std::vector<std::string> names;
  for (const auto& [name, fn] : modes) names.push_back(name);
  app.add_option("mode", o.mode, "what to measure")->required()->check(CLI::IsMember(names));
  app.add_option("--server", o.server, "host:port on loopback")->capture_default_str();
  app.add_option("--ca", o.tls.ca, "CA of the server's certificate (TLS)");
  app.add_option("--cert", o.tls.cert, "client certificate (mutual TLS)");
  app.add_option("--key", o.tls.key, "its key");
  app.add_flag("--plaintext", o.tls.plaintext, "no TLS (a server with [tls] plaintext = true)");
  app.add_option("--clients", o.clients, "logical clients (watchers for watch-fanout)")
      ->check(CLI::Range(1, 5000))
      ->capture_default_str();
  app.add_option("--duration", o.duration_s, "measured seconds (closed-loop modes)")
      ->check(CLI::Range(0.1, 120.0))
      ->capture_default_str();
  app.add_option("--warmup", o.warmup_s, "unmeasured seconds before measuring")
      ->check(CLI::Range(0.0, 30.0))
      ->capture_default_str();
  app.add_option("--count", o.count,
                 "read: objects to pre-create (10000); populate: Applications (100000); "
                 "watch-fanout: updates (20); list: expected Applications (0 = no check)")
      ->check(CLI::Range(int64_t{0}, int64_t{5'000'000}));
  app.add_option("--batch", o.batch, "creates per Transaction")
      ->check(CLI::Range(1, 20000))
      ->capture_default_str();
  app.add_option("--repeat", o.repeat, "list: full listings to time")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--timeout", o.timeout_s, "ready: seconds to wait for the server")
      ->check(CLI::Range(0.1, 300.0))
      ->capture_default_str();
  app.add_option("--app-name", o.app_name, "application_name given to Register")
      ->capture_default_str();
  app.add_option("--folder", o.folder,
                 "folder DBID the objects it creates go into (a caller with grants there, not "
                 "an administrator, exercises the permission checks)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--json", o.json, "also print the result as one JSON line on stdout");
  CLI11_PARSE(app, argc, argv);

  if (!IsLoopback(o.server)) {
    std::cerr << "tandem-load: --server must be a loopback address (127.0.0.0/8, localhost, "
                 "[::1]) with a port, got '"
              << o.server << "'\n";
    return 2;
  }
  auto cpu_seconds = [] {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
  };
  tb::SetObjectFolder(o.folder);
  double cpu_before = cpu_seconds();
  absl::StatusOr<tb::Report> report = modes.at(o.mode)(o);
  if (!report.ok()) {
    std::cerr << "tandem-load " << o.mode << ": " << report.status() << "\n";
    return 1;
  }
  // Includes set-up; on a shared 2-core machine it shows what the generator took away.
  report->Set("client_cpu_s", cpu_seconds() - cpu_before);
  report->Print(o.json);
  return 0;
}
