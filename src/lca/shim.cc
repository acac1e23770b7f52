#include "lca/shim.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace tandem::lca {
namespace {

// Appends one line to the status file and syncs it: the LCA may read it after
// a crash of the whole host's userland, and a line is the unit of truth.
void Record(int fd, const std::string& line) {
  std::string l = line + "\n";
  const char* p = l.data();
  size_t left = l.size();
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
  fdatasync(fd);
}

bool WriteFile(const std::string& path, const char* text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, text, strlen(text)) == static_cast<ssize_t>(strlen(text));
  close(fd);
  return ok;
}

bool CgroupPopulated(const std::string& dir) {
  FILE* f = fopen((dir + "/cgroup.events").c_str(), "re");
  if (f == nullptr) return false;
  char key[64];
  int value = 0;
  bool populated = false;
  while (fscanf(f, "%63s %d", key, &value) == 2) {
    if (strcmp(key, "populated") == 0) populated = value != 0;
  }
  fclose(f);
  return populated;
}

// Children of ours (orphans reparented to us as the subreaper included).
std::vector<pid_t> OurChildren() {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (d == nullptr) return out;
  const pid_t self = getpid();
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    long pid = strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    std::string path = std::string("/proc/") + e->d_name + "/stat";
    FILE* f = fopen(path.c_str(), "re");
    if (f == nullptr) continue;
    char buf[512];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    // pid (comm) state ppid ...: comm may hold spaces and parentheses.
    const char* close_paren = strrchr(buf, ')');
    if (close_paren == nullptr) continue;
    char state = 0;
    long ppid = 0;
    if (sscanf(close_paren + 1, " %c %ld", &state, &ppid) == 2 && ppid == self) {
      out.push_back(static_cast<pid_t>(pid));
    }
  }
  closedir(d);
  return out;
}

// Ends everything the application left behind, and reaps it.
void KillLeftovers(pid_t app, const std::string& cgroup) {
  if (!cgroup.empty()) {
    WriteFile(cgroup + "/cgroup.kill", "1");
    for (int i = 0; i < 500 && CgroupPopulated(cgroup); ++i) usleep(10'000);
  }
  kill(-app, SIGKILL);
  for (int round = 0; round < 500; ++round) {
    for (pid_t p : OurChildren()) kill(p, SIGKILL);
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD) break;
    usleep(10'000);
  }
  if (!cgroup.empty()) rmdir(cgroup.c_str());
}

int Usage(const char* why) {
  fprintf(stderr,
          "tandem-shim: %s\nusage: tandem-shim --status-file FILE [--cgroup DIR] [--user NAME] "
          "[--chdir DIR] -- PROGRAM ARGS...\n(started by tandemd lca, not by hand)\n",
          why);
  return 2;
}

}  // namespace

int ShimMain(int argc, char** argv) {
  std::string status_file, cgroup, user, chdir_to;
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (i + 1 >= argc) return Usage(("missing value after " + a).c_str());
    if (a == "--status-file") {
      status_file = argv[++i];
    } else if (a == "--cgroup") {
      cgroup = argv[++i];
    } else if (a == "--user") {
      user = argv[++i];
    } else if (a == "--chdir") {
      chdir_to = argv[++i];
    } else {
      return Usage(("unknown option " + a).c_str());
    }
  }
  if (status_file.empty()) return Usage("give --status-file");
  if (i >= argc) return Usage("give the program after --");
  int status_fd = open(status_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (status_fd < 0) {
    fprintf(stderr, "tandem-shim: cannot open %s: %s\n", status_file.c_str(), strerror(errno));
    return 1;
  }
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2}) signal(s, SIG_IGN);
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  prctl(PR_SET_CHILD_SUBREAPER, 1);

  struct passwd* pw = nullptr;
  if (!user.empty()) {
    pw = getpwnam(user.c_str());
    if (pw == nullptr) {
      Record(status_fd, "exec-failed " + std::to_string(ENOENT) + " no OS user named " + user);
      Record(status_fd, "done");
      return 1;
    }
  }
  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) != 0) {
    Record(status_fd, "exec-failed " + std::to_string(errno) + " pipe: " + strerror(errno));
    Record(status_fd, "done");
    return 1;
  }
  const pid_t app = fork();
  if (app < 0) {
    Record(status_fd, "exec-failed " + std::to_string(errno) + " fork: " + strerror(errno));
    Record(status_fd, "done");
    return 1;
  }
  if (app == 0) {
    close(errpipe[0]);
    for (int s = 1; s < NSIG; ++s) signal(s, SIG_DFL);
    auto fail = [&](const char* what) {
      int e = errno;
      std::string msg = std::string(what) + ": " + strerror(e);
      dprintf(errpipe[1], "%d %s", e, msg.c_str());
      _exit(127);
    };
    if (!cgroup.empty() && !WriteFile(cgroup + "/cgroup.procs", "0")) fail("joining its cgroup");
    setpgid(0, 0);
    if (!chdir_to.empty() && chdir(chdir_to.c_str()) != 0) {
      fail(("working directory " + chdir_to).c_str());
    }
    if (pw != nullptr) {
      if (initgroups(pw->pw_name, pw->pw_gid) != 0) fail("initgroups");
      if (setgid(pw->pw_gid) != 0) fail("setgid");
      if (setuid(pw->pw_uid) != 0) fail("setuid");
    }
    execvp(argv[i], argv + i);
    fail(argv[i]);
  }
  close(errpipe[1]);
  char buf[512];
  ssize_t n;
  while ((n = read(errpipe[0], buf, sizeof buf - 1)) < 0 && errno == EINTR) {
  }
  close(errpipe[0]);
  if (n > 0) {
    buf[n] = '\0';
    Record(status_fd, std::string("exec-failed ") + buf);
  } else {
    Record(status_fd, "started " + std::to_string(app));
  }
  int st = 0;
  while (waitpid(app, &st, 0) < 0 && errno == EINTR) {
  }
  if (n <= 0) {
    Record(status_fd, WIFEXITED(st) ? "exited " + std::to_string(WEXITSTATUS(st))
                                    : "killed " + std::to_string(WTERMSIG(st)));
  }
  KillLeftovers(app, cgroup);
  Record(status_fd, "done");
  return 0;
}

}  // namespace tandem::lca
