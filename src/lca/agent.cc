#include "lca/agent.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/atomic_file.h"
#include "common/hash.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "lca/process_state.h"
#include "spdlog/spdlog.h"

namespace tandem::lca {
namespace {

namespace fs = std::filesystem;

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev != nullptr ? absl::StrCat("SIG", abbrev) : absl::StrCat("signal ", sig);
}

// Copies `from` to `to` (replacing it).
absl::Status CopyFile(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec)
    return absl::InternalError(absl::StrCat("copying ", from, " to ", to, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace

Agent::Agent(AgentOptions options, Clock& clock, ProcessRunner& runner)
    : options_(std::move(options)), clock_(clock), runner_(runner) {}

Agent::~Agent() { StopLoop(); }

absl::Status Agent::Recover() {
  std::error_code ec;
  for (const std::string& dir :
       {options_.state_dir, options_.state_dir + "/run", options_.log_dir}) {
    fs::create_directories(dir, ec);
    if (ec)
      return absl::FailedPreconditionError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  }
  if (!options_.cgroup_root.empty()) {
    absl::Status st = CheckCgroupRoot(options_.cgroup_root);
    if (st.ok()) {
      cgroup_root_ = options_.cgroup_root;
      isolation_ = absl::StrCat("cgroup v2 under ", cgroup_root_);
    } else {
      spdlog::warn("lca: applications get a process group, not a cgroup: {}", st.message());
      isolation_ = absl::StrCat("process groups (", st.message(), ")");
    }
  } else {
    isolation_ = "process groups (no [lca] cgroup_root)";
  }
  const std::string path = options_.state_dir + "/lca-state.json";
  std::ifstream in(path);
  if (!in) return absl::OkStatus();
  std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  cv1::LcaState state;
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = true;
  if (auto st = google::protobuf::util::JsonStringToMessage(json, &state, parse); !st.ok()) {
    return absl::DataLossError(absl::StrCat(
        "the LCA state file ", path, " is unreadable (", std::string(st.message()),
        "): the processes it lists are not re-adopted. Move it aside to start afresh; "
        "stop their process trees by hand first (see their cgroups or process groups)"));
  }
  absl::MutexLock lock(&mu_);
  scs_epoch_ = state.scs_epoch();
  owners_.assign(state.owners().begin(), state.owners().end());
  for (const auto& p : state.processes()) {
    Managed m;
    m.state = p;
    m.recovered = true;
    processes_[p.status().application()] = std::move(m);
  }
  spdlog::info("lca: state file lists {} processes; re-adopting those still running",
               processes_.size());
  return absl::OkStatus();
}

void Agent::StartLoop(absl::Duration busy_period, absl::Duration idle_period) {
  loop_ = std::thread([this, busy_period, idle_period] {
    while (true) {
      {
        absl::MutexLock lock(&loop_mu_);
        if (loop_stop_) return;
      }
      const bool busy = Poll();
      runner_.WaitForEvents(busy ? busy_period : idle_period);
    }
  });
}

void Agent::StopLoop() {
  {
    absl::MutexLock lock(&loop_mu_);
    loop_stop_ = true;
  }
  runner_.Wake();
  if (loop_.joinable()) loop_.join();
}

absl::Status Agent::CheckEpoch(const cv1::CommandHeader& h) {
  if (h.scs_epoch() < scs_epoch_) {
    return absl::FailedPreconditionError(
        absl::StrCat("SCS epoch ", h.scs_epoch(), " is older than ", scs_epoch_,
                     ", which this LCA has seen: the sender is no longer the primary SCS"));
  }
  scs_epoch_ = h.scs_epoch();
  return absl::OkStatus();
}

std::string Agent::FileStem(const cv1::ProcessSpec& spec) const {
  std::string stem;
  for (char c : spec.application()) {
    stem += (isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  }
  if (stem.empty() || stem[0] == '.') stem = "_" + stem;
  // A service's spec (from the bootstrap file) has no DBID: NAME.log.
  if (spec.dbid() == 0) return stem;
  return absl::StrCat(stem, "-", spec.dbid());
}

void Agent::SetState(cv1::ProcessStatus& s, cv1::ProcessState state) {
  if (s.state() != state) *s.mutable_since() = ToProtoTime(clock_.Now());
  s.set_state(state);
}

ProcessHandle Agent::HandleOf(const Managed& m) const {
  ProcessHandle h;
  h.shim_pid = m.state.shim_pid();
  h.shim_start_ticks = m.state.shim_start_ticks();
  h.cgroup = m.state.cgroup();
  h.status_file = m.state.status_file();
  return h;
}

void Agent::Launch(Managed& m) {
  m.launched_at = clock_.Now();  // also for a start that fails: restart backoff counts from it
  cv1::ProcessStatus& s = *m.state.mutable_status();
  const cv1::ProcessSpec& spec = s.spec();
  auto fail = [&](std::string reason) {
    spdlog::warn("lca: cannot start {}: {}", spec.application(), reason);
    s.set_reason(std::move(reason));
    s.set_pid(0);
    SetState(s, cv1::PROCESS_STATE_FAILED);
  };
  LaunchSpec ls;
  ls.name = spec.application();
  std::string path = options_.default_path;
  if (auto it = spec.environment().find("PATH"); it != spec.environment().end()) path = it->second;
  for (const auto& [k, v] : spec.environment()) ls.environment.push_back(absl::StrCat(k, "=", v));
  if (!spec.environment().contains("PATH")) ls.environment.push_back("PATH=" + path);
  // How libtandem finds this LCA and proves which start it is.
  m.state.set_token(RandomId());
  ls.environment.push_back("TANDEM_APPLICATION=" + spec.application());
  // The Host object's name, for what the application logs (the Logger's
  // host): a VM's hostname need not be its Host object's name.
  if (!options_.host.empty()) ls.environment.push_back("TANDEM_HOST=" + options_.host);
  ls.environment.push_back("TANDEM_LCA_TOKEN=" + m.state.token());
  if (!options_.app_socket.empty()) {
    ls.environment.push_back("TANDEM_LCA_SOCKET=" + options_.app_socket);
  }
  ls.working_directory =
      spec.working_directory().empty() ? options_.state_dir : spec.working_directory();
  struct stat st {};
  if (stat(ls.working_directory.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return fail(
        absl::StrCat("working directory ", ls.working_directory,
                     " does not exist: create it or fix the Application's working_directory"));
  }
  std::string program = spec.command_line();
  if (program.find('/') != std::string::npos && program[0] != '/') {
    program = absl::StrCat(ls.working_directory, "/", program);
  }
  absl::StatusOr<std::string> resolved = ResolveProgram(program, path);
  if (!resolved.ok()) {
    return fail(absl::StrCat(resolved.status().message(), ": fix the Application's command_line"));
  }
  ls.argv.push_back(*resolved);
  ls.argv.insert(ls.argv.end(), spec.arguments().begin(), spec.arguments().end());
  const bool root = geteuid() == 0;
  std::string user = spec.os_user();
  if (user.empty() && root) user = options_.default_user;
  if (!user.empty()) {
    passwd* pw = getpwnam(user.c_str());
    if (pw == nullptr) {
      return fail(absl::StrCat("OS user ", user, " does not exist on host ", options_.host));
    }
    if (!root && pw->pw_uid != geteuid()) {
      return fail(absl::StrCat("the LCA does not run as root, so it cannot start ",
                               spec.application(), " as ", user,
                               ": run it as the LCA's user or the LCA as root"));
    }
    if (root) ls.os_user = user;
  }
  const std::string stem = FileStem(spec);
  ls.log_file = absl::StrCat(options_.log_dir, "/", stem, ".log");
  ls.status_file = absl::StrCat(options_.state_dir, "/run/", stem, ".status");
  if (!cgroup_root_.empty()) ls.cgroup = absl::StrCat(cgroup_root_, "/", stem);
  absl::StatusOr<ProcessHandle> h = runner_.Launch(ls);
  if (!h.ok()) return fail(std::string(h.status().message()));
  m.state.set_shim_pid(h->shim_pid);
  m.state.set_shim_start_ticks(h->shim_start_ticks);
  m.state.set_cgroup(h->cgroup);
  m.state.set_status_file(h->status_file);
  m.state.set_status_lines(0);
  m.state.clear_stop_deadline();
  m.killed = false;
  m.recovered = false;
  s.set_log_file(ls.log_file);
  s.set_pid(0);
  s.clear_reason();
  s.set_starts(s.starts() + 1);
  s.set_registered(false);
  s.set_app_status(cv1::APP_STATUS_UNSPECIFIED);
  s.set_hung(false);
  s.clear_confirmed_mode();
  s.clear_confirmed_epoch();
  SetState(s, cv1::PROCESS_STATE_STARTING);
  spdlog::info("lca: started {} (shim pid {}, log {})", spec.application(), h->shim_pid,
               ls.log_file);
}

absl::StatusOr<cv1::ProcessStatus> Agent::Start(const cv1::StartProcessRequest& req) {
  const cv1::ProcessSpec& spec = req.spec();
  if (spec.application().empty())
    return absl::InvalidArgumentError("the spec names no application");
  if (spec.command_line().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Application ", spec.application(), " has no command_line: set one"));
  }
  cv1::ProcessStatus out;
  {
    absl::MutexLock lock(&mu_);
    TANDEM_RETURN_IF_ERROR(CheckEpoch(req.header()));
    Managed& m = processes_[spec.application()];
    cv1::ProcessStatus& s = *m.state.mutable_status();
    if (m.ShimFinishing()) {
      return absl::UnavailableError(absl::StrCat(
          spec.application(), " has ended but its shim is still killing what it left (shim pid ",
          m.state.shim_pid(), "): start it again in a moment"));
    }
    if (IsActive(s.state())) {
      // A running service runs as the host's bootstrap file says: started.
      if ((s.service() || google::protobuf::util::MessageDifferencer::Equals(s.spec(), spec)) &&
          s.state() != cv1::PROCESS_STATE_STOPPING) {
        m.held = false;
        return s;
      }
      return absl::FailedPreconditionError(absl::StrCat(spec.application(), " is ",
                                                        s.state() == cv1::PROCESS_STATE_STOPPING
                                                            ? "still stopping"
                                                            : "running from a different spec",
                                                        " (pid ", s.pid(), "): stop it first"));
    }
    s.set_application(spec.application());
    s.set_dbid(spec.dbid());
    *s.mutable_spec() = spec;
    s.set_mode(req.mode());
    s.set_mode_epoch(req.mode_epoch());
    m.held = false;
    m.next_restart = absl::InfinitePast();
    Launch(m);
    Save();
    out = s;
  }
  Notify({out});
  runner_.Wake();  // poll at the busy period until its shim reports
  return out;
}

absl::StatusOr<cv1::ProcessStatus> Agent::Stop(const cv1::StopProcessRequest& req) {
  cv1::ProcessStatus out;
  {
    absl::MutexLock lock(&mu_);
    TANDEM_RETURN_IF_ERROR(CheckEpoch(req.header()));
    TANDEM_ASSIGN_OR_RETURN(Managed * found, Find(req.application()));
    Managed& m = *found;
    cv1::ProcessStatus& s = *m.state.mutable_status();
    m.held = true;  // a service stays stopped until an SCS starts it
    Observe(m);     // its pid, if the shim has reported it by now
    if (s.state() == cv1::PROCESS_STATE_STARTING || s.state() == cv1::PROCESS_STATE_RUNNING) {
      const int sig = req.timeout_s() > 0 ? SIGTERM : SIGKILL;
      if (auto st = runner_.Signal(HandleOf(m), s.pid(), sig); !st.ok()) {
        spdlog::warn("lca: stopping {}: {}", req.application(), st.message());
      }
      m.killed = sig == SIGKILL;
      *m.state.mutable_stop_deadline() = ToProtoTime(clock_.Now() + absl::Seconds(req.timeout_s()));
      s.set_reason(req.timeout_s() > 0 ? absl::StrCat("stop asked: SIGTERM sent, SIGKILL after ",
                                                      req.timeout_s(), " s")
                                       : "stop asked: SIGKILL sent");
      SetState(s, cv1::PROCESS_STATE_STOPPING);
      Save();
    }
    out = s;
  }
  Notify({out});
  runner_.Wake();
  return out;
}

absl::StatusOr<cv1::ProcessStatus> Agent::SetMode(const cv1::SetModeRequest& req) {
  cv1::ProcessStatus out;
  {
    absl::MutexLock lock(&mu_);
    TANDEM_RETURN_IF_ERROR(CheckEpoch(req.header()));
    TANDEM_ASSIGN_OR_RETURN(Managed * m, Find(req.application()));
    cv1::ProcessStatus& s = *m->state.mutable_status();
    if (req.mode_epoch() < s.mode_epoch() ||
        (req.mode_epoch() == s.mode_epoch() && req.mode() != s.mode())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "mode epoch ", req.mode_epoch(), " of ", req.application(), " is not newer than ",
          s.mode_epoch(), ", which it holds: a late or replayed mode change"));
    }
    s.set_mode(req.mode());
    s.set_mode_epoch(req.mode_epoch());
    Save();
    out = s;
  }
  Notify({out});
  return out;
}

cv1::GetStatusResponse Agent::Status(const std::string& application) {
  cv1::GetStatusResponse r;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, m] : processes_) {
    if (application.empty() || name == application) *r.add_processes() = m.state.status();
  }
  r.set_host(options_.host);
  r.set_isolation(isolation_);
  r.set_scs_epoch(scs_epoch_);
  for (const std::string& o : owners_) r.add_owners(o);
  for (std::string& w : WarningsLocked()) r.add_warnings(std::move(w));
  return r;
}

std::vector<std::string> Agent::Warnings() {
  absl::MutexLock lock(&mu_);
  return WarningsLocked();
}

std::vector<std::string> Agent::WarningsLocked() const {
  std::vector<std::string> w;
  if (!save_warning_.empty()) w.push_back(save_warning_);
  return w;
}

bool Agent::Observe(Managed& m) {
  cv1::ProcessStatus& s = *m.state.mutable_status();
  if (m.state.shim_pid() == 0) return false;
  const ProcessHandle h = HandleOf(m);
  // Alive first, then the lines: a shim that is gone has written all it will.
  const bool alive = runner_.Alive(h);
  // A running shim writes again only when the program exits, and exits
  // right after: its pidfd wakes the loop then. Until it has said
  // "started" (also when a stop came first) or after a recovery its lines
  // are read on every round.
  const bool pid_unknown = s.state() == cv1::PROCESS_STATE_STARTING ||
                           (s.state() == cv1::PROCESS_STATE_STOPPING && s.pid() == 0);
  if (alive && !pid_unknown && !m.recovered) return false;
  const std::vector<std::string> lines = runner_.ReadStatus(h);
  const char* while_down = m.recovered ? " while the LCA was down" : "";
  bool changed = false;
  bool done = false;
  for (size_t i = static_cast<size_t>(m.state.status_lines()); i < lines.size(); ++i) {
    const std::string& line = lines[i];
    std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(' ', 1));
    const std::string& word = parts[0];
    const std::string rest = parts.size() > 1 ? parts[1] : "";
    changed = true;
    if (word == "started") {
      int64_t pid = 0;
      (void)absl::SimpleAtoi(rest, &pid);
      s.set_pid(pid);
      if (s.state() == cv1::PROCESS_STATE_STARTING) SetState(s, cv1::PROCESS_STATE_RUNNING);
      // Stopped before its pid was known: the signal goes now.
      if (s.state() == cv1::PROCESS_STATE_STOPPING) {
        (void)runner_.Signal(h, pid, m.killed ? SIGKILL : SIGTERM);
      }
    } else if (word == "exec-failed") {
      std::vector<std::string> e = absl::StrSplit(rest, absl::MaxSplits(' ', 1));
      s.set_reason(absl::StrCat("could not start: ", e.size() > 1 ? e[1] : rest));
      s.set_pid(0);
      SetState(s, cv1::PROCESS_STATE_FAILED);
    } else if (word == "exited" || word == "killed") {
      int value = 0;
      (void)absl::SimpleAtoi(rest, &value);
      cv1::ExitInfo& e = *s.mutable_last_exit();
      e.Clear();
      *e.mutable_at() = ToProtoTime(clock_.Now());
      const bool stopping = s.state() == cv1::PROCESS_STATE_STOPPING;
      if (word == "exited") {
        e.set_code(value);
        e.set_description(
            absl::StrCat(stopping ? "stopped: " : "", "exited with code ", value, while_down));
      } else {
        e.set_signal(value);
        e.set_description(absl::StrCat(
            stopping ? "stopped: " : "", "killed by ", SignalName(value),
            stopping && m.killed && value == SIGKILL ? " after the stop timeout" : "", while_down));
      }
      s.set_pid(0);
      s.clear_reason();
      s.set_registered(false);
      s.set_hung(false);
      s.set_app_status(cv1::APP_STATUS_UNSPECIFIED);
      s.clear_app_detail();
      SetState(s, cv1::PROCESS_STATE_EXITED);
      spdlog::info("lca: {} {}", s.application(), e.description());
    } else if (word == "done") {
      done = true;
    }
  }
  m.state.set_status_lines(static_cast<int32_t>(lines.size()));
  if (!alive && !done) {
    // The shim itself was killed: what became of the application is unknown,
    // and whatever of it is left must not run unwatched.
    (void)runner_.Signal(h, s.pid(), SIGKILL);
    if (IsActive(s.state())) {
      cv1::ExitInfo& e = *s.mutable_last_exit();
      e.Clear();
      *e.mutable_at() = ToProtoTime(clock_.Now());
      e.set_description(absl::StrCat("its shim was killed", while_down, "; exit status unknown"));
      s.set_pid(0);
      SetState(s, cv1::PROCESS_STATE_EXITED);
    }
    done = true;
    changed = true;
  }
  if (done) {
    runner_.Forget(h);
    m.state.set_shim_pid(0);
    m.state.set_shim_start_ticks(0);
    if (!m.state.cgroup().empty()) rmdir(m.state.cgroup().c_str());
    changed = true;
  }
  m.recovered = false;
  return changed;
}

