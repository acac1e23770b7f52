// The LCA's core with real processes: the real shim, real process groups and
// (where the machine has them) real cgroup v2 directories; stop timeouts on a
// simulated clock.
#include "lca/agent.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "testing/temp_dir.h"

namespace tandem::lca {
namespace {

namespace fs = std::filesystem;

std::string ShimPath() {
  const char* dir = std::getenv("TANDEM_BIN_DIR");
  return absl::StrCat(dir != nullptr ? dir : ".", "/tandem-shim");
}

// Running and not a zombie.
bool Running(int64_t pid) {
  std::ifstream f(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(f, line)) return false;
  size_t paren = line.rfind(')');
  return paren != std::string::npos && line.size() > paren + 2 && line[paren + 2] != 'Z' &&
         line[paren + 2] != 'X';
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// cgroup v2 where the machine lets us make one, else empty (process groups).
std::string TestCgroupRoot() {
  for (const char* base : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
    std::string root = absl::StrCat(base, "/tandem-agent-test-", getpid());
    if (CheckCgroupRoot(root).ok()) return root;
    rmdir(root.c_str());
  }
  return "";
}

// The real runner, except that while `hold` is set every shim reads as alive
// and without its "done" line: a shim still killing what its program left
// (the short time between its "exited" and its "done", made long).
class FinishingRunner : public ProcessRunner {
 public:
  explicit FinishingRunner(ProcessRunnerPtr real) : real_(std::move(real)) {}
  absl::StatusOr<ProcessHandle> Launch(const LaunchSpec& spec) override {
    ++launches;
    return real_->Launch(spec);
  }
  bool Alive(const ProcessHandle& h) override { return hold || real_->Alive(h); }
  std::vector<std::string> ReadStatus(const ProcessHandle& h) override {
    std::vector<std::string> lines = real_->ReadStatus(h);
    if (hold && !lines.empty() && lines.back() == "done") lines.pop_back();
    return lines;
  }
  absl::Status Signal(const ProcessHandle& h, int64_t app_pid, int sig) override {
    return real_->Signal(h, app_pid, sig);
  }
  void Forget(const ProcessHandle& h) override { real_->Forget(h); }
  void WaitForEvents(absl::Duration timeout) override { real_->WaitForEvents(timeout); }
  void Wake() override { real_->Wake(); }

  std::atomic<bool> hold{false};
  std::atomic<int> launches{0};

 private:
  ProcessRunnerPtr real_;
};

class AgentTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    chmod(dir_.path().c_str(), 0755);
    if (GetParam()) {
      cgroup_root_ = TestCgroupRoot();
      if (cgroup_root_.empty()) GTEST_SKIP() << "no writable cgroup v2 here";
    }
    NewAgent();
  }
  void TearDown() override {
    if (agent_ != nullptr) {
      const cv1::GetStatusResponse all = agent_->Status();
      for (const auto& p : all.processes()) {
        cv1::StopProcessRequest stop;
        stop.set_application(p.application());
        stop.mutable_header()->set_scs_epoch(all.scs_epoch());
        (void)agent_->Stop(stop);
      }
      WaitUntil([&] {
        const cv1::GetStatusResponse now = agent_->Status();
        for (const auto& p : now.processes()) {
          if (p.state() != cv1::PROCESS_STATE_EXITED && p.state() != cv1::PROCESS_STATE_FAILED) {
            return false;
          }
        }
        return true;
      });
    }
    agent_.reset();
    if (!cgroup_root_.empty()) {
      for (const auto& e : fs::directory_iterator(cgroup_root_)) rmdir(e.path().c_str());
      rmdir(cgroup_root_.c_str());
    }
  }

  // A fresh Agent (and runner) over the same state directory: an LCA restart.
  void NewAgent() {
    agent_.reset();
    auto runner = std::make_unique<FinishingRunner>(MakeLinuxProcessRunner(ShimPath()));
    finishing_ = runner.get();
    runner_ = std::move(runner);
    AgentOptions o;
    o.host = "test-host";
    o.state_dir = dir_.file("state");
    o.log_dir = dir_.file("logs");
    o.cgroup_root = cgroup_root_;
    o.log_max_bytes = log_max_bytes_;
    o.log_keep = 2;
    o.services = services_;
    agent_ = std::make_unique<Agent>(o, clock_, *runner_);
    ASSERT_TRUE(agent_->Recover().ok());
  }

