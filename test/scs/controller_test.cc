// The SCS's decisions on simulated time, against fake LCAs that carry out
// commands at once: autostart, restart backoff and giving up, start
// timeouts, dependency order, HA pairs (switchover on exit, grace period for
// an unreachable LCA, flip protection, manual switchover, a new SCS carrying
// on from the epochs it finds).
#include "scs/controller.h"

#include <signal.h>

#include <functional>
#include <set>

#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace tandem::scs {
namespace {

using google::protobuf::util::TimeUtil;

// LCAs that do what they are told, immediately.
class Fleet {
 public:
  Fleet(Controller& c, SimClock& clock) : c_(c), clock_(clock) {}

  void Up(const std::string& host) {
    std::vector<cv1::ProcessStatus> picture;
    for (auto& [app, p] : hosts_[host]) picture.push_back(p);
    c_.OnLcaUp(host, picture);
  }
  // Ticks and carries out the commands until nothing more is asked (at most 10 rounds).
  std::vector<Command> Run() {
    std::vector<Command> all;
    for (int i = 0; i < 10; ++i) {
      std::vector<Command> cmds = c_.Tick();
      if (cmds.empty()) break;
      for (const Command& cmd : cmds) Apply(cmd);
      all.insert(all.end(), cmds.begin(), cmds.end());
    }
    return all;
  }
  void Apply(const Command& cmd) {
    if (down_.contains(cmd.host)) return;
    const std::string app = cmd.application();
    cv1::ProcessStatus& p = hosts_[cmd.host][app];
    p.set_application(app);
    if (auto* start = std::get_if<cv1::StartProcessRequest>(&cmd.request)) {
      p.set_state(cv1::PROCESS_STATE_RUNNING);
      p.set_pid(++next_pid_);
      p.set_starts(p.starts() + 1);
      p.set_mode(start->mode());
      p.set_mode_epoch(start->mode_epoch());
      *p.mutable_spec() = start->spec();
      p.set_hung(false);
      p.set_app_status(reports_.contains(app) ? cv1::APP_STATUS_UNSPECIFIED
                                              : cv1::APP_STATUS_STARTED);
      *p.mutable_since() = Now();
    } else if (std::get_if<cv1::StopProcessRequest>(&cmd.request)) {
      Exit(cmd.host, app, "stopped: killed by SIGTERM");
      return;
    } else if (auto* mode = std::get_if<cv1::SetModeRequest>(&cmd.request)) {
      p.set_mode(mode->mode());
      p.set_mode_epoch(mode->mode_epoch());
    }
    c_.OnLcaStatus(cmd.host, p);
  }
  void Exit(const std::string& host, const std::string& app, const std::string& how) {
    cv1::ProcessStatus& p = hosts_[host][app];
    p.set_state(cv1::PROCESS_STATE_EXITED);
    p.set_pid(0);
    p.mutable_last_exit()->set_description(how);
    *p.mutable_last_exit()->mutable_at() = Now();
    *p.mutable_since() = Now();
    c_.OnLcaStatus(host, p);
  }
  void Set(const std::string& host, const std::string& app,
           const std::function<void(cv1::ProcessStatus&)>& f) {
    f(hosts_[host][app]);
    c_.OnLcaStatus(host, hosts_[host][app]);
  }
  void Down(const std::string& host) {
    down_.insert(host);
    c_.OnLcaDown(host);
  }
  void Back(const std::string& host) {
    down_.erase(host);
    Up(host);
  }
  const cv1::ProcessStatus& Of(const std::string& host, const std::string& app) {
    return hosts_[host][app];
  }
  void ReportsStatus(const std::string& app) { reports_.insert(app); }

 private:
  google::protobuf::Timestamp Now() {
    return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(clock_.Now()));
  }
  Controller& c_;
  SimClock& clock_;
  std::map<std::string, std::map<std::string, cv1::ProcessStatus>> hosts_;
  std::set<std::string> down_;
  std::set<std::string> reports_;
  int64_t next_pid_ = 1000;
};