void Agent::RotateLog(Managed& m) {
  const std::string& log = m.state.status().log_file();
  struct stat st {};
  if (log.empty() || stat(log.c_str(), &st) != 0 || st.st_size <= options_.log_max_bytes) return;
  // The application holds the file open for appending (it may run while the
  // LCA is down), so the file is copied and truncated, not renamed.
  absl::Status result = absl::OkStatus();
  for (int i = options_.log_keep - 1; i >= 1; --i) {
    std::error_code ec;
    const std::string from = absl::StrCat(log, ".", i);
    if (fs::exists(from, ec)) fs::rename(from, absl::StrCat(log, ".", i + 1), ec);
  }
  if (options_.log_keep >= 1) result = CopyFile(log, log + ".1");
  if (truncate(log.c_str(), 0) != 0 && result.ok()) {
    result = absl::InternalError(absl::StrCat("truncating ", log, ": ", std::strerror(errno)));
  }
  cv1::ProcessStatus& s = *m.state.mutable_status();
  const bool warned = absl::StartsWith(s.reason(), "log rotation");
  if (!result.ok()) {
    spdlog::error("lca: log rotation of {}: {}", s.application(), result.message());
    s.set_reason(absl::StrCat("log rotation failed (", result.message(),
                              "); the log was truncated so that the disk does not fill"));
  } else if (warned) {
    s.clear_reason();
  }
}

