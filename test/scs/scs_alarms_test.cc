// What the acting SCS logs for the framework's alarms, from two pictures: an
// application that exited while wanted, restarts given up, Started again, a
// backup become primary, a pair held and released, an LCA lost and back;
// nothing for what did not change or for an application new to the picture.
#include "scs/scs_alarms.h"

#include <gtest/gtest.h>

namespace tandem::scs {
namespace {

namespace fm = client::framework_message;

AppView App(const std::string& name, AppStatus status) {
  AppView v;
  v.name = name;
  v.host = "h1";
  v.status = status;
  v.wanted = true;
  return v;
}

std::vector<int64_t> Ids(const std::vector<FrameworkEvent>& events) {
  std::vector<int64_t> out;
  for (const FrameworkEvent& e : events) out.push_back(e.message_id);
  return out;
}

TEST(ScsAlarmsTest, AFailureGivingUpAndStartingAgainAreLoggedForTheApplication) {
  ScsServer::Picture before, after;
  before.apps = {App("billing", AppStatus::kStarted)};
  after = before;
  EXPECT_TRUE(FrameworkEventsBetween(before, after).empty()) << "nothing changed";
  after.apps[0].status = AppStatus::kPending;
  after.apps[0].last_exit = "exit code 3";
  std::vector<FrameworkEvent> e = FrameworkEventsBetween(before, after);
  ASSERT_EQ(Ids(e), std::vector<int64_t>{fm::kApplicationFailed});
  EXPECT_EQ(e[0].application, "billing");
  EXPECT_EQ(e[0].host, "h1");
  EXPECT_EQ(e[0].level, client::LogLevel::kAlarm);
  EXPECT_EQ(e[0].text, "billing on h1 exited while it should run: exit code 3");
  before = after;
  after.apps[0].gave_up = true;
  after.apps[0].wanted = false;
  after.apps[0].status = AppStatus::kStopped;
  after.apps[0].reason = "gave up after 5 failures within 10m";
  e = FrameworkEventsBetween(before, after);
  ASSERT_EQ(Ids(e), std::vector<int64_t>{fm::kGaveUpRestarting});
  EXPECT_NE(e[0].text.find("tandemctl app start billing"), std::string::npos) << e[0].text;
  before = after;
  after.apps[0] = App("billing", AppStatus::kStarted);
  after.apps[0].last_exit = "exit code 3";
  EXPECT_EQ(Ids(FrameworkEventsBetween(before, after)),
            std::vector<int64_t>{fm::kApplicationStarted});
  // Without auto_restart it stays stopped: failed all the same; stopped by
  // an operator it is not.
  ScsServer::Picture exited = after;
  exited.apps[0].last_exit = "killed by signal 9";
  exited.apps[0].status = AppStatus::kStopped;
  exited.apps[0].wanted = false;
  exited.apps[0].reason = "killed by signal 9 (no auto_restart)";
  EXPECT_EQ(Ids(FrameworkEventsBetween(after, exited)),
            std::vector<int64_t>{fm::kApplicationFailed});
  exited.apps[0].reason = "";
  EXPECT_TRUE(FrameworkEventsBetween(after, exited).empty()) << "an operator's stop";
  ScsServer::Picture with_new = after;
  with_new.apps.push_back(App("pricing", AppStatus::kStarted));
  EXPECT_TRUE(FrameworkEventsBetween(after, with_new).empty()) << "new to the picture";
}

TEST(ScsAlarmsTest, SwitchoversHeldPairsAndLcasAreLogged) {
  ScsServer::Picture before, after;
  AppView a = App("sample", AppStatus::kStarted), b = App("sample-b", AppStatus::kStarted);
  a.mode = cv1::HA_MODE_PRIMARY;
  b.mode = cv1::HA_MODE_BACKUP;
  before.apps = {a, b};
  before.hosts = {HostView{"h1", true}, HostView{"h2", true}};
  after = before;
  after.apps[0].mode = cv1::HA_MODE_BACKUP;
  after.apps[1].mode = cv1::HA_MODE_PRIMARY;
  after.apps[1].mode_epoch = 4;
  after.hosts[0].up = false;
  after.alarms = {"HA pair sample/sample-b switched over 4 times within 10m: held"};
  std::vector<FrameworkEvent> e = FrameworkEventsBetween(before, after);
  ASSERT_EQ(Ids(e), (std::vector<int64_t>{fm::kSwitchover, fm::kPairHeld, fm::kLcaUnreachable}));
  EXPECT_EQ(e[0].application, "sample-b");
  EXPECT_EQ(e[0].text, "sample-b on h1 is now primary (mode epoch 4)");
  EXPECT_EQ(e[1].application, "sample");
  EXPECT_EQ(e[2].application, "") << "the SCS's own";
  EXPECT_EQ(e[2].host, "h1");
  EXPECT_TRUE(FrameworkEventsBetween(after, after).empty());
  ScsServer::Picture later = after;
  later.alarms.clear();
  later.hosts[0].up = true;
  EXPECT_EQ(Ids(FrameworkEventsBetween(after, later)),
            (std::vector<int64_t>{fm::kPairReleased, fm::kLcaReachable}));
}

TEST(ScsAlarmsTest, AStopThatWasAskedForIsNoFailure) {
  ScsServer::Picture before, after;
  before.apps = {App("billing", AppStatus::kStarted)};
  after = before;
  after.apps[0].status = AppStatus::kPending;
  after.apps[0].last_exit = "stopped: exited with code 0";  // a restart by an operator
  EXPECT_TRUE(FrameworkEventsBetween(before, after).empty());
  after.apps[0].last_exit = "killed by SIGKILL";
  EXPECT_EQ(Ids(FrameworkEventsBetween(before, after)),
            std::vector<int64_t>{fm::kApplicationFailed});
}

TEST(ScsAlarmsTest, TheStateAsItIsForAnScsThatBeganToAct) {
  ScsServer::Picture now;
  now.hosts = {HostView{.name = "h1", .up = true}, HostView{.name = "h2", .up = false}};
  AppView gave_up = App("billing", AppStatus::kStopped);
  gave_up.gave_up = true;
  gave_up.reason = "gave up after 5 restarts";
  now.apps = {gave_up, App("pricing", AppStatus::kStarted), App("quotes", AppStatus::kPending)};
  now.alarms = {"HA pair quotes/quotes-b switched over 3 times in 600 s: held"};
  std::vector<FrameworkEvent> e = FrameworkEventsOfState(now);
  EXPECT_EQ(Ids(e),
            (std::vector<int64_t>{fm::kLcaReachable, fm::kLcaUnreachable, fm::kGaveUpRestarting,
                                  fm::kApplicationStarted, fm::kPairHeld}));
  EXPECT_EQ(e[1].host, "h2");
  EXPECT_EQ(e[1].level, client::LogLevel::kAlarm);
  EXPECT_EQ(e[2].application, "billing");
  EXPECT_EQ(e[3].application, "pricing");
  EXPECT_EQ(e[4].application, "quotes");
}

}  // namespace
}  // namespace tandem::scs