AppConfig App(const std::string& name, const std::string& host, bool autostart = true) {
  AppConfig a;
  a.name = name;
  a.host = host;
  a.autostart = autostart;
  a.spec.set_application(name);
  a.spec.set_command_line("/bin/" + name);
  a.start_timeout = absl::Seconds(30);
  a.stop_timeout = absl::Seconds(10);
  return a;
}

int Count(const std::vector<Command>& cmds, const std::string& app) {
  int n = 0;
  for (const Command& c : cmds) n += c.application() == app;
  return n;
}

template <typename T>
const T* Find(const std::vector<Command>& cmds, const std::string& app) {
  for (const Command& c : cmds) {
    if (c.application() == app) {
      if (const T* r = std::get_if<T>(&c.request)) return r;
    }
  }
  return nullptr;
}

class ControllerTest : public ::testing::Test {
 protected:
  ControllerTest() : c_(Options(), clock_), fleet_(c_, clock_) {}
  static ControllerOptions Options() {
    ControllerOptions o;
    o.scs_epoch = 4;
    o.grace_period = absl::Seconds(5);
    o.max_failures = 4;
    o.flip_max = 3;
    return o;
  }
  SimClock clock_;
  Controller c_;
  Fleet fleet_;
};

// Applications with autostart start when their host's LCA comes up, with
// this SCS's epoch; the others wait for an operator.
TEST_F(ControllerTest, AutostartWhenTheHostComesUp) {
  c_.SetApplications({App("a", "h1"), App("manual", "h1", /*autostart=*/false)});
  EXPECT_EQ(c_.View("a").status, AppStatus::kUnknown);
  fleet_.Up("h1");
  EXPECT_EQ(c_.View("a").status, AppStatus::kPending);
  std::vector<Command> cmds = fleet_.Run();
  ASSERT_EQ(cmds.size(), 1u);
  const auto* start = Find<cv1::StartProcessRequest>(cmds, "a");
  ASSERT_NE(start, nullptr);
  EXPECT_EQ(start->header().scs_epoch(), 4);
  EXPECT_EQ(start->spec().command_line(), "/bin/a");
  EXPECT_EQ(c_.View("a").status, AppStatus::kStarted);
  EXPECT_EQ(c_.View("a").restarts, 0);
  EXPECT_EQ(c_.View("manual").status, AppStatus::kStopped);
  ASSERT_TRUE(c_.RequestStart("manual").ok());
  EXPECT_EQ(Count(fleet_.Run(), "manual"), 1);
  EXPECT_EQ(c_.View("manual").status, AppStatus::kStarted);
  EXPECT_FALSE(c_.RequestStart("nope").ok());
}

// A changed Application does not restart what runs; the status says a
// restart applies it, and the restart starts the new spec.
TEST_F(ControllerTest, ChangedSpecIsShownNotForced) {
  AppConfig a = App("svc", "h1");
  c_.SetApplications({a});
  fleet_.Up("h1");
  fleet_.Run();
  EXPECT_EQ(c_.View("svc").reason, "");
  a.spec.add_arguments("--verbose");
  c_.SetApplications({a});
  EXPECT_TRUE(fleet_.Run().empty()) << "nothing is restarted by itself";
  EXPECT_NE(c_.View("svc").reason.find("runs from an older spec"), std::string::npos)
      << c_.View("svc").reason;
  fleet_.Exit("h1", "svc", "stopped");
  EXPECT_TRUE(fleet_.Run().empty()) << "no auto_restart";
  ASSERT_TRUE(c_.RequestStart("svc").ok());
  const std::vector<Command> cmds = fleet_.Run();
  const auto* start = Find<cv1::StartProcessRequest>(cmds, "svc");
  ASSERT_NE(start, nullptr);
  EXPECT_EQ(start->spec().arguments_size(), 1);
  EXPECT_EQ(c_.View("svc").reason, "");
}