void Agent::StartServices() {
  std::vector<cv1::ProcessStatus> changed;
  {
    absl::MutexLock lock(&mu_);
    // What the bootstrap file no longer lists is an ordinary process again.
    for (auto& [name, m] : processes_) m.state.mutable_status()->set_service(false);
    for (const cv1::ProcessSpec& spec : options_.services) {
      Managed& m = processes_[spec.application()];
      cv1::ProcessStatus& s = *m.state.mutable_status();
      s.set_service(true);
      if (IsActive(s.state())) {
        spdlog::info("lca: service {} runs already (pid {})", spec.application(), s.pid());
        continue;
      }
      // Its shim is finishing: RestartService starts it once it has.
      if (m.ShimFinishing()) continue;
      s.set_application(spec.application());
      s.set_dbid(spec.dbid());
      *s.mutable_spec() = spec;
      Launch(m);
      changed.push_back(s);
    }
    if (!changed.empty()) Save();
  }
  if (!changed.empty()) {
    Notify(std::move(changed));
    runner_.Wake();
  }
}

bool Agent::RestartService(Managed& m, absl::Time now) {
  cv1::ProcessStatus& s = *m.state.mutable_status();
  if (!s.service() || m.held || IsActive(s.state()) ||
      s.state() == cv1::PROCESS_STATE_UNSPECIFIED) {
    m.next_restart = absl::InfinitePast();
    return false;
  }
  // Its shim's exit wakes the loop.
  if (m.ShimFinishing()) return false;
  const std::string& how =
      s.state() == cv1::PROCESS_STATE_FAILED ? s.reason() : s.last_exit().description();
  if (m.launched_at == absl::InfinitePast()) {
    // It ended while the LCA was down (a host that boots, an LCA restarted):
    // no failure this LCA saw, so no backoff; at once (a master's start is
    // on a failover's critical path).
    spdlog::info("lca: service {} ended while the LCA was down ({}); starting it again",
                 s.application(), how);
    Launch(m);
    return true;
  }
  if (m.next_restart == absl::InfinitePast()) {
    const bool stable = now - m.launched_at >= options_.service_stable_after;
    m.restart_backoff = stable || m.restart_backoff == absl::ZeroDuration()
                            ? options_.service_restart_initial
                            : std::min(m.restart_backoff * 2, options_.service_restart_max);
    m.next_restart = now + m.restart_backoff;
    spdlog::warn("lca: service {} ended ({}); starting it again in {}", s.application(), how,
                 absl::FormatDuration(m.restart_backoff));
    return false;
  }
  if (now < m.next_restart) return false;
  m.next_restart = absl::InfinitePast();
  Launch(m);
  return true;
}

