// Standbys: create (pg_basebackup -R) and rebuild (pg_rewind or a new base
// backup) — see dbadmin.h.
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/subprocess.h"
#include "dbadmin/dbadmin.h"
#include "tandem/storage/pg_admin.h"

namespace tandem::dbadmin {
namespace {

namespace fs = std::filesystem;
namespace pgadmin = storage::pgadmin;

void Say(const Tools& tools, const std::string& line) {
  if (tools.progress) tools.progress(line);
}

std::string Tool(const Tools& tools, const std::string& name) {
  return absl::StrCat(tools.bin_dir, "/", name);
}

SubprocessOptions AsOwner(const Tools& tools, absl::Duration timeout) {
  SubprocessOptions o;
  o.as_user = tools.os_user;
  o.timeout = timeout;
  o.pass_stderr = tools.tool_progress;
  return o;
}

absl::Status ValidName(const std::string& name) {
  if (name.empty() || name.size() > 63 ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("standby name '", name,
                     "' must be 1-63 lowercase letters, digits or '_' (it becomes the "
                     "application_name in synchronous_standby_names)"));
  }
  return absl::OkStatus();
}

// The conninfo the standby streams with: the primary's plus its name.
std::string WithApplicationName(const std::string& conninfo, const std::string& name) {
  if (absl::StartsWith(conninfo, "postgres://") || absl::StartsWith(conninfo, "postgresql://")) {
    return absl::StrCat(conninfo, absl::StrContains(conninfo, "?") ? "&" : "?",
                        "application_name=", name);
  }
  return absl::StrCat(conninfo, " application_name=", name);
}

bool IsEmptyDir(const std::string& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && fs::is_empty(dir, ec);
}

// Creates the directory (mode 0700, owned by the tools' user when root).
absl::Status MakeDataDir(const std::string& dir, const Tools& tools) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create ", dir, ": ", std::strerror(errno), " (its parent directory must exist)"));
  }
  chmod(dir.c_str(), 0700);
  if (geteuid() == 0) {
    const passwd* pw = getpwnam(tools.os_user.c_str());
    if (pw == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("no user '", tools.os_user, "' to own ", dir, " (give --os-user)"));
    }
    if (chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot give ", dir, " to ", tools.os_user, ": ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

void EmptyDir(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) fs::remove_all(entry.path(), ec);
}

absl::Status AppendAutoConf(const std::string& dir, const std::string& lines) {
  const std::string path = dir + "/postgresql.auto.conf";
  std::ofstream f(path, std::ios::app);
  f << lines;
  f.close();
  if (!f) return absl::InternalError(absl::StrCat("cannot append to ", path));
  return absl::OkStatus();
}

bool PostmasterRunning(const std::string& dir, const Tools& tools) {
  auto r =
      RunSubprocess({Tool(tools, "pg_ctl"), "status", "-D", dir}, AsOwner(tools, absl::Minutes(1)));
  return r.ok() && r->exit_code == 0;
}

absl::Status CheckPrimary(const std::string& conninfo) {
  absl::StatusOr<pgadmin::ServerState> primary = pgadmin::Probe(conninfo);
  if (!primary.ok()) {
    return absl::Status(primary.status().code(),
                        absl::StrCat("the primary: ", primary.status().message()));
  }
  if (primary->in_recovery) {
    return absl::FailedPreconditionError(absl::StrCat(
        primary->endpoint, " is a standby, not a primary: give the primary's conninfo"));
  }
  return absl::OkStatus();
}

// The primary applies a new synchronous_standby_names a moment after the
// reload: done once the standby is its synchronous one.
absl::Status WaitSynchronous(const StandbySpec& spec) {
  return pgadmin::WaitForStandby(spec.primary_conninfo, spec.name, absl::Seconds(30),
                                 /*synchronous=*/true)
      .status();
}

