#include "ctl/cli.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "CLI/CLI.hpp"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/help.h"

namespace tandem::ctl {
namespace {

//! The operator's OS user: under sudo, the user who ran sudo.
std::string OsUser() {
  const char* sudo = std::getenv("SUDO_USER");
  if (getuid() == 0 && sudo != nullptr && *sudo != '\0') return std::string(sudo) + " (sudo)";
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr) return pw->pw_name;
  return std::to_string(getuid());
}

//! Whether `flag` is on the command line itself (CLI11 counts values from
//! the environment too).
bool OnCommandLine(int argc, const char* const* argv, const std::string& flag) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") return false;
    if (arg == flag || arg.rfind(flag + "=", 0) == 0) return true;
  }
  return false;
}

std::string OsHost() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

}  // namespace

int RunCli(int argc, const char* const* argv, const ClientFactory& factory, std::istream& in,
           std::ostream& out, std::ostream& err) {
  return RunCli(argc, argv, factory, ScsClientFactory(), in, out, err);
}

int RunCli(int argc, const char* const* argv, const ClientFactory& factory,
           const ScsClientFactory& scs, std::istream& in, std::ostream& out, std::ostream& err) {
  CommandContext ctx(factory, in, out, err);
  GlobalOptions& options = ctx.options();

  CLI::App app(
      "tandemctl: operate Tandem: its configuration servers and proxies, the applications its "
      "SCSs control, their DBMS, DNS and disaster recovery",
      "tandemctl");
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", std::string("tandemctl ") + TANDEM_VERSION);
  CLI::Option* server =
      app.add_option("--server", options.server,
                     "configuration server (or proxy) host:port, or a pair host:port,host:port "
                     "(the first that answers and is not a backup master is used)")
          ->envname("TANDEM_SERVER")
          ->type_name("HOST:PORT")
          ->capture_default_str();
  std::string output = "table";
  app.add_option("-o,--output", output, "output format: table or json")
      ->transform(CLI::IsMember({"table", "json"}, CLI::ignore_case))
      ->type_name("FORMAT")
      ->capture_default_str();
  app.add_option("--app", options.app, "application name to register as (recorded as who)")
      ->envname("TANDEM_APP")
      ->type_name("NAME")
      ->capture_default_str();
  app.add_option("--ca", options.tls.ca,
                 "CA certificate the server's must be signed by (default: "
                 "~/.config/tandem/ca.crt, else /etc/tandem/pki/ca.crt)")
      ->envname("TANDEM_CA")
      ->type_name("FILE");
  app.add_option("--cert", options.tls.cert, "client certificate (mutual TLS; with --key)")
      ->envname("TANDEM_CERT")
      ->type_name("FILE");
  app.add_option("--key", options.tls.key, "the client certificate's key")
      ->envname("TANDEM_KEY")
      ->type_name("FILE");
  app.add_flag("--plaintext", options.tls.plaintext,
               "no TLS: for a server whose bootstrap file says [tls] plaintext = true (--ca, "
               "--cert and --key are then ignored)")
      ->envname("TANDEM_PLAINTEXT");
  CLI::Option* timeout = app.add_option("--timeout", options.timeout_s,
                                        "seconds to wait for each call to a configuration server")
                             ->check(PositiveSeconds(86400))
                             ->type_name("SECONDS")
                             ->capture_default_str();

  Action action;
  AddReadCommands(app, ctx, &action);
  AddWriteCommands(app, ctx, &action);
  AddGrantCommands(app, ctx, &action);
  AddTransferCommands(app, ctx, &action);
  AddChangeCommands(app, ctx, &action);
  AddStatusCommand(app, ctx, &action);
  AddDbCommands(app, ctx, &action);
  AddDnsCommands(app, ctx, &action);
  AddDrCommands(app, ctx, &action);
  AddScsCommands(app, ctx, scs, &action);
  AddLogCommands(app, ctx, &action);
  AddBusCommands(app, ctx, &action);
  AddPkiCommands(app, ctx, &action);
  AddAuthCommands(app, ctx, &action);
  AddToolCommands(app, ctx, &action);
  // Set after the commands were added: CLI11 copies a parent's footer into
  // each new subcommand, and every command has examples of its own.
  app.footer(
      "Examples:\n  tandemctl status\n  tandemctl list app\n"
      "  tandemctl --server cs1:9000 -o json get host fw-p\n"
      "  tandemctl watch app\n"
      "Run 'tandemctl COMMAND --help' for a command's options and examples.");
  AddGlobalOptionsToHelp(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --help-all, --version
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    err << ParseErrorLine(app, e, argc, argv) << "\n";
    return 2;
  }
  options.output = output == "json" ? OutputFormat::kJson : OutputFormat::kTable;
  options.server_given = server->count() > 0 && OnCommandLine(argc, argv, "--server");
  options.timeout_given = timeout->count() > 0 && OnCommandLine(argc, argv, "--timeout");
  options.os_user = OsUser();
  options.os_host = OsHost();
  if (!action) {
    err << "tandemctl: no command given; run 'tandemctl --help'\n";
    return 2;
  }
  absl::Status status = action();
  out.flush();
  if (!status.ok()) err << "tandemctl: " << status.message() << "\n";
  return ExitCode(status);
}

}  // namespace tandem::ctl
