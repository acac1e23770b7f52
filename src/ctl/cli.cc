#include "ctl/cli.h"

#include <map>

#include "CLI/CLI.hpp"
#include "ctl/commands.h"
#include "ctl/errors.h"

namespace tandem::ctl {

int RunCli(int argc, const char* const* argv, const ClientFactory& factory, std::istream& in,
           std::ostream& out, std::ostream& err) {
  CommandContext ctx(factory, in, out, err);
  GlobalOptions& options = ctx.options();

  CLI::App app("tandemctl: operate a Tandem configuration server", "tandemctl");
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(
      "Examples:\n  tandemctl status\n  tandemctl list app\n"
      "  tandemctl --server cs1:9000 -o json get host fw-p\n"
      "Run 'tandemctl COMMAND --help' for a command's options.");
  app.add_option("--server", options.server,
                 "server address host:port, or a pair host:port,host:port (the first that "
                 "answers and is not a backup master is used)")
      ->envname("TANDEM_SERVER")
      ->capture_default_str();
  std::string output = "table";
  app.add_option("-o,--output", output, "output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--app", options.app, "application name to register as (recorded as who)")
      ->envname("TANDEM_APP")
      ->capture_default_str();
  app.add_option("--timeout", options.timeout_s, "seconds to wait for each call")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  Action action;
  AddReadCommands(app, ctx, &action);
  AddWriteCommands(app, ctx, &action);
  AddTransferCommands(app, ctx, &action);
  AddChangeCommands(app, ctx, &action);
  AddStatusCommand(app, ctx, &action);
  AddDbCommands(app, ctx, &action);
  AddDnsCommands(app, ctx, &action);
  AddDrCommands(app, ctx, &action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    std::string where;
    for (const CLI::App* sub : app.get_subcommands()) where = " " + sub->get_name();
    err << "tandemctl: " << e.what() << "; run 'tandemctl" << where << " --help'\n";
    return 2;
  }
  options.output = output == "json" ? OutputFormat::kJson : OutputFormat::kTable;
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
