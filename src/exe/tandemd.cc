// tandemd ROLE -f FILE.toml: every Tandem server role in one executable.
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/synchronization/mutex.h"
#include "auth/auth_config.h"
#include "common/logging.h"
#include "confserv/confserv_app.h"
#include "confserv/server_config.h"
#include "console/console_app.h"
#include "console/console_config.h"
#include "csproxy/csproxy_app.h"
#include "csproxy/proxy_config.h"
#include "lca/lca_app.h"
#include "lca/lca_config.h"
#include "msg/msg_config.h"
#include "msg/msgserver_app.h"
#include "net/grpc_logs.h"
#include "scs/scs_app.h"
#include "scs/scs_config.h"

namespace {

// The start of every role but confserv: the example, the bootstrap file,
// logging, signals, then the role until it stops.
template <typename Config>
int RunRole(const char* role, const std::string& file, bool example,
            std::string (*example_config)(), absl::StatusOr<Config> (*load)(const std::string&),
            const std::function<absl::Status(const Config&)>& run) {
  if (example) {
    std::cout << example_config();
    return 0;
  }
  if (file.empty()) {
    std::cerr << "tandemd " << role << ": give the bootstrap file with -f FILE.toml (`tandemd "
              << role << " --example-config` prints one)\n";
    return 2;
  }
  absl::StatusOr<Config> config = load(file);
  if (!config.ok()) {
    std::cerr << "tandemd " << role << ": " << config.status().message() << "\n";
    return 2;
  }
  if (auto st = tandem::InitLogging(config->log_level, config->log_file); !st.ok()) {
    std::cerr << "tandemd " << role << ": " << st.message() << "\n";
    return 2;
  }
  tandem::net::SendGrpcLogsToSpdlog();
  tandem::confserv::BlockTerminationSignals();
  if (auto st = run(*config); !st.ok()) {
    std::cerr << "tandemd " << role << ": " << st.message() << "\n";
    return 1;
  }
  return 0;
}

int RunCsProxyCommand(const std::string& file, bool example) {
  return RunRole<tandem::csproxy::ProxyConfig>(
      "csproxy", file, example, &tandem::csproxy::ExampleProxyConfig,
      &tandem::csproxy::LoadProxyConfig,
      [](const tandem::csproxy::ProxyConfig& c) { return tandem::csproxy::RunCsProxy(c); });
}

int RunLcaCommand(const std::string& file, bool example, const char* argv0) {
  return RunRole<tandem::lca::LcaConfig>(
      "lca", file, example, &tandem::lca::ExampleLcaConfig, &tandem::lca::LoadLcaConfig,
      [argv0](const tandem::lca::LcaConfig& c) {
        std::error_code ec;
        std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
        if (ec) self = argv0;
        return tandem::lca::RunLca(c, self.parent_path().string());
      });
}

int RunScsCommand(const std::string& file, bool example) {
  return RunRole<tandem::scs::ScsConfig>(
      "scs", file, example, &tandem::scs::ExampleScsConfig, &tandem::scs::LoadScsConfig,
      [](const tandem::scs::ScsConfig& c) { return tandem::scs::RunScs(c); });
}

int RunMsgServerCommand(const std::string& file, bool example) {
  return RunRole<tandem::msg::MsgConfig>(
      "msgserver", file, example, &tandem::msg::ExampleMsgConfig, &tandem::msg::LoadMsgConfig,
      [](const tandem::msg::MsgConfig& c) { return tandem::msg::RunMsgServer(c); });
}

int RunConsoleCommand(const std::string& file, bool example) {
  return RunRole<tandem::console::ConsoleConfig>(
      "console", file, example, &tandem::console::ExampleConsoleConfig,
      &tandem::console::LoadConsoleConfig,
      [](const tandem::console::ConsoleConfig& c) { return tandem::console::RunConsole(c); });
}

}  // namespace

