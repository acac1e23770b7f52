// ProcessRunner on Linux: tandem-shim per application, pidfds, cgroup v2.
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "lca/process_runner.h"

namespace tandem::lca {
namespace {

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// Field 22 of /proc/PID/stat; 0 when the process is gone.
uint64_t StartTicks(pid_t pid) {
  std::ifstream f(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(f, line)) return 0;
  size_t paren = line.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream rest(line.substr(paren + 2));
  std::string field;
  // Fields after "pid (comm)": state is field 3, starttime field 22.
  for (int i = 3; i <= 22; ++i) {
    if (!(rest >> field)) return 0;
  }
  return std::strtoull(field.c_str(), nullptr, 10);
}

absl::Status Errno(absl::string_view what) {
  const int e = errno;
  std::string msg = absl::StrCat(what, ": ", std::strerror(e));
  if (e == EMFILE || e == ENFILE) {
    return absl::ResourceExhaustedError(
        absl::StrCat(msg,
                     " (the LCA is out of file descriptors: raise its LimitNOFILE; "
                     "the applications already running keep running)"));
  }
  if (e == ENOSPC) {
    return absl::ResourceExhaustedError(absl::StrCat(msg, " (disk full)"));
  }
  return absl::InternalError(msg);
}

class LinuxProcessRunner : public ProcessRunner {
 public:
  explicit LinuxProcessRunner(std::string shim) : shim_(std::move(shim)) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    wake_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake_;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
  }
  ~LinuxProcessRunner() override {
    for (auto& [pid, fd] : pidfds_) close(fd);
    close(wake_);
    close(epoll_);
  }