bool Agent::Poll() {
  std::vector<cv1::ProcessStatus> changed;
  bool busy = false;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
    for (auto& [name, m] : processes_) {
      cv1::ProcessStatus& s = *m.state.mutable_status();
      bool c = Observe(m);
      if (s.state() == cv1::PROCESS_STATE_STOPPING && !m.killed && m.state.has_stop_deadline() &&
          now >= FromProtoTime(m.state.stop_deadline())) {
        spdlog::warn("lca: {} did not stop within its stop timeout: SIGKILL", name);
        (void)runner_.Signal(HandleOf(m), s.pid(), SIGKILL);
        m.killed = true;
        s.set_reason("stop timeout passed: SIGKILL sent");
        c = true;
      }
      if (CheckHeartbeat(m, now)) c = true;
      if (RestartService(m, now)) c = true;
      if (IsActive(s.state()) && now >= m.next_log_check) {
        m.next_log_check = now + options_.log_check_period;
        RotateLog(m);
      }
      if (c) changed.push_back(s);
      busy = busy || s.state() == cv1::PROCESS_STATE_STARTING ||
             s.state() == cv1::PROCESS_STATE_STOPPING;
    }
    if (!changed.empty()) Save();
  }
  if (!changed.empty()) Notify(std::move(changed));
  return busy;
}

