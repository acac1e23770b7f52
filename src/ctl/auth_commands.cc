// login, logout, whoami, passwd, auth bootstrap: who tandemctl is to the
// servers. A login's session token is kept in the token file (mode 0600;
// TANDEM_TOKEN_FILE, default ~/.config/tandem/token) or given as TANDEM_TOKEN,
// and sent with every call.
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "config/object_json.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/lookup.h"

namespace tandem::ctl {
namespace {

struct AuthArgs {
  std::string user;
  std::string tenant;
  bool password_stdin = false;
  std::string secret_file;
};

//! Reads a line from stdin (--password-stdin) or asks on the terminal
//! without echo.
absl::StatusOr<std::string> ReadPassword(CommandContext& ctx, const AuthArgs& args,
                                         const std::string& prompt) {
  std::string line;
  if (args.password_stdin) {
    if (!std::getline(ctx.in(), line)) {
      return UsageError("--password-stdin: no line on stdin");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  FILE* tty = std::fopen("/dev/tty", "r+");
  if (tty == nullptr) {
    return UsageError(
        "no terminal to ask for the password on: give it on stdin with "
        "--password-stdin");
  }
  termios old{};
  const int fd = fileno(tty);
  const bool got = tcgetattr(fd, &old) == 0;
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  if (got) tcsetattr(fd, TCSAFLUSH, &quiet);
  std::fputs(prompt.c_str(), tty);
  std::fflush(tty);
  char buf[1100];
  const bool read = std::fgets(buf, sizeof buf, tty) != nullptr;
  if (got) tcsetattr(fd, TCSAFLUSH, &old);
  std::fputs("\n", tty);
  std::fclose(tty);
  if (!read) return UsageError("no password given");
  line = buf;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

//! A new password, asked twice on a terminal.
absl::StatusOr<std::string> ReadNewPassword(CommandContext& ctx, const AuthArgs& args) {
  TANDEM_ASSIGN_OR_RETURN(std::string first, ReadPassword(ctx, args, "New password: "));
  if (args.password_stdin) return first;
  TANDEM_ASSIGN_OR_RETURN(std::string second, ReadPassword(ctx, args, "Again: "));
  if (first != second) return UsageError("the two passwords differ; nothing was changed");
  return first;
}

absl::Status WriteTokenFile(const std::string& path, const std::string& token) {
  const size_t slash = path.rfind('/');
  if (slash != std::string::npos) {
    std::string dir = path.substr(0, slash);
    // ~/.config and ~/.config/tandem, private.
    for (size_t at = 1; at != std::string::npos; at = dir.find('/', at + 1)) {
      mkdir(dir.substr(0, at).c_str(), 0700);
    }
    mkdir(dir.c_str(), 0700);
  }
  const std::string tmp = path + ".tmp";
  {
    const mode_t old = umask(077);
    std::ofstream out(tmp, std::ios::trunc);
    umask(old);
    out << token << "\n";
    if (!out.flush()) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
    }
  }
  chmod(tmp.c_str(), 0600);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status RunLogin(CommandContext& ctx, const AuthArgs& args) {
  const std::string user = args.user.empty() ? ctx.options().os_user : args.user;
  if (user.empty() || user.find(' ') != std::string::npos) {
    return UsageError("give the user name with --user");
  }
  TANDEM_ASSIGN_OR_RETURN(std::string password,
                          ReadPassword(ctx, args, absl::StrCat("Password for ", user, ": ")));
  v1::RegisterRequest credentials;
  credentials.set_user_name(user);
  credentials.set_password(password);
  if (!args.tenant.empty()) {
    int64_t dbid = 0;
    if (absl::SimpleAtoi(args.tenant, &dbid)) {
      credentials.set_tenant_dbid(dbid);
    } else {
      credentials.set_tenant_name(args.tenant);
    }
  }
  TANDEM_ASSIGN_OR_RETURN(v1::RegisterResponse r, ctx.LoginWith(credentials));
  if (r.token().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("server ", ctx.options().server,
                     " runs with authentication off: there is nothing to log in to"));
  }
  const std::string file = TokenFile();
  TANDEM_RETURN_IF_ERROR(WriteTokenFile(file, r.token()));
  const absl::Time expires = absl::FromUnixSeconds(r.token_expires().seconds());
  if (ctx.options().output == OutputFormat::kJson) {
    nlohmann::json out = {
        {"identity", r.identity()},
        {"administrator", r.administrator()},
        {"expires", absl::FormatTime(absl::RFC3339_sec, expires, absl::UTCTimeZone())},
        {"token_file", file}};
    ctx.out() << config::DumpJson(out, 2) << "\n";
    return absl::OkStatus();
  }
  ctx.out() << "logged in as " << r.identity() << (r.administrator() ? " (administrator)" : "")
            << " until " << absl::FormatTime("%Y-%m-%d %H:%M UTC", expires, absl::UTCTimeZone())
            << "; the session token is in " << file << " (mode 0600)\n";
  return absl::OkStatus();
}

absl::Status RunLogout(CommandContext& ctx, const AuthArgs&) {
  const std::string file = TokenFile();
  if (std::remove(file.c_str()) != 0) {
    if (errno == ENOENT) {
      ctx.out() << "not logged in (no " << file << ")\n";
      return absl::OkStatus();
    }
    return absl::PermissionDeniedError(
        absl::StrCat("cannot remove ", file, ": ", std::strerror(errno)));
  }
  ctx.out() << "logged out: removed " << file
            << " (`tandemctl passwd` ends every session of a person at once)\n";
  return absl::OkStatus();
}

absl::Status RunWhoami(CommandContext& ctx, const AuthArgs&) {
  TANDEM_ASSIGN_OR_RETURN(v1::RegisterResponse r, ctx.Registration());
  if (ctx.options().output == OutputFormat::kJson) {
    nlohmann::json out = {{"identity", r.identity()},
                          {"administrator", r.administrator()},
                          {"server", ctx.options().server}};
    ctx.out() << config::DumpJson(out, 2) << "\n";
    return absl::OkStatus();
  }
  ctx.out() << r.identity() << (r.administrator() ? " (administrator)" : "") << " at "
            << ctx.options().server << "\n";
  return absl::OkStatus();
}

absl::Status RunPasswd(CommandContext& ctx, const AuthArgs& args) {
  v1::SetPasswordRequest request;
  if (!args.user.empty()) {
    request.set_user_name(args.user);
    if (!args.tenant.empty()) {
      TANDEM_ASSIGN_OR_RETURN(int64_t tenant, ResolveTenant(ctx, args.tenant));
      request.set_tenant_dbid(tenant);
    }
  } else {
    TANDEM_ASSIGN_OR_RETURN(std::string current, ReadPassword(ctx, args, "Current password: "));
    request.set_current_password(current);
  }
  TANDEM_ASSIGN_OR_RETURN(std::string password, ReadNewPassword(ctx, args));
  request.set_new_password(password);
  TANDEM_ASSIGN_OR_RETURN(config::ConfigClient * client, ctx.Client());
  auto response = client->SetPassword(request);
  if (!response.ok()) {
    return ctx.Describe(response.status(), args.user.empty()
                                               ? "set your password"
                                               : absl::StrCat("set the password of ", args.user));
  }
  ctx.out() << "password set" << (args.user.empty() ? "" : absl::StrCat(" for ", args.user))
            << "; sessions opened before it end"
            << (args.user.empty() ? " (log in again: tandemctl login)" : "") << "\n";
  return absl::OkStatus();
}

absl::Status RunBootstrap(CommandContext& ctx, const AuthArgs& args) {
  if (args.user.empty()) return UsageError("give the administrator's user name with --user");
  std::ifstream in(args.secret_file);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read ", args.secret_file, ": ", std::strerror(errno),
                     "; it is on the master's host ([auth] bootstrap_file), readable by root"));
  }
  std::stringstream secret;
  secret << in.rdbuf();
  TANDEM_ASSIGN_OR_RETURN(std::string password, ReadNewPassword(ctx, args));
  v1::BootstrapRequest request;
  request.set_secret(std::string(absl::StripAsciiWhitespace(secret.str())));
  request.set_user_name(args.user);
  request.set_password(password);
  TANDEM_ASSIGN_OR_RETURN(config::ConfigClient * client, ctx.UnauthenticatedClient());
  auto response = client->Bootstrap(request);
  if (!response.ok()) return ctx.Describe(response.status(), "bootstrap");
  ctx.out() << "administrator " << args.user << " is ready (revision " << response->revision()
            << "); log in: tandemctl login --user " << args.user << "\n";
  return absl::OkStatus();
}

}  // namespace

