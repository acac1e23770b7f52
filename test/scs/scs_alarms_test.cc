// What the acting SCS logs for the framework's alarms, from two pictures: an
// application that exited while wanted, restarts given up, Started again, a
// backup become primary, a pair held and released, an LCA lost and back;
// nothing for what did not change or for an application new to the picture;
// certificates (an LCA's, anyone's) expiring and renewed; both members of a
// pair primary for longer than a switchover takes.
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

HostView Host(const std::string& name, bool up) {
  HostView h;
  h.name = name;
  h.up = up;
  return h;
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
  before.hosts = {Host("h1", true), Host("h2", true)};
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
  now.hosts = {Host("h1", true), Host("h2", false)};
  AppView gave_up = App("billing", AppStatus::kStopped);
  gave_up.gave_up = true;
  gave_up.reason = "gave up after 5 restarts";
  now.apps = {gave_up, App("pricing", AppStatus::kStarted), App("quotes", AppStatus::kPending)};
  now.alarms = {"HA pair quotes/quotes-b switched over 3 times in 600 s: held"};
  std::vector<FrameworkEvent> e = FrameworkEventsOfState(now);
  // h1 answers with a fine certificate: renewed, which clears an alarm an
  // SCS raised before; of h2 nothing is known.
  EXPECT_EQ(Ids(e),
            (std::vector<int64_t>{fm::kLcaReachable, fm::kCertificateRenewed, fm::kLcaUnreachable,
                                  fm::kGaveUpRestarting, fm::kApplicationStarted, fm::kPairHeld}));
  EXPECT_EQ(e[1].host, "h1");
  EXPECT_EQ(e[1].application, "");
  EXPECT_EQ(e[2].host, "h2");
  EXPECT_EQ(e[2].level, client::LogLevel::kAlarm);
  EXPECT_EQ(e[3].application, "billing");
  EXPECT_EQ(e[4].application, "pricing");
  EXPECT_EQ(e[5].application, "quotes");
  now.hosts[0].certificate = {"certificate CN=h1 (/etc/tandem/h1.crt) expires in 9 days"};
  e = FrameworkEventsOfState(now);
  ASSERT_GE(e.size(), 2u);
  EXPECT_EQ(e[1].message_id, fm::kCertificateExpiring);
  EXPECT_EQ(e[1].level, client::LogLevel::kAlarm);
  EXPECT_EQ(e[1].text, now.hosts[0].certificate[0]);
}

TEST(ScsAlarmsTest, ACertificateIsLoggedWhenItBeginsToExpireAndWhenItIsRenewed) {
  const std::vector<std::string> soon = {"certificate CN=a expires in 20 days",
                                         "certificate CN=a is weak"};
  std::vector<FrameworkEvent> e = CertificateEvents("billing", "h1", {}, soon);
  ASSERT_EQ(Ids(e), std::vector<int64_t>{fm::kCertificateExpiring});
  EXPECT_EQ(e[0].application, "billing");
  EXPECT_EQ(e[0].host, "h1");
  EXPECT_EQ(e[0].text, "certificate CN=a expires in 20 days; certificate CN=a is weak");
  EXPECT_TRUE(CertificateEvents("billing", "h1", soon, {soon[0]}).empty())
      << "still expiring: the alarm is raised already";
  EXPECT_TRUE(CertificateEvents("billing", "h1", {}, {}).empty());
  e = CertificateEvents("", "h1", soon, {});
  ASSERT_EQ(Ids(e), std::vector<int64_t>{fm::kCertificateRenewed});
  EXPECT_EQ(e[0].level, client::LogLevel::kStandard);
  EXPECT_EQ(e[0].text, "the certificate of the LCA of h1 no longer expires within 30 days");
  // Nothing said before: the state as it is.
  EXPECT_EQ(Ids(CertificateEvents("billing", "h1", {})),
            std::vector<int64_t>{fm::kCertificateRenewed});
  EXPECT_EQ(Ids(CertificateEvents("billing", "h1", soon)),
            std::vector<int64_t>{fm::kCertificateExpiring});
}

