// tandem-sample: a managed application in miniature. It runs as the
// Application object named by --app, keeps its configuration through
// libtandem, and prints it live: once when it has it, again on every change
// to it, and every change of its connection's health.
//   tandem-sample --servers proxy1:9100,proxy2:9100 --app sample-app --ca ca.crt
//       --cert sample-app.crt --key sample-app.key
// Started by an LCA, it also links to it (libtandem's ControlLink):
// heartbeats, "Started" once its configuration is loaded, and the HA mode
// the SCS hands it, printed as it comes.
// With --log-servers (the region's Log Message Server pair) it also logs
// each configuration it receives as a network log event (message id 1001,
// level standard) through libtandem's Logger, and prints a line each time
// the Log Database has acknowledged more of them ("log: N of M event(s)
// acknowledged, K waiting"): what the lab's DR scenarios look for in the
// promoted Log Database.
// Stops on SIGINT/SIGTERM (or after --run-for seconds).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "config/object_json.h"
#include "tandem/client/control_link.h"
#include "tandem/client/log_client.h"
#include "tandem/client/tandem_client.h"

namespace v1 = tandem::config::v1;

namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

constexpr int64_t kConfigurationReceived = 1001;

// The Host object's name: TANDEM_HOST (set by the LCA that started it), or
// the hostname.
std::string HostName() {
  if (const char* h = std::getenv("TANDEM_HOST"); h != nullptr && *h != '\0') return h;
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "unknown";
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tandem-sample: prints its own configuration (an Application object) live"};
  std::string servers = "127.0.0.1:9000";
  std::string name = std::getenv("TANDEM_APPLICATION") != nullptr
                         ? std::getenv("TANDEM_APPLICATION")
                         : "sample-app";
  double run_for_s = 0;
  app.add_option("--servers", servers, "configuration servers, host:port[,host:port]")
      ->capture_default_str();
  app.add_option("--app", name, "the Application this program runs as")->capture_default_str();
  app.add_option("--run-for", run_for_s, "stop after this many seconds (0: until a signal)");
  tandem::TlsFiles tls;
  app.add_option("--ca", tls.ca, "CA certificate the servers' must be signed by")
      ->envname("TANDEM_CA");
  app.add_option("--cert", tls.cert, "this application's certificate (CN = --app)")
      ->envname("TANDEM_CERT");
  app.add_option("--key", tls.key, "its key")->envname("TANDEM_KEY");
  app.add_flag("--plaintext", tls.plaintext, "no TLS (servers with [tls] plaintext = true)")
      ->envname("TANDEM_PLAINTEXT");
  std::string log_servers;
  app.add_option("--log-servers", log_servers,
                 "the Log Message Server pair, host:port[,host:port]: each configuration "
                 "received is logged there (message id 1001)")
      ->envname("TANDEM_LOG_SERVERS");
  CLI11_PARSE(app, argc, argv);
  if (!tls.plaintext && tls.ca.empty()) {
    std::cerr << "tandem-sample: give --ca FILE (the CA of the servers' certificates) or "
                 "--plaintext\n";
    return 2;
  }

  // Started by an LCA: heartbeats, status and HA mode through it.
  std::unique_ptr<tandem::client::ControlLink> link;
  if (auto lca = tandem::client::ControlLink::FromEnvironment(); lca.ok()) {
    link = tandem::client::ControlLink::Start(*lca, [](tandem::client::HaMode mode, int64_t epoch) {
      std::cout << "[" << tandem::config::FormatRfc3339(absl::Now())
                << "] mode: " << tandem::client::HaModeName(mode) << " (epoch " << epoch << ")"
                << std::endl;
    });
    link->Report(tandem::client::AppStatus::kInitializing, "loading its configuration");
  }

  std::unique_ptr<tandem::client::Logger> logger;
  if (!log_servers.empty()) {
    tandem::client::LoggerOptions lo;
    lo.servers = absl::StrSplit(log_servers, ',', absl::SkipEmpty());
    lo.tls = tls;
    lo.claimed = name;
    lo.host = HostName();
    logger = std::make_unique<tandem::client::Logger>(std::move(lo));
  }

  tandem::client::ClientOptions options;
  options.servers = absl::StrSplit(servers, ',', absl::SkipEmpty());
  options.application = name;
  options.types = {v1::OBJECT_TYPE_APPLICATION};
  options.tls = tls;
  auto print = [&](const char* why, const v1::ConfigObject& me, int64_t revision) {
    const std::string line = std::string(why) + " (revision " + std::to_string(revision) +
                             "): " + tandem::config::DumpJson(tandem::config::ObjectToJson(me));
    std::cout << "[" << tandem::config::FormatRfc3339(absl::Now()) << "] " << line << std::endl;
    if (logger != nullptr) {
      absl::StatusOr<std::string> id =
          logger->Log(tandem::client::LogLevel::kStandard, kConfigurationReceived, line);
      if (!id.ok()) std::cout << "log: not logged: " << id.status().message() << std::endl;
    }
  };
  auto client = tandem::client::TandemClient::Start(
      options,
      [&](const tandem::client::ObjectChange& c) {
        if (c.object.name() != name) return;
        if (c.kind == v1::CHANGE_KIND_DELETED) {
          std::cout << "my Application '" << name << "' was deleted at revision " << c.revision
                    << std::endl;
        } else {
          print("my configuration changed", c.object, c.revision);
        }
      },
      [](const tandem::client::ClientState& s) {
        std::cout << "connection: " << tandem::client::HealthName(s.health) << " via " << s.server
                  << (s.detail.empty() ? "" : ": " + s.detail) << std::endl;
      });
  if (!client.ok()) {
    std::cerr << "tandem-sample: " << client.status().message() << "\n";
    return 2;
  }
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  if ((*client)->WaitReady(absl::Seconds(30))) {
    auto me = (*client)->Find(v1::OBJECT_TYPE_APPLICATION, name);
    if (me.has_value()) {
      print("my configuration", *me, (*client)->state().revision);
      if (link != nullptr) link->Report(tandem::client::AppStatus::kStarted);
    } else {
      std::cout << "no Application named '" << name << "' yet; waiting for it" << std::endl;
    }
  } else {
    std::cout << "no configuration server answered within 30 s; still trying" << std::endl;
  }
  const absl::Time until = absl::Now() + absl::Seconds(run_for_s);
  int64_t acknowledged = 0;
  while (!g_stop && (run_for_s <= 0 || absl::Now() < until)) {
    absl::SleepFor(absl::Milliseconds(50));
    if (logger == nullptr) continue;
    const tandem::client::LoggerStats st = logger->stats();
    if (st.acknowledged != acknowledged) {
      acknowledged = st.acknowledged;
      std::cout << "[" << tandem::config::FormatRfc3339(absl::Now()) << "] log: " << st.acknowledged
                << " of " << st.logged << " event(s) acknowledged, " << st.buffered
                << " waiting (via " << st.server << ")" << std::endl;
    }
  }
  if (link != nullptr) link->Stop();
  (*client)->Stop();
  return 0;
}