// With auto_restart an exit is followed by a start after a backoff that
// doubles; after max_failures it gives up, visibly, until started again.
TEST_F(ControllerTest, RestartBackoffThenAVisibleGiveUp) {
  AppConfig a = App("crashy", "h1");
  a.auto_restart = true;
  c_.SetApplications({a});
  fleet_.Up("h1");
  fleet_.Run();
  std::vector<absl::Duration> waits;
  for (int i = 0; i < 3; ++i) {
    fleet_.Exit("h1", "crashy", "exited with code 1");
    absl::Duration waited;
    while (Count(fleet_.Run(), "crashy") == 0 && waited < absl::Minutes(5)) {
      clock_.Advance(absl::Milliseconds(250));
      waited += absl::Milliseconds(250);
    }
    waits.push_back(waited);
  }
  EXPECT_EQ(waits,
            (std::vector<absl::Duration>{absl::Seconds(1), absl::Seconds(2), absl::Seconds(4)}));
  EXPECT_EQ(c_.View("crashy").restarts, 3);
  fleet_.Exit("h1", "crashy", "exited with code 1");
  fleet_.Run();  // the SCS acts on each report as it comes
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Count(fleet_.Run(), "crashy"), 0);
  const AppView v = c_.View("crashy");
  EXPECT_TRUE(v.gave_up);
  EXPECT_EQ(v.status, AppStatus::kStopped);
  EXPECT_NE(v.reason.find("gave up after 4 failures"), std::string::npos) << v.reason;
  EXPECT_NE(v.reason.find("exited with code 1"), std::string::npos);
  EXPECT_NE(v.reason.find("tandemctl app start crashy"), std::string::npos);
  ASSERT_EQ(c_.Alarms().size(), 1u);
  ASSERT_TRUE(c_.RequestStart("crashy").ok());
  EXPECT_EQ(Count(fleet_.Run(), "crashy"), 1);
  EXPECT_FALSE(c_.View("crashy").gave_up);
}

// A long run resets the count: an application that crashes once a day
// never gives up.
TEST_F(ControllerTest, StableRunsResetTheFailureCount) {
  AppConfig a = App("daily", "h1");
  a.auto_restart = true;
  c_.SetApplications({a});
  fleet_.Up("h1");
  fleet_.Run();
  for (int day = 0; day < 10; ++day) {
    clock_.Advance(absl::Hours(24));
    fleet_.Run();
    fleet_.Exit("h1", "daily", "killed by SIGSEGV");
    EXPECT_EQ(Count(fleet_.Run(), "daily"), 0) << "backoff first";
    clock_.Advance(absl::Seconds(1));
    EXPECT_EQ(Count(fleet_.Run(), "daily"), 1) << "day " << day;
  }
  EXPECT_FALSE(c_.View("daily").gave_up);
}

// Without auto_restart an exit leaves it Stopped, saying why.
TEST_F(ControllerTest, NoAutoRestartStaysStopped) {
  c_.SetApplications({App("once", "h1")});
  fleet_.Up("h1");
  fleet_.Run();
  fleet_.Exit("h1", "once", "exited with code 3");
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(Count(fleet_.Run(), "once"), 0);
  EXPECT_EQ(c_.View("once").status, AppStatus::kStopped);
  EXPECT_NE(c_.View("once").reason.find("exited with code 3 (no auto_restart)"), std::string::npos)
      << c_.View("once").reason;
}