std::string TokenFile() {
  if (const char* f = std::getenv("TANDEM_TOKEN_FILE"); f != nullptr && *f != '\0') return f;
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr && *home != '\0' ? home : "/root", "/.config/tandem/token");
}

void AddAuthCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto args = std::make_shared<AuthArgs>();
  auto on = [&ctx, args, action](CLI::App* cmd,
                                 absl::Status (*fn)(CommandContext&, const AuthArgs&)) {
    cmd->callback(
        [&ctx, args, action, fn] { *action = [&ctx, args, fn] { return fn(ctx, *args); }; });
  };
  CLI::App* login = app.add_subcommand(
      "login", "Log in with your password; the session token is kept for later commands");
  login->add_option("--user", args->user, "user name (default: your OS user)");
  login->add_option("--tenant", args->tenant, "your tenant (NAME|DBID), if you are in one");
  login->add_flag("--password-stdin", args->password_stdin,
                  "read the password from stdin (scripts), not the terminal");
  login->footer(
      "The token works at every server of the site (masters and proxies, both regions) until it\n"
      "expires ([auth] token_hours); it is kept in $TANDEM_TOKEN_FILE (default\n"
      "~/.config/tandem/token, mode 0600). TANDEM_TOKEN=... gives one for a single command.\n"
      "Examples:\n  tandemctl login --user alice\n"
      "  printf '%s\\n' \"$PW\" | tandemctl login --user ops --password-stdin");
  on(login, RunLogin);

  CLI::App* logout = app.add_subcommand("logout", "Forget the session token of `login`");
  logout->footer("Example:\n  tandemctl logout");
  on(logout, RunLogout);

  CLI::App* whoami = app.add_subcommand("whoami", "Who the server takes you for");
  whoami->footer("Examples:\n  tandemctl whoami\n  tandemctl --cert app.crt --key app.key whoami");
  on(whoami, RunWhoami);

  CLI::App* passwd = app.add_subcommand(
      "passwd", "Set your password (asks for the current one), or a person's as an administrator");
  passwd->add_option("USER", args->user, "the person's user name (default: yourself)");
  passwd->add_option("--tenant", args->tenant, "the person's tenant (NAME|DBID)");
  passwd->add_flag("--password-stdin", args->password_stdin,
                   "read the passwords from stdin, one a line (current first if asked)");
  passwd->footer(
      "The tenant's rules apply (password_min_length); every session of the person opened\n"
      "before ends. Examples:\n  tandemctl passwd\n  tandemctl passwd bob --tenant acme");
  on(passwd, RunPasswd);

  CLI::App* auth = app.add_subcommand("auth", "The first administrator, and recovering a lost one");
  auth->require_subcommand(1);
  auth->footer(
      "docs/SECURITY.md, \"Bootstrap and recovery\".\nExample:\n"
      "  tandemctl auth bootstrap --secret-file /etc/tandem/bootstrap.secret --user admin");
  CLI::App* bootstrap = auth->add_subcommand(
      "bootstrap",
      "Make USER an administrator with a new password, proving access to the master's host by "
      "the secret in its bootstrap file");
  bootstrap->add_option("--secret-file", args->secret_file, "the master's [auth] bootstrap_file")
      ->required();
  bootstrap->add_option("--user", args->user, "the administrator's user name")->required();
  bootstrap->add_flag("--password-stdin", args->password_stdin,
                      "read the new password from stdin, not the terminal");
  bootstrap->footer(
      "Run on the master's host. The server writes the secret at its first start (no\n"
      "administrator yet); for a lost administrator password, `tandemd confserv\n"
      "--new-bootstrap-secret -f FILE` writes a new one. The file is removed once used.\n"
      "Example:\n  tandemctl --server 127.0.0.1:9000 auth bootstrap --secret-file "
      "/etc/tandem/bootstrap.secret --user admin");
  on(bootstrap, RunBootstrap);
}

}  // namespace tandem::ctl