  absl::StatusOr<ProcessHandle> Launch(const LaunchSpec& spec) override {
    if (spec.argv.empty()) return absl::InvalidArgumentError("no program to start");
    if (access(shim_.c_str(), X_OK) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("the LCA's shim ", shim_, " is not executable (", std::strerror(errno),
                       "): install tandem-shim beside tandemd or set [lca] shim"));
    }
    if (!spec.cgroup.empty()) {
      if (mkdir(spec.cgroup.c_str(), 0755) != 0 && errno != EEXIST) {
        return Errno(absl::StrCat("creating cgroup ", spec.cgroup));
      }
      // A cgroup left from an earlier run of this application: empty it.
      std::ofstream(spec.cgroup + "/cgroup.kill") << "1";
    }
    const int log_fd =
        open(spec.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
    if (log_fd < 0) return Errno(absl::StrCat("opening the log file ", spec.log_file));
    const int status_fd =
        open(spec.status_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (status_fd < 0) {
      absl::Status st = Errno(absl::StrCat("creating ", spec.status_file));
      close(log_fd);
      return st;
    }
    close(status_fd);
    const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0) {
      absl::Status st = Errno("opening /dev/null");
      close(log_fd);
      return st;
    }
    // Everything the child needs is made before fork: only async-signal-safe
    // calls run between fork and exec.
    std::vector<std::string> args = {shim_, "--status-file", spec.status_file};
    if (!spec.cgroup.empty()) args.insert(args.end(), {"--cgroup", spec.cgroup});
    if (!spec.os_user.empty()) args.insert(args.end(), {"--user", spec.os_user});
    if (!spec.working_directory.empty()) {
      args.insert(args.end(), {"--chdir", spec.working_directory});
    }
    args.push_back("--");
    args.insert(args.end(), spec.argv.begin(), spec.argv.end());
    std::vector<char*> c_args, c_env;
    for (std::string& a : args) c_args.push_back(a.data());
    c_args.push_back(nullptr);
    std::vector<std::string> env = spec.environment;
    for (std::string& e : env) c_env.push_back(e.data());
    c_env.push_back(nullptr);

    // posix_spawn (glibc: clone with CLONE_VM|CLONE_VFORK) instead of fork:
    // the LCA's page tables are not copied for every start. The shim gets
    // its own session, stdin from /dev/null, stdout and stderr to the log,
    // no blocked signals and no other descriptors.
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&actions, null_fd, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, log_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, log_fd, STDERR_FILENO);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    sigset_t all_default;
    sigfillset(&all_default);
    posix_spawnattr_setsigdefault(&attr, &all_default);
    posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, c_args[0], &actions, &attr, c_args.data(), c_env.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
      close(log_fd);
      close(null_fd);
      return absl::InternalError(
          absl::StrCat("starting the shim ", shim_, ": ", std::strerror(rc)));
    }
    close(log_fd);
    close(null_fd);
    ProcessHandle h;
    h.shim_pid = pid;
    h.shim_start_ticks = StartTicks(pid);
    h.cgroup = spec.cgroup;
    h.status_file = spec.status_file;
    // Our own child cannot be reaped (and its pid reused) before we wait for it.
    const int fd = PidfdOpen(pid);
    if (fd >= 0) Watch(pid, fd);
    return h;
  }

  bool Alive(const ProcessHandle& h) override {
    int fd = -1;
    {
      absl::MutexLock lock(&mu_);
      auto it = pidfds_.find(h.shim_pid);
      if (it != pidfds_.end()) fd = it->second;
    }
    if (fd < 0) {
      // A shim an earlier LCA started: check it is that process.
      fd = PidfdOpen(static_cast<pid_t>(h.shim_pid));
      if (fd < 0) return false;
      if (StartTicks(static_cast<pid_t>(h.shim_pid)) != h.shim_start_ticks) {
        close(fd);
        return false;
      }
      Watch(h.shim_pid, fd);
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 0) == 0) return true;
    // Exited: reap it if it is our child (ECHILD otherwise, harmlessly).
    siginfo_t info{};
    waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fd), &info, WEXITED | WNOHANG);
    return false;
  }

  std::vector<std::string> ReadStatus(const ProcessHandle& h) override {
    std::vector<std::string> lines;
    std::ifstream f(h.status_file);
    std::string line;
    while (std::getline(f, line)) {
      if (f.eof()) break;  // a line still being written has no newline yet
      lines.push_back(line);
    }
    return lines;
  }

  absl::Status Signal(const ProcessHandle& h, int64_t app_pid, int sig) override {
    if (!h.cgroup.empty()) {
      if (sig == SIGKILL) {
        std::ofstream(h.cgroup + "/cgroup.kill") << "1";
      } else {
        std::ifstream procs(h.cgroup + "/cgroup.procs");
        int64_t p = 0;
        while (procs >> p) kill(static_cast<pid_t>(p), sig);
      }
    }
    if (app_pid > 0 && kill(-static_cast<pid_t>(app_pid), sig) != 0 && errno != ESRCH) {
      return Errno(absl::StrCat("signalling process group ", app_pid));
    }
    return absl::OkStatus();
  }

  void Forget(const ProcessHandle& h) override {
    absl::MutexLock lock(&mu_);
    auto it = pidfds_.find(h.shim_pid);
    if (it == pidfds_.end()) return;
    epoll_ctl(epoll_, EPOLL_CTL_DEL, it->second, nullptr);
    close(it->second);
    pidfds_.erase(it);
  }

  void WaitForEvents(absl::Duration timeout) override {
    epoll_event evs[16];
    const int n = epoll_wait(epoll_, evs, 16, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
    for (int i = 0; i < n; ++i) {
      if (evs[i].data.fd == wake_) {
        uint64_t v;
        while (read(wake_, &v, sizeof v) > 0) {
        }
      }
    }
  }

  void Wake() override {
    uint64_t one = 1;
    (void)!write(wake_, &one, sizeof one);
  }

 private:
  void Watch(int64_t pid, int fd) {
    absl::MutexLock lock(&mu_);
    auto [it, inserted] = pidfds_.emplace(pid, fd);
    if (!inserted) {
      close(fd);
      return;
    }
    epoll_event ev{};
    // Level-triggered would wake the loop until Forget; one edge is enough.
    ev.events = EPOLLIN | EPOLLET;
    ev.data.fd = fd;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  }

  const std::string shim_;
  int epoll_ = -1;
  int wake_ = -1;
  absl::Mutex mu_;
  std::map<int64_t, int> pidfds_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

ProcessRunnerPtr MakeLinuxProcessRunner(std::string shim_path) {
  return std::make_unique<LinuxProcessRunner>(std::move(shim_path));
}

absl::Status CheckCgroupRoot(const std::string& root) {
  if (root.empty()) return absl::FailedPreconditionError("no cgroup root configured");
  if (mkdir(root.c_str(), 0755) != 0 && errno != EEXIST) {
    return Errno(absl::StrCat("creating ", root));
  }
  if (access((root + "/cgroup.procs").c_str(), W_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(root, " is not a writable cgroup v2 directory (no cgroup.procs)"));
  }
  const std::string probe = root + "/.tandem-probe";
  if (mkdir(probe.c_str(), 0755) != 0 && errno != EEXIST) {
    return Errno(absl::StrCat("creating a cgroup under ", root));
  }
  const bool has_kill = access((probe + "/cgroup.kill").c_str(), W_OK) == 0;
  rmdir(probe.c_str());
  if (!has_kill) {
    return absl::FailedPreconditionError(
        absl::StrCat("cgroups under ", root, " have no cgroup.kill (kernel older than 5.14?)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ResolveProgram(const std::string& program, const std::string& path) {
  if (program.empty()) return absl::InvalidArgumentError("the command line is empty");
  auto executable = [](const std::string& p) {
    struct stat st {};
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0;
  };
  if (program.find('/') != std::string::npos) {
    if (executable(program)) return program;
    return absl::NotFoundError(
        absl::StrCat("command ", program, " does not exist or is not an executable file"));
  }
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", program);
    if (executable(candidate)) return candidate;
  }
  return absl::NotFoundError(
      absl::StrCat("command ", program, " is not found in PATH (", path, ")"));
}

}  // namespace tandem::lca