  // The bootstrap file's one service "svc", a sleeper (services_).
  cv1::ProcessSpec SleeperService() {
    cv1::ProcessSpec svc;
    svc.set_application("svc");
    svc.set_command_line("/bin/sh");
    svc.add_arguments("-c");
    svc.add_arguments("sleep 300");
    svc.set_working_directory(dir_.path());
    services_ = {svc};
    return svc;
  }
  // The LCA goes (no agent), then process `pid` is killed and has ended.
  void KillWhileTheLcaIsDown(int64_t pid) {
    agent_.reset();
    ASSERT_EQ(kill(static_cast<pid_t>(pid), SIGKILL), 0);
    for (int i = 0; i < 250 && Running(pid); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_FALSE(Running(pid));
  }

  // Polls the agent (on real time for the processes) until `done` or 10 s.
  bool WaitUntil(const std::function<bool()>& done) {
    for (int i = 0; i < 500; ++i) {
      agent_->Poll();
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  cv1::ProcessStatus StatusOf(const std::string& app) {
    auto r = agent_->Status(app);
    return r.processes().empty() ? cv1::ProcessStatus() : r.processes(0);
  }
  bool Reaches(const std::string& app, cv1::ProcessState state) {
    return WaitUntil([&] { return StatusOf(app).state() == state; });
  }

  cv1::ProcessStatus Start(const std::string& app, std::vector<std::string> args,
                           const std::string& program = "/bin/sh") {
    cv1::StartProcessRequest req;
    req.mutable_header()->set_scs_epoch(1);
    req.mutable_spec()->set_application(app);
    req.mutable_spec()->set_dbid(static_cast<int64_t>(app.size()) + 100);
    req.mutable_spec()->set_command_line(program);
    for (auto& a : args) req.mutable_spec()->add_arguments(a);
    req.mutable_spec()->set_working_directory(dir_.path());
    auto s = agent_->Start(req);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : cv1::ProcessStatus();
  }
  absl::StatusOr<cv1::ProcessStatus> Stop(const std::string& app, int timeout_s) {
    cv1::StopProcessRequest req;
    req.mutable_header()->set_scs_epoch(1);
    req.set_application(app);
    req.set_timeout_s(timeout_s);
    return agent_->Stop(req);
  }

  testing::TempDir dir_;
  std::string cgroup_root_;
  int64_t log_max_bytes_ = 10 << 20;
  std::vector<cv1::ProcessSpec> services_;
  SimClock clock_;
  ProcessRunnerPtr runner_;
  FinishingRunner* finishing_ = nullptr;  // runner_
  std::unique_ptr<Agent> agent_;
};

// The process runs exactly as the spec says: arguments without a shell's
// help, its environment only, its working directory, as the default user
// (never root), its output in its log file.
TEST_P(AgentTest, StartsExactlyWhatTheSpecSays) {
  cv1::StartProcessRequest req;
  req.mutable_header()->set_scs_epoch(1);
  auto& spec = *req.mutable_spec();
  spec.set_application("printer");
  spec.set_dbid(7);
  spec.set_command_line("sh");
  spec.add_arguments("-c");
  spec.add_arguments("echo \"[$GREETING] [$HOME] in $(pwd) as $(id -un)\"; echo err >&2; sleep 30");
  spec.set_working_directory(dir_.path());
  (*spec.mutable_environment())["GREETING"] = "two words";
  auto s = agent_->Start(req);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE(Reaches("printer", cv1::PROCESS_STATE_RUNNING));
  const cv1::ProcessStatus st = StatusOf("printer");
  EXPECT_GT(st.pid(), 0);
  EXPECT_EQ(st.starts(), 1);
  ASSERT_TRUE(WaitUntil([&] { return ReadFile(st.log_file()).find("err") != std::string::npos; }));
  EXPECT_EQ(ReadFile(st.log_file()), absl::StrCat("[two words] [] in ", dir_.path(), " as ",
                                                  geteuid() == 0 ? "nobody" : "root", "\nerr\n"));
  // Started again from the same spec: nothing happens.
  auto again = agent_->Start(req);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->pid(), st.pid());
  EXPECT_EQ(again->starts(), 1);
  // From another spec while it runs: refused with what to do.
  spec.add_arguments("x");
  auto other = agent_->Start(req);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("stop it first"), std::string::npos);
}

// A stop ends the whole tree: background children, a grandchild, and one
// that escaped into a session of its own. Nothing is left behind.
TEST_P(AgentTest, StopLeavesNoOrphan) {
  const std::string pids = dir_.file("pids");
  std::ofstream(pids) << "";
  chmod(pids.c_str(), 0666);  // the tree runs as the default user
  Start("tree",
        {"-c", absl::StrCat("sleep 300 & echo $! >> ", pids, "; setsid sleep 301 & echo $! >> ",
                            pids, "; sh -c 'sleep 302 & echo $! >> ", pids, "; wait' & wait")});
  ASSERT_TRUE(Reaches("tree", cv1::PROCESS_STATE_RUNNING));
  std::vector<int64_t> children;
  ASSERT_TRUE(WaitUntil([&] {
    children.clear();
    for (absl::string_view l : absl::StrSplit(ReadFile(pids), '\n', absl::SkipEmpty())) {
      int64_t p = 0;
      if (absl::SimpleAtoi(l, &p)) children.push_back(p);
    }
    return children.size() == 3;
  }));
  const int64_t main_pid = StatusOf("tree").pid();
  for (int64_t p : children) EXPECT_TRUE(Running(p)) << p;
  auto s = Stop("tree", 5);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->state(), cv1::PROCESS_STATE_STOPPING);
  ASSERT_TRUE(Reaches("tree", cv1::PROCESS_STATE_EXITED));
  const cv1::ProcessStatus st = StatusOf("tree");
  EXPECT_EQ(st.last_exit().signal(), SIGTERM);
  EXPECT_NE(st.last_exit().description().find("stopped: killed by SIGTERM"), std::string::npos)
      << st.last_exit().description();
  EXPECT_FALSE(Running(main_pid));
  // The shim removes what is left as soon as the main process is gone.
  EXPECT_TRUE(WaitUntil([&] {
    for (int64_t p : children) {
      if (Running(p)) return false;
    }
    return true;
  })) << "orphans left";
}

// A process that ignores SIGTERM gets SIGKILL when its stop timeout passes
// (on the agent's clock), and the status says so.
TEST_P(AgentTest, StopTimeoutEndsInSigkill) {
  Start("stubborn", {"-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"});
  ASSERT_TRUE(Reaches("stubborn", cv1::PROCESS_STATE_RUNNING));
  ASSERT_TRUE(WaitUntil([&] {
    return ReadFile(StatusOf("stubborn").log_file()).find("ready") != std::string::npos;
  }));
  ASSERT_TRUE(Stop("stubborn", 30).ok());
  for (int i = 0; i < 10; ++i) {
    agent_->Poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(StatusOf("stubborn").state(), cv1::PROCESS_STATE_STOPPING);
  clock_.Advance(absl::Seconds(31));
  ASSERT_TRUE(Reaches("stubborn", cv1::PROCESS_STATE_EXITED));
  EXPECT_EQ(StatusOf("stubborn").last_exit().signal(), SIGKILL);
  EXPECT_NE(StatusOf("stubborn").last_exit().description().find("after the stop timeout"),
            std::string::npos);
}

// What cannot start says why, as a status, without starting anything.
TEST_P(AgentTest, WhatCannotStartSaysWhy) {
  EXPECT_EQ(Start("nocmd", {}, "no-such-program-xyz").state(), cv1::PROCESS_STATE_FAILED);
  EXPECT_NE(StatusOf("nocmd").reason().find("no-such-program-xyz is not found in PATH"),
            std::string::npos)
      << StatusOf("nocmd").reason();
  EXPECT_EQ(Start("relcmd", {}, "./bin/missing").state(), cv1::PROCESS_STATE_FAILED);
  EXPECT_NE(StatusOf("relcmd").reason().find("does not exist"), std::string::npos);

  cv1::StartProcessRequest req;
  req.mutable_header()->set_scs_epoch(1);
  req.mutable_spec()->set_application("nodir");
  req.mutable_spec()->set_command_line("/bin/true");
  req.mutable_spec()->set_working_directory(dir_.file("missing"));
  ASSERT_EQ(agent_->Start(req)->state(), cv1::PROCESS_STATE_FAILED);
  EXPECT_NE(StatusOf("nodir").reason().find("working directory"), std::string::npos);

  req.mutable_spec()->set_application("nouser");
  req.mutable_spec()->set_working_directory(dir_.path());
  req.mutable_spec()->set_os_user("no-such-user-xyz");
  ASSERT_EQ(agent_->Start(req)->state(), cv1::PROCESS_STATE_FAILED);
  EXPECT_NE(StatusOf("nouser").reason().find("OS user no-such-user-xyz does not exist"),
            std::string::npos);

  req.mutable_spec()->set_application("");
  EXPECT_EQ(agent_->Start(req).status().code(), absl::StatusCode::kInvalidArgument);

  // It exits at once: EXITED with its code, no restart (the SCS decides).
  Start("quick", {"-c", "exit 3"});
  ASSERT_TRUE(Reaches("quick", cv1::PROCESS_STATE_EXITED));
  EXPECT_EQ(StatusOf("quick").last_exit().code(), 3);
  EXPECT_EQ(StatusOf("quick").last_exit().description(), "exited with code 3");
  EXPECT_EQ(StatusOf("quick").starts(), 1);
}

// A restarted LCA re-adopts what runs (same pid, still stoppable) and knows
// how a process that exited while it was down ended.
TEST_P(AgentTest, RestartedAgentReadoptsItsProcesses) {
  Start("long", {"-c", "sleep 300"});
  Start("short",
        {"-c", absl::StrCat("while [ ! -e ", dir_.file("go"), " ]; do sleep 0.05; done; exit 7")});
  ASSERT_TRUE(Reaches("long", cv1::PROCESS_STATE_RUNNING));
  ASSERT_TRUE(Reaches("short", cv1::PROCESS_STATE_RUNNING));
  const int64_t long_pid = StatusOf("long").pid();
  // The LCA goes away (its processes are not told); "short" exits meanwhile.
  agent_.reset();
  runner_.reset();
  std::ofstream(dir_.file("go")) << "";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  NewAgent();
  ASSERT_TRUE(Reaches("short", cv1::PROCESS_STATE_EXITED));
  EXPECT_EQ(StatusOf("short").last_exit().code(), 7);
  EXPECT_EQ(StatusOf("short").last_exit().description(),
            "exited with code 7 while the LCA was down");
  agent_->Poll();
  EXPECT_EQ(StatusOf("long").state(), cv1::PROCESS_STATE_RUNNING);
  EXPECT_EQ(StatusOf("long").pid(), long_pid);
  EXPECT_TRUE(Running(long_pid));
  ASSERT_TRUE(Stop("long", 5).ok());
  ASSERT_TRUE(Reaches("long", cv1::PROCESS_STATE_EXITED));
  EXPECT_FALSE(Running(long_pid));
}

// The host's services ([[lca.service]]) start with the LCA, with no SCS, and
// again whenever they exit (1 s, then doubling, on the injected clock); an
// SCS's stop holds one stopped and its start releases it; a restarted LCA
// re-adopts a running service and starts a stopped one again.
TEST_P(AgentTest, ServicesRunWithoutAnScs) {
  const cv1::ProcessSpec svc = SleeperService();
  NewAgent();
  agent_->StartServices();
  ASSERT_TRUE(Reaches("svc", cv1::PROCESS_STATE_RUNNING)) << StatusOf("svc").DebugString();
  EXPECT_TRUE(StatusOf("svc").service());
  const int64_t pid = StatusOf("svc").pid();
  ASSERT_EQ(kill(static_cast<pid_t>(pid), SIGKILL), 0);
  ASSERT_TRUE(Reaches("svc", cv1::PROCESS_STATE_EXITED));
  for (int i = 0; i < 5; ++i) agent_->Poll();
  EXPECT_EQ(StatusOf("svc").state(), cv1::PROCESS_STATE_EXITED) << "not before the restart delay";
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(Reaches("svc", cv1::PROCESS_STATE_RUNNING));
  EXPECT_NE(StatusOf("svc").pid(), pid);
  EXPECT_EQ(StatusOf("svc").starts(), 2);
  // A quick second exit waits twice as long.
  ASSERT_EQ(kill(static_cast<pid_t>(StatusOf("svc").pid()), SIGKILL), 0);
  ASSERT_TRUE(Reaches("svc", cv1::PROCESS_STATE_EXITED));
  clock_.Advance(absl::Seconds(1));
  for (int i = 0; i < 5; ++i) agent_->Poll();
  EXPECT_EQ(StatusOf("svc").state(), cv1::PROCESS_STATE_EXITED) << "backoff doubled to 2 s";
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(Reaches("svc", cv1::PROCESS_STATE_RUNNING));

  // The SCS stops it: it stays stopped.
  ASSERT_TRUE(Stop("svc", 5).ok());
  ASSERT_TRUE(Reaches("svc", cv1::PROCESS_STATE_EXITED));
  clock_.Advance(absl::Minutes(5));
  for (int i = 0; i < 5; ++i) agent_->Poll();
  EXPECT_EQ(StatusOf("svc").state(), cv1::PROCESS_STATE_EXITED) << "held by the SCS's stop";
  // The SCS starts it (from its own spec, here the same).
  cv1::StartProcessRequest start;
  start.mutable_header()->set_scs_epoch(1);
  *start.mutable_spec() = svc;
  ASSERT_TRUE(agent_->Start(start).ok());
  ASSERT_TRUE(Reaches("svc", cv1::PROCESS_STATE_RUNNING));
  const int64_t running = StatusOf("svc").pid();

  // The LCA restarts: the running service is re-adopted, not started twice.
  NewAgent();
  agent_->StartServices();
  agent_->Poll();
  EXPECT_EQ(StatusOf("svc").state(), cv1::PROCESS_STATE_RUNNING);
  EXPECT_EQ(StatusOf("svc").pid(), running);
  EXPECT_TRUE(Running(running));
  // Stopped, then the LCA restarts (a host boot): it starts again.
  ASSERT_TRUE(Stop("svc", 5).ok());
  ASSERT_TRUE(Reaches("svc", cv1::PROCESS_STATE_EXITED));
  NewAgent();
  agent_->StartServices();
  ASSERT_TRUE(Reaches("svc", cv1::PROCESS_STATE_RUNNING));
  EXPECT_TRUE(StatusOf("svc").service());
  // It dies while the LCA is down (a host that boots): the new LCA starts
  // it again at once, with no restart delay.
  const int64_t booted = StatusOf("svc").pid();
  ASSERT_NO_FATAL_FAILURE(KillWhileTheLcaIsDown(booted));
  NewAgent();
  agent_->StartServices();
  ASSERT_TRUE(Reaches("svc", cv1::PROCESS_STATE_RUNNING)) << StatusOf("svc").DebugString();
  EXPECT_NE(StatusOf("svc").pid(), booted);
  // Stopped right after that start, it stops.
  ASSERT_TRUE(Stop("svc", 5).ok());
  ASSERT_TRUE(Reaches("svc", cv1::PROCESS_STATE_EXITED)) << StatusOf("svc").DebugString();
  // An LCA whose bootstrap file no longer lists it treats it as any process.
  services_.clear();
  NewAgent();
  agent_->StartServices();
  EXPECT_FALSE(StatusOf("svc").service());
}

// A service that ended while the LCA was down, and whose shim is still
// killing what it left when the new LCA looks: nothing is started until the
// shim is done (the new start would share its cgroup and status file, and
// the old shim's cgroup.kill would kill it), then at once. A start from an
// SCS in that time is refused with a reason, and the SCS sends it again.
TEST_P(AgentTest, NothingStartsWhileTheLastShimFinishes) {
  const cv1::ProcessSpec svc = SleeperService();
  NewAgent();
  agent_->StartServices();
  ASSERT_TRUE(Reaches("svc", cv1::PROCESS_STATE_RUNNING)) << StatusOf("svc").DebugString();
  const int64_t pid = StatusOf("svc").pid();
  ASSERT_NO_FATAL_FAILURE(KillWhileTheLcaIsDown(pid));

  NewAgent();
  finishing_->hold = true;
  agent_->StartServices();
  ASSERT_TRUE(Reaches("svc", cv1::PROCESS_STATE_EXITED)) << StatusOf("svc").DebugString();
  for (int i = 0; i < 5; ++i) agent_->Poll();
  EXPECT_EQ(finishing_->launches, 0);
  EXPECT_EQ(StatusOf("svc").state(), cv1::PROCESS_STATE_EXITED);
  EXPECT_EQ(StatusOf("svc").starts(), 1);
  cv1::StartProcessRequest start;
  start.mutable_header()->set_scs_epoch(1);
  *start.mutable_spec() = svc;
  absl::StatusOr<cv1::ProcessStatus> refused = agent_->Start(start);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("still killing what it left"), std::string::npos)
      << refused.status();
  EXPECT_EQ(finishing_->launches, 0);

  finishing_->hold = false;
  ASSERT_TRUE(Reaches("svc", cv1::PROCESS_STATE_RUNNING)) << StatusOf("svc").DebugString();
  EXPECT_EQ(finishing_->launches, 1);
  EXPECT_EQ(StatusOf("svc").starts(), 2);
  ASSERT_TRUE(Stop("svc", 5).ok());
  ASSERT_TRUE(Reaches("svc", cv1::PROCESS_STATE_EXITED)) << StatusOf("svc").DebugString();
}

// Output past the size limit is rotated (copy, then truncate: the process
// keeps its file open), keeping log_keep old files.
TEST_P(AgentTest, LogsRotateBySize) {
  agent_.reset();
  log_max_bytes_ = 1000;
  NewAgent();
  Start("chatty", {"-c",
                   "i=0; while [ $i -lt 3 ]; do head -c 3000 /dev/zero | tr '\\0' x; echo; "
                   "i=$((i+1)); sleep 0.3; done; sleep 300"});
  ASSERT_TRUE(Reaches("chatty", cv1::PROCESS_STATE_RUNNING));
  const std::string log = StatusOf("chatty").log_file();
  ASSERT_TRUE(WaitUntil([&] {
    clock_.Advance(absl::Seconds(2));
    return fs::exists(log + ".2");
  }));
  EXPECT_FALSE(fs::exists(log + ".3"));
  EXPECT_GE(fs::file_size(log + ".1"), 3000u);
  EXPECT_LT(fs::file_size(log), 6002u);
}

// Commands from an SCS whose epoch is older than one seen are refused, and
// so are mode changes that are not newer than the mode held.
TEST_P(AgentTest, StaleEpochsAreRefused) {
  cv1::StartProcessRequest req;
  req.mutable_header()->set_scs_epoch(5);
  req.mutable_spec()->set_application("app");
  req.mutable_spec()->set_command_line("/bin/sleep");
  req.mutable_spec()->add_arguments("300");
  req.set_mode(cv1::HA_MODE_BACKUP);
  req.set_mode_epoch(3);
  ASSERT_TRUE(agent_->Start(req).ok());
  ASSERT_TRUE(Reaches("app", cv1::PROCESS_STATE_RUNNING));
  cv1::StopProcessRequest stop;
  stop.mutable_header()->set_scs_epoch(4);
  stop.set_application("app");
  auto refused = agent_->Stop(stop);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("no longer the primary SCS"), std::string::npos);