int main(int argc, char** argv) {
  // Lock-order cycle detection costs a graph update per lock; the order is
  // checked in tests (debug builds), not on every production lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"tandemd: Tandem server roles. Run `tandemd ROLE --help` for a role's options."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(TANDEM_VERSION));
  auto* confserv = app.add_subcommand(
      "confserv", "master Configuration Server (owns the Configuration Database)");
  std::string file;
  bool example = false;
  confserv->add_option("-f,--file", file, "bootstrap file (TOML)")->check(CLI::ExistingFile);
  confserv->add_flag("--example-config", example, "print a commented bootstrap file and exit");
  bool new_secret = false;
  confserv->add_flag("--new-bootstrap-secret", new_secret,
                     "write a new secret to [auth] bootstrap_file and exit (recovery of a lost "
                     "administrator password; the running server takes it at once)");
  confserv->footer(
      "Example:\n  tandemd confserv --example-config > confserv.toml\n"
      "  tandemd confserv -f confserv.toml");
  auto* csproxy = app.add_subcommand(
      "csproxy",
      "Configuration Server Proxy (in-memory copy of the master's configuration; serves reads "
      "and watches, forwards writes; limited mode while no master is reachable)");
  csproxy->add_option("-f,--file", file, "bootstrap file (TOML)")->check(CLI::ExistingFile);
  csproxy->add_flag("--example-config", example, "print a commented bootstrap file and exit");
  csproxy->footer(
      "Example:\n  tandemd csproxy --example-config > csproxy.toml\n"
      "  tandemd csproxy -f csproxy.toml");
  auto* lca = app.add_subcommand(
      "lca",
      "Local Control Agent (starts, stops and watches this host's applications as the SCS that "
      "owns the host commands; re-adopts them after its own restart)");
  lca->add_option("-f,--file", file, "bootstrap file (TOML)")->check(CLI::ExistingFile);
  lca->add_flag("--example-config", example, "print a commented bootstrap file and exit");
  lca->footer(
      "Example:\n  tandemd lca --example-config > lca.toml\n"
      "  tandemd lca -f lca.toml\n"
      "Stopping the LCA leaves its applications running; the next LCA re-adopts them.");
  auto* scs = app.add_subcommand(
      "scs",
      "Solution Control Server (autostart, restarts, HA pairs of the hosts it owns, through "
      "their LCAs; follows the master Configuration Servers)");
  scs->add_option("-f,--file", file, "bootstrap file (TOML)")->check(CLI::ExistingFile);
  scs->add_flag("--example-config", example, "print a commented bootstrap file and exit");
  scs->footer("Example:\n  tandemd scs --example-config > scs.toml\n  tandemd scs -f scs.toml");
  auto* msgserver = app.add_subcommand(
      "msgserver",
      "Message Server (publish/subscribe over named channels for the SCSs and applications; one "
      "of an HA pair whose backup keeps a copy and takes over; follows the masters)");
  msgserver->add_option("-f,--file", file, "bootstrap file (TOML)")->check(CLI::ExistingFile);
  msgserver->add_flag("--example-config", example, "print a commented bootstrap file and exit");
  msgserver->footer(
      "Example:\n  tandemd msgserver --example-config > msgserver.toml\n"
      "  tandemd msgserver -f msgserver.toml\n"
      "Who may subscribe (read) and publish (execute) is granted on its Application.");
  auto* console = app.add_subcommand(
      "console",
      "operator's browser console over HTTPS (configuration: browse, edit, history, live "
      "updates); persons "
      "log in with their own passwords and see and change only what the servers allow");
  console->add_option("-f,--file", file, "bootstrap file (TOML)")->check(CLI::ExistingFile);
  console->add_flag("--example-config", example, "print a commented bootstrap file and exit");
  console->footer(
      "Example:\n  tandemd console --example-config > console.toml\n"
      "  tandemd console -f console.toml    # then open https://HOST:PORT/ in a browser");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One exit status for every start-up error (CLI11's own are 100+).
    std::string role;
    for (const CLI::App* sub : app.get_subcommands()) role = " " + sub->get_name();
    std::cerr << "tandemd" << role << ": " << e.what() << "; run 'tandemd" << role << " --help'"
              << (role.empty() ? "" : " (--example-config prints a bootstrap file)") << "\n";
    return 2;
  }

  if (csproxy->parsed()) return RunCsProxyCommand(file, example);
  if (lca->parsed()) return RunLcaCommand(file, example, argv[0]);
  if (scs->parsed()) return RunScsCommand(file, example);
  if (msgserver->parsed()) return RunMsgServerCommand(file, example);
  if (console->parsed()) return RunConsoleCommand(file, example);
  if (example) {
    std::cout << tandem::confserv::ExampleServerConfig();
    return 0;
  }
  if (file.empty()) {
    std::cerr << "tandemd confserv: give the bootstrap file with -f FILE.toml "
                 "(`tandemd confserv --example-config` prints one)\n";
    return 2;
  }
  auto config = tandem::confserv::LoadServerConfig(file);
  if (!config.ok()) {
    std::cerr << "tandemd confserv: " << config.status().message() << "\n";
    return 2;
  }
  if (new_secret) {
    if (auto st = tandem::auth::WriteBootstrapSecret(config->bootstrap_file); !st.ok()) {
      std::cerr << "tandemd confserv: " << st.message() << "\n";
      return 1;
    }
    std::cout << "wrote a new bootstrap secret to " << config->bootstrap_file
              << " (mode 0600). Now run, on this host:\n  tandemctl auth bootstrap --secret-file "
              << config->bootstrap_file
              << " --user USER\nto give USER a new password and make it an administrator; the file "
                 "is removed once used.\n";
    return 0;
  }
  if (auto st = tandem::InitLogging(config->log_level, config->log_file); !st.ok()) {
    std::cerr << "tandemd confserv: " << st.message() << "\n";
    return 2;
  }
  tandem::net::SendGrpcLogsToSpdlog();
  tandem::confserv::BlockTerminationSignals();
  if (auto st = tandem::confserv::RunConfServ(*config); !st.ok()) {
    std::cerr << "tandemd confserv: " << st.message() << "\n";
    return 1;
  }
  return 0;
}