// An operator's restart stops the run (with stop_timeout) and starts the
// next at once: no backoff, no failure counted, and an app without
// auto_restart comes back too. A stopped application is just started.
TEST_F(ControllerTest, RestartStopsThenStartsWithoutCountingAFailure) {
  c_.SetApplications({App("svc", "h1")});
  fleet_.Up("h1");
  fleet_.Run();
  const int64_t pid = fleet_.Of("h1", "svc").pid();
  ASSERT_TRUE(c_.RequestRestart("svc").ok());
  std::vector<Command> cmds = c_.Tick();
  const auto* stop = Find<cv1::StopProcessRequest>(cmds, "svc");
  ASSERT_NE(stop, nullptr);
  EXPECT_EQ(stop->timeout_s(), 10) << "graceful: the Application's stop_timeout_s";
  for (const Command& cmd : cmds) fleet_.Apply(cmd);
  cmds = c_.Tick();
  ASSERT_NE(Find<cv1::StartProcessRequest>(cmds, "svc"), nullptr)
      << "started again at once, without backoff";
  for (const Command& cmd : cmds) fleet_.Apply(cmd);
  EXPECT_EQ(fleet_.Of("h1", "svc").state(), cv1::PROCESS_STATE_RUNNING);
  EXPECT_NE(fleet_.Of("h1", "svc").pid(), pid);
  const AppView v = c_.View("svc");
  EXPECT_EQ(v.status, AppStatus::kStarted);
  EXPECT_EQ(v.restarts, 1);
  EXPECT_TRUE(v.reason.empty()) << v.reason;
  // Four more restarts do not add up to a give-up (max_failures is 4).
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(c_.RequestRestart("svc").ok());
    fleet_.Run();
  }
  EXPECT_EQ(c_.View("svc").status, AppStatus::kStarted);
  EXPECT_FALSE(c_.View("svc").gave_up);
  // Stopped, a restart starts it.
  ASSERT_TRUE(c_.RequestStop("svc").ok());
  fleet_.Run();
  ASSERT_EQ(c_.View("svc").status, AppStatus::kStopped);
  ASSERT_TRUE(c_.RequestRestart("svc").ok());
  fleet_.Run();
  EXPECT_EQ(c_.View("svc").status, AppStatus::kStarted);
  EXPECT_TRUE(c_.View("svc").wanted);
  EXPECT_EQ(c_.RequestRestart("nope").code(), absl::StatusCode::kNotFound);
}

// Hosts as an operator sees them: up since when, applications and how many run.
TEST_F(ControllerTest, HostViewsCountWhatRuns) {
  c_.SetApplications({App("a", "h1"), App("b", "h1", /*autostart=*/false)});
  fleet_.Up("h1");
  fleet_.Run();
  std::vector<HostView> hosts = c_.HostViews({"h1", "h3"});
  ASSERT_EQ(hosts.size(), 2u);
  EXPECT_EQ(hosts[0].name, "h1");
  EXPECT_TRUE(hosts[0].up);
  EXPECT_EQ(hosts[0].since, clock_.Now());
  EXPECT_EQ(hosts[0].applications, 2);
  EXPECT_EQ(hosts[0].running, 1);
  EXPECT_EQ(hosts[1].name, "h3");
  EXPECT_FALSE(hosts[1].up) << "never heard from";
  clock_.Advance(absl::Seconds(7));
  fleet_.Down("h1");
  hosts = c_.HostViews({"h1"});
  EXPECT_FALSE(hosts[0].up);
  EXPECT_EQ(hosts[0].since, clock_.Now());
  EXPECT_EQ(hosts[0].running, 0);
}

// A libtandem application that never reports Started is Initializing until
// its start timeout, then stopped at once and counted as a failure.
TEST_F(ControllerTest, StartTimeoutStopsAndCounts) {
  AppConfig a = App("slow", "h1");
  a.reports_status = true;
  a.auto_restart = true;
  fleet_.ReportsStatus("slow");
  c_.SetApplications({a});
  fleet_.Up("h1");
  fleet_.Run();
  EXPECT_EQ(c_.View("slow").status, AppStatus::kInitializing);
  clock_.Advance(absl::Seconds(29));
  EXPECT_EQ(Count(fleet_.Run(), "slow"), 0);
  clock_.Advance(absl::Seconds(2));
  std::vector<Command> cmds = c_.Tick();
  const auto* stop = Find<cv1::StopProcessRequest>(cmds, "slow");
  ASSERT_NE(stop, nullptr);
  EXPECT_EQ(stop->timeout_s(), 0);
  EXPECT_NE(c_.View("slow").reason.find("did not report Started within 30s"), std::string::npos)
      << c_.View("slow").reason;
  fleet_.Apply(cmds[0]);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Count(fleet_.Run(), "slow"), 1) << "restarted after its backoff";
}

