// version and completion: about tandemctl itself.
#include <memory>

#include "absl/strings/str_cat.h"
#include "config/object_json.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/help.h"

namespace tandem::ctl {
namespace {

absl::Status RunVersion(CommandContext& ctx) {
  // The server's version too, when one answers; a version command must
  // not fail because no server runs.
  std::string server_version, server_error;
  absl::StatusOr<config::ConfigClient*> client = ctx.Client();
  if (client.ok()) {
    auto info = (*client)->GetServerInfo();
    if (info.ok()) {
      server_version = info->version();
    } else {
      server_error = ShortReason(info.status());
    }
  } else {
    server_error = std::string(client.status().message());
  }
  if (ctx.options().output == OutputFormat::kJson) {
    nlohmann::json out = {{"tandemctl", TANDEM_VERSION}, {"server", ctx.options().server}};
    if (!server_version.empty()) {
      out["server_version"] = server_version;
    } else {
      out["server_error"] = server_error;
    }
    ctx.out() << config::DumpJson(out, 2) << "\n";
    return absl::OkStatus();
  }
  ctx.out() << "tandemctl " << TANDEM_VERSION << "\n";
  if (!server_version.empty()) {
    ctx.out() << "server " << ctx.options().server << ": tandemd " << server_version << "\n";
  } else {
    ctx.out() << "server " << ctx.options().server << ": not reachable (" << server_error << ")\n";
  }
  return absl::OkStatus();
}

}  // namespace

void AddToolCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  CLI::App* version =
      app.add_subcommand("version", "Show tandemctl's version and the server's (if it answers)");
  version->footer("Examples:\n  tandemctl version\n  tandemctl --version   (tandemctl's only)");
  version->callback([&ctx, action] { *action = [&ctx] { return RunVersion(ctx); }; });

  auto shell = std::make_shared<std::string>();
  CLI::App* completion =
      app.add_subcommand("completion", "Print a shell completion script (bash or zsh)");
  completion->add_option("SHELL", *shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  completion->footer(
      "Examples:\n"
      "  source <(tandemctl completion bash)                      # this shell\n"
      "  tandemctl completion bash > /etc/bash_completion.d/tandemctl\n"
      "  tandemctl completion zsh > \"${fpath[1]}/_tandemctl\"      # zsh, then compinit");
  completion->callback([&ctx, action, shell, &app] {
    *action = [&ctx, shell, &app] {
      ctx.out() << CompletionScript(app, *shell);
      return absl::OkStatus();
    };
  });
}

}  // namespace tandem::ctl