void Agent::Save() {
  cv1::LcaState state;
  state.set_scs_epoch(scs_epoch_);
  for (const std::string& o : owners_) state.add_owners(o);
  for (const auto& [name, m] : processes_) *state.add_processes() = m.state;
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(state, &json, print);
  absl::Status st = WriteFileAtomically(options_.state_dir + "/lca-state.json", json,
                                        {.durable = true, .mode = 0600});
  if (!st.ok()) {
    if (save_warning_.empty()) spdlog::error("lca: state file not saved: {}", st.message());
    save_warning_ = absl::StrCat(
        "state file not saved (", st.message(),
        "): the applications keep running, but a restarted LCA would not re-adopt the latest ones");
  } else {
    save_warning_.clear();
  }
}

void Agent::SetOwners(std::vector<std::string> owners) {
  absl::MutexLock lock(&mu_);
  if (owners == owners_) return;
  spdlog::info("lca: commands are taken from {}", owners.empty()
                                                      ? std::string("nobody (the Host has no scs)")
                                                      : absl::StrJoin(owners, " and "));
  owners_ = std::move(owners);
  Save();
}

std::vector<std::string> Agent::Owners() const {
  absl::MutexLock lock(&mu_);
  return owners_;
}

absl::StatusOr<Agent::Managed*> Agent::Find(const std::string& app) {
  auto it = processes_.find(app);
  if (it == processes_.end()) {
    return absl::NotFoundError(absl::StrCat("this LCA has never started ", app));
  }
  return &it->second;
}