// A client starts after its servers are Started; stopping both stops the
// client first.
TEST_F(ControllerTest, ServersStartFirstAndStopLast) {
  AppConfig server = App("server", "h1");
  AppConfig client = App("client", "h2");
  client.connections = {"server"};
  c_.SetApplications({client, server});
  fleet_.Up("h2");
  EXPECT_EQ(Count(c_.Tick(), "client"), 0) << "its server's host is not up yet";
  fleet_.Up("h1");
  std::vector<Command> first = c_.Tick();
  EXPECT_EQ(Count(first, "server"), 1);
  EXPECT_EQ(Count(first, "client"), 0);
  for (const Command& cmd : first) fleet_.Apply(cmd);
  EXPECT_EQ(Count(fleet_.Run(), "client"), 1);

  ASSERT_TRUE(c_.RequestStop("server").ok());
  ASSERT_TRUE(c_.RequestStop("client").ok());
  std::vector<Command> stops = c_.Tick();
  EXPECT_EQ(Count(stops, "client"), 1);
  EXPECT_EQ(Count(stops, "server"), 0) << "its client still runs";
  for (const Command& cmd : stops) fleet_.Apply(cmd);
  EXPECT_EQ(Count(fleet_.Run(), "server"), 1);
  EXPECT_EQ(c_.View("server").status, AppStatus::kStopped);
}

class PairTest : public ControllerTest {
 protected:
  void SetUp() override {
    AppConfig a = App("a", "h1");
    a.redundancy = Redundancy::kWarmStandby;
    a.backup = "b";
    a.auto_restart = true;
    AppConfig b = App("b", "h2");
    b.auto_restart = true;
    c_.SetApplications({a, b});
    fleet_.Up("h1");
    fleet_.Up("h2");
    std::vector<Command> cmds = fleet_.Run();
    const auto* sa = Find<cv1::StartProcessRequest>(cmds, "a");
    const auto* sb = Find<cv1::StartProcessRequest>(cmds, "b");
    ASSERT_TRUE(sa != nullptr && sb != nullptr);
    ASSERT_EQ(sa->mode(), cv1::HA_MODE_PRIMARY);
    ASSERT_EQ(sb->mode(), cv1::HA_MODE_BACKUP);
    ASSERT_EQ(sa->mode_epoch(), sb->mode_epoch());
    epoch_ = sa->mode_epoch();
  }
  int64_t epoch_ = 0;
};

// The primary's process exits: the backup is told primary at once, with a
// higher epoch; the old primary comes back as the backup.
TEST_F(PairTest, BackupBecomesPrimaryWhenThePrimaryExits) {
  fleet_.Exit("h1", "a", "killed by SIGKILL");
  std::vector<Command> cmds = c_.Tick();
  const auto* mode = Find<cv1::SetModeRequest>(cmds, "b");
  ASSERT_NE(mode, nullptr);
  EXPECT_EQ(mode->mode(), cv1::HA_MODE_PRIMARY);
  EXPECT_GT(mode->mode_epoch(), epoch_);
  for (const Command& cmd : cmds) fleet_.Apply(cmd);
  clock_.Advance(absl::Seconds(1));
  std::vector<Command> restart = fleet_.Run();
  const auto* start = Find<cv1::StartProcessRequest>(restart, "a");
  ASSERT_NE(start, nullptr);
  EXPECT_EQ(start->mode(), cv1::HA_MODE_BACKUP);
  EXPECT_EQ(c_.View("b").mode, cv1::HA_MODE_PRIMARY);
  EXPECT_EQ(c_.View("a").mode, cv1::HA_MODE_BACKUP);
}