  cv1::SetModeRequest mode;
  mode.mutable_header()->set_scs_epoch(5);
  mode.set_application("app");
  mode.set_mode(cv1::HA_MODE_PRIMARY);
  mode.set_mode_epoch(3);
  EXPECT_EQ(agent_->SetMode(mode).status().code(), absl::StatusCode::kFailedPrecondition);
  mode.set_mode_epoch(4);
  auto promoted = agent_->SetMode(mode);
  ASSERT_TRUE(promoted.ok());
  EXPECT_EQ(promoted->mode(), cv1::HA_MODE_PRIMARY);
  EXPECT_EQ(promoted->mode_epoch(), 4);
  stop.mutable_header()->set_scs_epoch(5);
  EXPECT_TRUE(agent_->Stop(stop).ok());
  EXPECT_TRUE(Reaches("app", cv1::PROCESS_STATE_EXITED));
}

// A stop that comes before the shim has reported the application's pid is
// not lost: the signal goes out once the pid is known (process groups).
TEST_P(AgentTest, StopWhileStartingIsNotLost) {
  const cv1::ProcessStatus started = Start("early", {"-c", "sleep 300"});
  ASSERT_EQ(started.state(), cv1::PROCESS_STATE_STARTING);
  ASSERT_TRUE(Stop("early", 5).ok());
  ASSERT_TRUE(Reaches("early", cv1::PROCESS_STATE_EXITED)) << StatusOf("early").DebugString();
  EXPECT_NE(StatusOf("early").last_exit().description().find("SIGTERM"), std::string::npos)
      << StatusOf("early").last_exit().description();
}

// An unreadable state file is an error naming it, not a silent fresh start.
TEST_P(AgentTest, CorruptStateFileIsReported) {
  agent_.reset();
  std::ofstream(dir_.file("state/lca-state.json")) << "{ not json";
  runner_ = MakeLinuxProcessRunner(ShimPath());
  AgentOptions o;
  o.state_dir = dir_.file("state");
  o.log_dir = dir_.file("logs");
  Agent agent(o, clock_, *runner_);
  absl::Status st = agent.Recover();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("lca-state.json is unreadable"), std::string::npos) << st;
}

INSTANTIATE_TEST_SUITE_P(Isolation, AgentTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Cgroup" : "ProcessGroup"; });

}  // namespace
}  // namespace tandem::lca