absl::StatusOr<Agent::Managed*> Agent::Caller(const std::string& app, const std::string& token) {
  auto it = processes_.find(app);
  if (it == processes_.end() || token.empty() || it->second.state.token() != token) {
    return absl::PermissionDeniedError(
        absl::StrCat("no process of ", app,
                     " started by this LCA has that token: only a process the LCA started (its "
                     "TANDEM_LCA_TOKEN) may attach as it"));
  }
  if (!IsActive(it->second.state.status().state())) {
    return absl::FailedPreconditionError(absl::StrCat(app, " is not running at this LCA"));
  }
  return &it->second;
}

absl::StatusOr<int> Agent::Attach(const std::string& app, const std::string& token) {
  cv1::ProcessStatus out;
  int period_ms = 0;
  {
    absl::MutexLock lock(&mu_);
    TANDEM_ASSIGN_OR_RETURN(Managed * m, Caller(app, token));
    cv1::ProcessStatus& s = *m->state.mutable_status();
    s.set_registered(true);
    s.set_hung(false);
    *s.mutable_last_heartbeat() = ToProtoTime(clock_.Now());
    period_ms = s.spec().heartbeat_period_s() * 1000;
    out = s;
  }
  spdlog::info("lca: {} attached (libtandem)", app);
  Changed(out, true);
  return period_ms;
}