TEST(ScsAlarmsTest, AnLcaWhoseCertificateChangesIsLoggedForItsHost) {
  ScsServer::Picture before, after;
  before.hosts = {Host("h1", true), Host("h2", true)};
  after = before;
  after.hosts[1].certificate = {"certificate CN=h2 expires in 3 days"};
  std::vector<FrameworkEvent> e = FrameworkEventsBetween(before, after);
  ASSERT_EQ(Ids(e), std::vector<int64_t>{fm::kCertificateExpiring});
  EXPECT_EQ(e[0].application, "") << "the LCA's";
  EXPECT_EQ(e[0].host, "h2");
  EXPECT_TRUE(FrameworkEventsBetween(after, after).empty());
  EXPECT_EQ(Ids(FrameworkEventsBetween(after, before)),
            std::vector<int64_t>{fm::kCertificateRenewed});
}

ScsServer::Picture Pair(cv1::HaMode a_mode, cv1::HaMode b_mode) {
  ScsServer::Picture p;
  AppView a = App("quotes", AppStatus::kStarted), b = App("quotes-b", AppStatus::kStarted);
  a.partner = "quotes-b";
  b.partner = "quotes";
  b.host = "h2";
  a.pid = 100;
  b.pid = 200;
  a.mode = a_mode;
  b.mode = b_mode;
  a.mode_epoch = 3;
  b.mode_epoch = 4;
  p.apps = {a, b, App("billing", AppStatus::kStarted)};
  return p;
}

TEST(ScsAlarmsTest, BothMembersOfAPairPrimaryForTheHoldIsASplitBrainUntilOneStepsDown) {
  SplitBrainWatch watch(absl::Seconds(2));
  const absl::Time t0 = absl::FromUnixSeconds(1'000'000);
  const ScsServer::Picture fine = Pair(cv1::HA_MODE_PRIMARY, cv1::HA_MODE_BACKUP);
  const ScsServer::Picture both = Pair(cv1::HA_MODE_PRIMARY, cv1::HA_MODE_PRIMARY);
  EXPECT_TRUE(watch.Step(fine, t0).empty());
  // A switchover: moments with two primaries are no split brain.
  EXPECT_TRUE(watch.Step(both, t0 + absl::Seconds(1)).empty());
  EXPECT_TRUE(watch.Step(both, t0 + absl::Milliseconds(2500)).empty()) << "1.5 s of 2";
  EXPECT_TRUE(
      watch.Step(Pair(cv1::HA_MODE_BACKUP, cv1::HA_MODE_PRIMARY), t0 + absl::Seconds(3)).empty());
  EXPECT_TRUE(watch.Step(both, t0 + absl::Seconds(4)).empty()) << "the hold starts again";
  std::vector<FrameworkEvent> e = watch.Step(both, t0 + absl::Seconds(6));
  ASSERT_EQ(Ids(e), std::vector<int64_t>{fm::kSplitBrain});
  EXPECT_EQ(e[0].application, "quotes") << "the pair's first member by name";
  EXPECT_EQ(e[0].level, client::LogLevel::kAlarm);
  EXPECT_EQ(e[0].text,
            "split brain: both members of the HA pair quotes/quotes-b run as primary (quotes on "
            "h1 epoch 3, quotes-b on h2 epoch 4) for 2s");
  EXPECT_TRUE(watch.Step(both, t0 + absl::Seconds(9)).empty()) << "raised once";
  // A member that is not running is no primary.
  ScsServer::Picture one_gone = both;
  one_gone.apps[1].pid = 0;
  e = watch.Step(one_gone, t0 + absl::Seconds(10));
  ASSERT_EQ(Ids(e), std::vector<int64_t>{fm::kSplitBrainResolved});
  EXPECT_EQ(e[0].application, "quotes");
  EXPECT_TRUE(watch.Step(fine, t0 + absl::Seconds(11)).empty());
  // An SCS that stops acting forgets; its successor says it again.
  watch.Step(both, t0 + absl::Seconds(20));
  ASSERT_EQ(Ids(watch.Step(both, t0 + absl::Seconds(23))), std::vector<int64_t>{fm::kSplitBrain});
  watch.Reset();
  EXPECT_TRUE(watch.Step(both, t0 + absl::Seconds(24)).empty());
  EXPECT_EQ(Ids(watch.Step(both, t0 + absl::Seconds(26))), std::vector<int64_t>{fm::kSplitBrain});
}

}  // namespace
}  // namespace tandem::scs