// Starts the standby, waits for it to stream and makes it synchronous if asked.
absl::Status StartAndAttach(const StandbySpec& spec, const Tools& tools) {
  if (!spec.start) {
    Say(tools, absl::StrCat("not started (--no-start): start it with `pg_ctl -D ", spec.data_dir,
                            " start`",
                            spec.synchronous ? "; then run this command's sync step: "
                                               "ALTER SYSTEM SET synchronous_standby_names"
                                             : ""));
    return absl::OkStatus();
  }
  std::vector<std::string> argv = {Tool(tools, "pg_ctl"),          "-D", spec.data_dir, "-l",
                                   spec.data_dir + "/startup.log", "-w", "-t",          "120"};
  if (!spec.start_options.empty()) {
    argv.push_back("-o");
    argv.push_back(spec.start_options);
  }
  argv.push_back("start");
  Say(tools, "starting the standby");
  absl::StatusOr<std::string> started = RunChecked(argv, AsOwner(tools, absl::Minutes(3)));
  if (!started.ok()) {
    return absl::Status(started.status().code(),
                        absl::StrCat(started.status().message(), "; see ", spec.data_dir,
                                     "/startup.log and the server log"));
  }
  Say(tools, absl::StrCat("waiting for '", spec.name, "' to stream from the primary"));
  TANDEM_ASSIGN_OR_RETURN(
      std::string sync_state,
      pgadmin::WaitForStandby(spec.primary_conninfo, spec.name, absl::Minutes(2)));
  if (!spec.synchronous) return absl::OkStatus();
  TANDEM_ASSIGN_OR_RETURN(std::string current,
                          pgadmin::ShowSetting(spec.primary_conninfo, "synchronous_standby_names"));
  std::vector<std::string> names = pgadmin::SyncStandbyNames(current);
  for (const std::string& n : names) {
    if (n == spec.name) return WaitSynchronous(spec);  // already listed
  }
  if (absl::StrContains(current, "(")) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the primary's synchronous_standby_names is '", current, "' (a FIRST/ANY list): add '",
        spec.name, "' to it yourself with ALTER SYSTEM"));
  }
  names.push_back(spec.name);
  const std::string value = absl::StrJoin(names, ", ");
  Say(tools, absl::StrCat("primary: synchronous_standby_names = '", value, "'"));
  TANDEM_RETURN_IF_ERROR(
      pgadmin::SetSystemSetting(spec.primary_conninfo, "synchronous_standby_names", value));
  return WaitSynchronous(spec);
}

absl::Status BaseBackup(const StandbySpec& spec, const Tools& tools) {
  Say(tools, absl::StrCat("copying the primary into ", spec.data_dir, " (pg_basebackup)"));
  std::vector<std::string> argv = {Tool(tools, "pg_basebackup"),
                                   "-D",
                                   spec.data_dir,
                                   "-R",
                                   "-X",
                                   "stream",
                                   "-c",
                                   "fast",
                                   "-d",
                                   WithApplicationName(spec.primary_conninfo, spec.name)};
  if (tools.tool_progress) argv.push_back("-P");
  TANDEM_RETURN_IF_ERROR(RunChecked(argv, AsOwner(tools, spec.timeout)).status());
  if (spec.port != 0) {
    TANDEM_RETURN_IF_ERROR(AppendAutoConf(
        spec.data_dir,
        absl::StrCat("# tandemctl db: this server's port\nport = ", spec.port, "\n")));
  }
  return absl::OkStatus();
}

std::string UtcStamp() {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", absl::Now(), absl::UTCTimeZone());
}

}  // namespace

absl::Status CreateReplica(const StandbySpec& spec, const Tools& tools) {
  TANDEM_RETURN_IF_ERROR(ValidName(spec.name));
  if (spec.data_dir.empty()) return absl::InvalidArgumentError("give the standby's data directory");
  std::error_code ec;
  const bool existed = fs::exists(spec.data_dir, ec);
  if (existed && !IsEmptyDir(spec.data_dir)) {
    const bool is_pg = fs::exists(spec.data_dir + "/PG_VERSION", ec);
    return absl::FailedPreconditionError(absl::StrCat(
        spec.data_dir, " is not empty", is_pg ? " (it holds a PostgreSQL data directory)" : "",
        ": replica create writes only into an empty or new directory. To make an old primary "
        "the standby of the new one use `tandemctl db rebuild`; otherwise remove it yourself"));
  }
  TANDEM_RETURN_IF_ERROR(CheckPrimary(spec.primary_conninfo));
  TANDEM_RETURN_IF_ERROR(MakeDataDir(spec.data_dir, tools));
  absl::Status status = BaseBackup(spec, tools);
  if (!status.ok()) {
    // Never leave half a copy behind.
    EmptyDir(spec.data_dir);
    if (!existed) fs::remove(spec.data_dir, ec);
    return status;
  }
  return StartAndAttach(spec, tools);
}