absl::Status Agent::Heartbeat(const std::string& app, const std::string& token) {
  cv1::ProcessStatus out;
  {
    absl::MutexLock lock(&mu_);
    TANDEM_ASSIGN_OR_RETURN(Managed * m, Caller(app, token));
    cv1::ProcessStatus& s = *m->state.mutable_status();
    *s.mutable_last_heartbeat() = ToProtoTime(clock_.Now());
    if (!s.hung()) return absl::OkStatus();
    s.set_hung(false);
    s.clear_reason();
    spdlog::info("lca: {} sends heartbeats again", app);
    out = s;
  }
  Changed(out, true);
  return absl::OkStatus();
}

absl::Status Agent::Report(const std::string& app, const std::string& token, cv1::AppStatus status,
                           const std::string& detail) {
  cv1::ProcessStatus out;
  {
    absl::MutexLock lock(&mu_);
    TANDEM_ASSIGN_OR_RETURN(Managed * m, Caller(app, token));
    cv1::ProcessStatus& s = *m->state.mutable_status();
    if (s.app_status() == status && s.app_detail() == detail) return absl::OkStatus();
    s.set_app_status(status);
    s.set_app_detail(detail);
    out = s;
  }
  spdlog::info("lca: {} reports {}{}", app, cv1::AppStatus_Name(status),
               detail.empty() ? "" : ": " + detail);
  Changed(out, true);
  return absl::OkStatus();
}