// An LCA unreachable for less than the grace period changes nothing; longer,
// and its primary is switched over.
TEST_F(PairTest, GracePeriodForAnUnreachableLca) {
  fleet_.Down("h1");
  EXPECT_EQ(c_.View("a").status, AppStatus::kUnknown);
  clock_.Advance(absl::Seconds(4));
  EXPECT_TRUE(c_.Tick().empty()) << "a blip shorter than the grace period";
  fleet_.Back("h1");
  EXPECT_TRUE(fleet_.Run().empty());
  EXPECT_EQ(c_.View("a").mode, cv1::HA_MODE_PRIMARY);

  fleet_.Down("h1");
  clock_.Advance(absl::Seconds(6));
  std::vector<Command> cmds = c_.Tick();
  const auto* mode = Find<cv1::SetModeRequest>(cmds, "b");
  ASSERT_NE(mode, nullptr);
  EXPECT_EQ(mode->mode(), cv1::HA_MODE_PRIMARY);
  EXPECT_NE(c_.View("b").reason.find("unreachable for more than 5s"), std::string::npos)
      << c_.View("b").reason;
  for (const Command& cmd : cmds) fleet_.Apply(cmd);
  // h1 returns with `a` still running as primary of an older epoch: demoted.
  fleet_.Back("h1");
  const std::vector<Command> after = fleet_.Run();
  const auto* demote = Find<cv1::SetModeRequest>(after, "a");
  ASSERT_NE(demote, nullptr);
  EXPECT_EQ(demote->mode(), cv1::HA_MODE_BACKUP);
  EXPECT_GE(demote->mode_epoch(), mode->mode_epoch());
}

// Hung or Service Unavailable primaries are switched over too.
TEST_F(PairTest, HungOrUnavailablePrimaryIsSwitchedOver) {
  fleet_.Set("h1", "a",
             [](cv1::ProcessStatus& p) { p.set_app_status(cv1::APP_STATUS_SERVICE_UNAVAILABLE); });
  std::vector<Command> cmds = fleet_.Run();
  EXPECT_EQ(Find<cv1::SetModeRequest>(cmds, "b")->mode(), cv1::HA_MODE_PRIMARY);
  EXPECT_EQ(Find<cv1::SetModeRequest>(cmds, "a")->mode(), cv1::HA_MODE_BACKUP);
  EXPECT_EQ(c_.View("a").status, AppStatus::kServiceUnavailable);
  fleet_.Set("h1", "a", [](cv1::ProcessStatus& p) { p.set_app_status(cv1::APP_STATUS_STARTED); });
  fleet_.Set("h2", "b", [](cv1::ProcessStatus& p) { p.set_hung(true); });
  cmds = fleet_.Run();
  EXPECT_EQ(Find<cv1::SetModeRequest>(cmds, "a")->mode(), cv1::HA_MODE_PRIMARY);
}

