#include "common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tandem {
namespace {

std::vector<std::string> WithUser(const std::vector<std::string>& argv, const std::string& user) {
  if (user.empty() || geteuid() != 0) return argv;
  std::vector<std::string> full = {"runuser", "-u", user, "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  return full;
}

}  // namespace

std::string CommandLine(const std::vector<std::string>& argv) {
  std::vector<std::string> quoted;
  for (const std::string& a : argv) {
    if (!a.empty() && a.find_first_of(" \t'\"$\\") == std::string::npos) {
      quoted.push_back(a);
    } else {
      std::string q = "'";
      for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
      quoted.push_back(q + "'");
    }
  }
  return absl::StrJoin(quoted, " ");
}

absl::StatusOr<SubprocessResult> RunSubprocess(const std::vector<std::string>& args,
                                               const SubprocessOptions& options) {
  const std::vector<std::string> argv = WithUser(args, options.as_user);
  if (argv.empty()) return absl::InvalidArgumentError("no program to run");
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  const pid_t pid = fork();
  if (pid < 0) {
    close(out[0]);
    close(out[1]);
    return absl::ResourceExhaustedError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    if (!options.pass_stderr) dup2(out[1], STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    std::vector<char*> c_argv;
    for (const std::string& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
    c_argv.push_back(nullptr);
    execvp(c_argv[0], c_argv.data());
    dprintf(out[1], "cannot run %s: %s\n", c_argv[0], std::strerror(errno));
    _exit(127);
  }
  close(out[1]);
  SubprocessResult result;
  const absl::Time deadline = absl::Now() + options.timeout;
  bool timed_out = false;
  char buf[4096];
  while (true) {
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left_ms <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    int rc = poll(&p, 1, static_cast<int>(std::min<int64_t>(left_ms, 1000)));
    if (rc < 0 && errno != EINTR) break;
    if (rc <= 0) continue;
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  if (timed_out) {
    kill(pid, SIGTERM);
    for (int i = 0; i < 50 && waitpid(pid, nullptr, WNOHANG) == 0; ++i) usleep(100 * 1000);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return absl::DeadlineExceededError(absl::StrCat(
        "`", CommandLine(argv), "` did not finish within ", absl::FormatDuration(options.timeout),
        "; stopped it. Output so far: ", result.output));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

absl::StatusOr<std::string> RunChecked(const std::vector<std::string>& argv,
                                       const SubprocessOptions& options) {
  absl::StatusOr<SubprocessResult> r = RunSubprocess(argv, options);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    std::string out = r->output;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return absl::FailedPreconditionError(
        absl::StrCat("`", CommandLine(WithUser(argv, options.as_user)), "` failed (exit ",
                     r->exit_code, ")", out.empty() ? "" : ": ", out));
  }
  return r->output;
}

}  // namespace tandem