absl::StatusOr<std::string> Rebuild(const StandbySpec& spec, RebuildMethod method,
                                    const Tools& tools) {
  TANDEM_RETURN_IF_ERROR(ValidName(spec.name));
  std::error_code ec;
  if (!fs::exists(spec.data_dir + "/PG_VERSION", ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat(spec.data_dir,
                     " is not a PostgreSQL data directory (no PG_VERSION); for a "
                     "new standby use `tandemctl db replica create`"));
  }
  if (PostmasterRunning(spec.data_dir, tools)) {
    return absl::FailedPreconditionError(
        absl::StrCat("a server is running on ", spec.data_dir, ": stop it first (`pg_ctl -D ",
                     spec.data_dir, " -m fast stop`); rebuild never touches a running server"));
  }
  if (fs::exists(spec.data_dir + "/standby.signal", ec)) {
    Say(tools, "note: the directory is already set up as a standby; rebuilding it anyway");
  }
  TANDEM_RETURN_IF_ERROR(CheckPrimary(spec.primary_conninfo));
  std::string done;
  if (method != RebuildMethod::kBasebackup) {
    // A primary promoted a moment ago may not have finished its
    // end-of-recovery checkpoint: pg_rewind would then read the old timeline
    // from its control file, find "no rewind required", and leave a standby
    // that can never follow it.
    if (absl::Status st = pgadmin::Checkpoint(spec.primary_conninfo); !st.ok()) {
      Say(tools, absl::StrCat("note: CHECKPOINT on the primary failed (", st.message(),
                              "); if the primary was promoted a moment ago, pg_rewind may see "
                              "its old timeline"));
    }
    Say(tools, "rewinding the old primary to the new primary's timeline (pg_rewind)");
    std::vector<std::string> argv = {Tool(tools, "pg_rewind"),
                                     "-D",
                                     spec.data_dir,
                                     "--source-server",
                                     WithApplicationName(spec.primary_conninfo, spec.name),
                                     "-R"};
    if (tools.tool_progress) argv.push_back("--progress");
    absl::StatusOr<std::string> rewound = RunChecked(argv, AsOwner(tools, spec.timeout));
    if (rewound.ok()) {
      if (!fs::exists(spec.data_dir + "/standby.signal", ec)) {
        // "no rewind required" may skip writing the standby settings.
        std::ofstream(spec.data_dir + "/standby.signal").close();
        TANDEM_RETURN_IF_ERROR(
            AppendAutoConf(spec.data_dir, absl::StrCat("primary_conninfo = ",
                                                       pgadmin::QuoteLiteral(WithApplicationName(
                                                           spec.primary_conninfo, spec.name)),
                                                       "\n")));
      }
      if (spec.port != 0) {
        TANDEM_RETURN_IF_ERROR(AppendAutoConf(
            spec.data_dir,
            absl::StrCat("# tandemctl db: this server's port\nport = ", spec.port, "\n")));
      }
      done = "rewound with pg_rewind";
    } else if (method == RebuildMethod::kRewind) {
      return rewound.status();
    } else {
      Say(tools, absl::StrCat("pg_rewind did not work (", rewound.status().message(),
                              "); falling back to a new base backup"));
    }
  }
  if (done.empty()) {
    const std::string kept = absl::StrCat(spec.data_dir, ".before-rebuild-", UtcStamp());
    fs::rename(spec.data_dir, kept, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot move ", spec.data_dir, " aside to ", kept, ": ", ec.message()));
    }
    Say(tools, absl::StrCat("kept the old data directory as ", kept));
    TANDEM_RETURN_IF_ERROR(MakeDataDir(spec.data_dir, tools));
    absl::Status status = BaseBackup(spec, tools);
    if (!status.ok()) {
      // Put the old directory back: the operator is where they started.
      fs::remove_all(spec.data_dir, ec);
      fs::rename(kept, spec.data_dir, ec);
      return status;
    }
    done = absl::StrCat("copied anew with pg_basebackup; the old data directory is kept as ", kept);
  }
  TANDEM_RETURN_IF_ERROR(StartAndAttach(spec, tools));
  return done;
}

}  // namespace tandem::dbadmin