// More than flip_max switchovers within the window: held, with an alarm;
// a manual switchover resumes it.
TEST_F(PairTest, FlipProtectionHoldsThePair) {
  std::string primary = "a";
  for (int i = 0; i < 4; ++i) {
    const std::string host = primary == "a" ? "h1" : "h2";
    fleet_.Set(host, primary, [](cv1::ProcessStatus& p) { p.set_hung(true); });
    fleet_.Run();
    fleet_.Set(host, primary, [](cv1::ProcessStatus& p) { p.set_hung(false); });
    primary = primary == "a" ? "b" : "a";
    clock_.Advance(absl::Seconds(10));
  }
  ASSERT_EQ(c_.Alarms().size(), 1u);
  EXPECT_NE(c_.Alarms()[0].find("held"), std::string::npos) << c_.Alarms()[0];
  const std::string host = primary == "a" ? "h1" : "h2";
  fleet_.Set(host, primary, [](cv1::ProcessStatus& p) { p.set_hung(true); });
  const std::vector<Command> held = fleet_.Run();
  EXPECT_EQ(Find<cv1::SetModeRequest>(held, primary == "a" ? "b" : "a"), nullptr)
      << "held: no automatic switchover";
  fleet_.Set(host, primary, [](cv1::ProcessStatus& p) { p.set_hung(false); });
  ASSERT_TRUE(c_.RequestSwitchover("a").ok());
  EXPECT_EQ(Count(fleet_.Run(), "a"), 1);
  EXPECT_TRUE(c_.Alarms().empty());
}

// A manual switchover swaps the modes under a new epoch; it is refused when
// the backup is not healthy.
TEST_F(PairTest, ManualSwitchover) {
  ASSERT_TRUE(c_.RequestSwitchover("b").ok());
  std::vector<Command> cmds = fleet_.Run();
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(Find<cv1::SetModeRequest>(cmds, "b")->mode(), cv1::HA_MODE_PRIMARY);
  EXPECT_EQ(Find<cv1::SetModeRequest>(cmds, "a")->mode(), cv1::HA_MODE_BACKUP);
  EXPECT_EQ(Find<cv1::SetModeRequest>(cmds, "a")->mode_epoch(),
            Find<cv1::SetModeRequest>(cmds, "b")->mode_epoch());
  fleet_.Exit("h1", "a", "stopped");
  ASSERT_TRUE(c_.RequestStop("a").ok());
  absl::Status st = c_.RequestSwitchover("a");
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("not running and healthy"), std::string::npos);
  EXPECT_FALSE(c_.RequestSwitchover("nope").ok());
}

// A new SCS (after a failover of the SCS pair) learns the pair's epoch and
// primary from the LCAs and carries on: no mode change at takeover, and the
// next switchover goes above the epoch it found.
TEST_F(PairTest, NewScsCarriesOnFromTheEpochsItFinds) {
  ASSERT_TRUE(c_.RequestSwitchover("a").ok());
  fleet_.Run();
  const int64_t epoch = fleet_.Of("h2", "b").mode_epoch();
  ASSERT_EQ(fleet_.Of("h2", "b").mode(), cv1::HA_MODE_PRIMARY);

  ControllerOptions o = Options();
  o.scs_epoch = 5;
  Controller next(o, clock_);
  AppConfig a = App("a", "h1");
  a.redundancy = Redundancy::kWarmStandby;
  a.backup = "b";
  AppConfig b = App("b", "h2");
  std::vector<cv1::ProcessStatus> h1 = {fleet_.Of("h1", "a")};
  std::vector<cv1::ProcessStatus> h2 = {fleet_.Of("h2", "b")};
  next.SetApplications({a, b});
  next.OnLcaUp("h1", h1);
  next.OnLcaUp("h2", h2);
  EXPECT_TRUE(next.Tick().empty()) << "nothing to change at takeover";
  EXPECT_EQ(next.View("b").mode, cv1::HA_MODE_PRIMARY);
  cv1::ProcessStatus dead = h2[0];
  dead.set_state(cv1::PROCESS_STATE_EXITED);
  next.OnLcaStatus("h2", dead);
  std::vector<Command> cmds = next.Tick();
  const auto* mode = Find<cv1::SetModeRequest>(cmds, "a");
  ASSERT_NE(mode, nullptr);
  EXPECT_EQ(mode->mode(), cv1::HA_MODE_PRIMARY);
  EXPECT_GT(mode->mode_epoch(), epoch);
  EXPECT_EQ(mode->header().scs_epoch(), 5);
}

}  // namespace
}  // namespace tandem::scs