absl::Status Agent::Confirm(const std::string& app, const std::string& token, cv1::HaMode mode,
                            int64_t epoch) {
  cv1::ProcessStatus out;
  {
    absl::MutexLock lock(&mu_);
    TANDEM_ASSIGN_OR_RETURN(Managed * m, Caller(app, token));
    cv1::ProcessStatus& s = *m->state.mutable_status();
    if (epoch != s.mode_epoch() || mode != s.mode()) return absl::OkStatus();
    if (s.confirmed_epoch() == epoch && s.confirmed_mode() == mode) return absl::OkStatus();
    s.set_confirmed_mode(mode);
    s.set_confirmed_epoch(epoch);
    out = s;
  }
  spdlog::info("lca: {} confirms mode {} (epoch {})", app, cv1::HaMode_Name(mode), epoch);
  Changed(out, true);
  return absl::OkStatus();
}

void Agent::Detach(const std::string& app, const std::string& token) {
  cv1::ProcessStatus out;
  {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<Managed*> m = Caller(app, token);
    if (!m.ok()) return;
    cv1::ProcessStatus& s = *(*m)->state.mutable_status();
    if (!s.registered()) return;
    s.set_registered(false);
    out = s;
  }
  Changed(out, true);
}

void Agent::Changed(const cv1::ProcessStatus& s, bool save) {
  if (save) {
    absl::MutexLock lock(&mu_);
    Save();
  }
  Notify({s});
}

bool Agent::CheckHeartbeat(Managed& m, absl::Time now) {
  cv1::ProcessStatus& s = *m.state.mutable_status();
  const int period = s.spec().heartbeat_period_s();
  if (!s.registered() || period <= 0 || s.hung() || !IsActive(s.state())) return false;
  const int timeout = s.spec().hangup_timeout_s() > 0 ? s.spec().hangup_timeout_s() : 3 * period;
  if (now - FromProtoTime(s.last_heartbeat()) <= absl::Seconds(timeout)) return false;
  s.set_hung(true);
  s.set_reason(absl::StrCat("hung: no heartbeat for more than ", timeout, " s"));
  spdlog::warn("lca: {} is hung: no heartbeat for more than {} s", s.application(), timeout);
  return true;
}

int Agent::Subscribe(Listener listener) {
  absl::MutexLock lock(&listeners_mu_);
  listeners_[++next_listener_] = std::move(listener);
  return next_listener_;
}

void Agent::Unsubscribe(int id) {
  absl::MutexLock lock(&listeners_mu_);
  listeners_.erase(id);
}

void Agent::Notify(std::vector<cv1::ProcessStatus> changed) {
  absl::MutexLock lock(&listeners_mu_);
  for (auto& [id, l] : listeners_) l(changed);
}

}  // namespace tandem::lca
