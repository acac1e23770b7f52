// Two SCSs sharing one Message Server, with real processes: a master with
// authentication on, the Message Server, two LCAs (hosts h1 and h2) and two
// SCSs, scs-1 owning h1 and scs-2 owning h2. Each SCS publishes its hosts on
// `scs_distributed`, so either shows the whole environment; a command sent
// to scs-1 for an application on h2 is forwarded to scs-2, which has the
// master decide and audits it with the operator's name, as for a call of its
// own.
#include <signal.h>

#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "net/channel.h"
#include "net/lca_link.h"
#include "net/scs_service.h"
#include "net/tls.h"
#include "pki/pki.h"
#include "scs/pair_role.h"
#include "scs/scs_alarms.h"
#include "scs/scs_server.h"
#include "tandem/client/log_client.h"
#include "tandem/client/tandem_client.h"
#include "tandem/config/client.h"
#include "tandem/msg/v1/log.grpc.pb.h"
#include "testing/lca_process.h"
#include "testing/memory_epoch_store.h"
#include "testing/msgserver_process.h"
#include "testing/person.h"
#include "testing/scs_process.h"
#include "testing/tandemd_process.h"
#include "testing/test_pki.h"

namespace tandem::testing {
namespace {

namespace cv1 = ::tandem::control::v1;
using ::testing::HasSubstr;

class ScsDistributedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The master's audit trail goes to the Log Message Server too (buffered
    // by the master until the server runs, below).
    ms_port_ = FreePort();
    site_.Start(absl::StrCat("[audit]\nlog_servers = [\"127.0.0.1:", ms_port_, "\"]\n"));
    ASSERT_FALSE(HasFailure());
    Create("folder", R"({"name": "fleet", "properties": {}})");
    Create("host",
           R"({"name": "infra", "folder_dbid": 1, "properties": {"address": "127.0.0.1"}})");
    Create("app", absl::StrCat(R"({"name": "ms", "folder_dbid": 1, "properties": {
        "app_type": "MessageServer", "host": {"ref": "Host", "name": "infra"},
        "ports": [{"id": "default", "port": )",
                               ms_port_, "}]}}"));
    Create("app", R"({"name": "lca", "folder_dbid": 1, "properties": {"app_type": "LCA"}})");
    // The master's certificate names it: it may log (execute on ms).
    Create("app", R"({"name": "confserv", "folder_dbid": 1,
                      "properties": {"app_type": "ThirdPartyApp"}})");
    for (int i = 1; i <= 2; ++i) {
      scs_port_[i] = FreePort();
      lca_port_[i] = FreePort();
      Create("app", absl::StrCat(R"({"name": "scs-)", i, R"(", "folder_dbid": 1, "properties": {
          "app_type": "SCS", "host": {"ref": "Host", "name": "infra"},
          "ports": [{"id": "default", "port": )",
                                 scs_port_[i], "}]}}"));
      Create("host", absl::StrCat(R"({"name": "h)", i, R"(", "folder_dbid": 1, "properties": {
          "address": "127.0.0.1", "lca_port": )",
                                  lca_port_[i], R"(, "scs": {"ref": "Application", "name": "scs-)",
                                  i, R"("}}})"));
      Create("app", absl::StrCat(R"({"name": "svc)", i, R"(", "folder_dbid": 1, "properties": {
          "host": {"ref": "Host", "name": "h)",
                                 i, R"("}, "command_line": "sleep", "arguments": "300",
          "stop_timeout_s": 5}})"));
    }
    site_.AddPerson(dave_, "a long secret of his");
    for (const std::string grant : {"grant folder fleet --application lca --rights read",
                                    "grant folder fleet --application ms --rights read",
                                    "grant folder fleet --application scs-1 --rights read",
                                    "grant folder fleet --application scs-2 --rights read",
                                    "grant folder fleet --person dave --rights read",
                                    "grant app ms --application scs-1 --rights read,execute",
                                    "grant app ms --application scs-2 --rights read,execute",
                                    "grant app ms --application confserv --rights execute"}) {
      Run(admin_, grant);
    }

    MsgServerOptions mo;
    mo.masters = {at()};
    mo.application = "ms";
    mo.listen = absl::StrCat("127.0.0.1:", ms_port_);
    // A Log Message Server too: the SCSs log the framework's alarms there.
    mo.extra_toml = absl::StrCat("[logdb]\nsqlite = \"", tmp_.file("log.db"), "\"\n");
    ms_ = std::make_unique<MsgServerProcess>(mo);
    ms_->Start();
    for (int i = 1; i <= 2; ++i) {
      LcaOptions lo;
      lo.host = absl::StrCat("h", i);
      lo.config_servers = {at()};
      lo.listen = absl::StrCat("127.0.0.1:", lca_port_[i]);
      lca_[i] = std::make_unique<LcaProcess>(lo);
      lca_[i]->Start();
      ScsOptions so;
      so.masters = {at()};
      so.application = absl::StrCat("scs-", i);
      so.listen = absl::StrCat("127.0.0.1:", scs_port_[i]);
      so.extra_toml = absl::StrCat("audit_file = \"", tmp_.file(absl::StrCat("audit-", i)),
                                   "\"\nmessage_servers = [\"127.0.0.1:", ms_port_,
                                   "\"]\nlog_servers = [\"127.0.0.1:", ms_port_, "\"]\n");
      scs_[i] = std::make_unique<ScsProcess>(so);
      scs_[i]->Start();
    }
  }

  void TearDown() override {
    for (int i = 1; i <= 2; ++i) {
      absl::StatusOr<cv1::ScsStatusResponse> s = Client(i, admin_).Status({});
      if (s.ok()) {
        for (const cv1::ApplicationState& a : s->applications()) {
          if (a.pid() > 0) kill(static_cast<pid_t>(-a.pid()), SIGKILL);
        }
      }
      if (HasFailure() && scs_[i] != nullptr) std::cerr << scs_[i]->Log();
    }
  }

  std::string at() const { return site_.at(); }
  void Create(const std::string& type, const std::string& json) { site_.Create(type, json); }
  void Run(const Person& who, const std::string& args, const std::string& input = "") {
    site_.Run(who, args, input);
  }
  net::ScsControlClient Client(int i, const Person& who) const {
    return net::ScsControlClient(absl::StrCat("127.0.0.1:", scs_port_[i]), TestPki::Get().Trust(),
                                 std::string(absl::StripAsciiWhitespace(who.token())), "",
                                 absl::Seconds(15));
  }
  // svc's state as SCS i shows the environment (nullopt: not shown).
  std::optional<cv1::ApplicationState> Seen(int i, const std::string& app) const {
    cv1::ScsStatusRequest r;
    r.set_environment(true);
    absl::StatusOr<cv1::ScsStatusResponse> s = Client(i, admin_).Status(r);
    if (!s.ok()) return std::nullopt;
    for (const cv1::ApplicationState& a : s->applications()) {
      if (a.name() == app) return a;
    }
    return std::nullopt;
  }
  // The Log Message Server's active alarms, by "CONDITION APPLICATION".
  std::map<std::string, msg::v1::Alarm> ActiveAlarms() const {
    auto lms = msg::v1::LogService::NewStub(
        grpc::CreateChannel(ms_->address(), net::MakeChannelCredentials(TestPki::Get().Trust())));
    grpc::ClientContext ctx;
    net::AddCallerMetadata(ctx, std::string(absl::StripAsciiWhitespace(admin_.token())), "");
    msg::v1::ListAlarmsResponse resp;
    grpc::Status st = lms->ListAlarms(&ctx, {}, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    std::map<std::string, msg::v1::Alarm> out;
    for (const msg::v1::Alarm& a : resp.alarms()) out[a.condition() + " " + a.application()] = a;
    return out;
  }
  static bool WaitUntil(const std::function<bool()>& done, int seconds) {
    for (int i = 0; i < seconds * 10; ++i) {
      if (done()) return true;
      usleep(100 * 1000);
    }
    return false;
  }

  TempDir tmp_;
  OperatedMaster site_;
  std::unique_ptr<MsgServerProcess> ms_;
  std::unique_ptr<LcaProcess> lca_[3];
  std::unique_ptr<ScsProcess> scs_[3];
  int ms_port_ = 0;
  int scs_port_[3] = {0, 0, 0};
  int lca_port_[3] = {0, 0, 0};
  const Person& admin_ = site_.admin();
  Person dave_{"dave"};
};

// The framework's alarms: the acting SCS logs what happens on behalf of the
// application, and the Log Message Server's built-in rules raise and clear.
TEST_F(ScsDistributedTest, TheScsRaisesTheFrameworksAlarmsOnTheLogMessageServer) {
  auto active = [&] { return ActiveAlarms(); };
  // The reporter's first picture (half a second after the SCS began to act)
  // is where it starts from: what came before is not news.
  usleep(1500 * 1000);
  cv1::ControlRequest start;
  start.set_action(cv1::CONTROL_ACTION_START);
  start.set_application("svc1");
  ASSERT_TRUE(Client(1, admin_).Control(start).ok());
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto s = Seen(1, "svc1");
        return s.has_value() && s->status() == "Started" && s->pid() > 0;
      },
      20));
  ASSERT_EQ(kill(static_cast<pid_t>(Seen(1, "svc1")->pid()), SIGKILL), 0);
  ASSERT_TRUE(
      WaitUntil([&] { return active().count("framework.application-failed svc1") == 1; }, 20))
      << ms_->Log();
  msg::v1::Alarm failed = active()["framework.application-failed svc1"];
  EXPECT_EQ(failed.category(), "major");
  EXPECT_EQ(failed.host(), "h1");
  EXPECT_THAT(failed.text(), HasSubstr("svc1 on h1 exited while it should run"));
  // Started again: cleared.
  ASSERT_TRUE(Client(1, admin_).Control(start).ok());
  ASSERT_TRUE(
      WaitUntil([&] { return active().count("framework.application-failed svc1") == 0; }, 20));
  // An LCA lost: raised for its host; back: cleared.
  lca_[2]->Kill();
  ASSERT_TRUE(
      WaitUntil([&] { return active().count("framework.lca-unreachable scs-2") == 1; }, 30));
  EXPECT_EQ(active()["framework.lca-unreachable scs-2"].host(), "h2");
  // Back with a certificate that expires in 10 days: cleared, and the
  // certificate raised for its host (the LCA says so in its status stream).
  pki::IssueOptions soon;
  soon.dir = TestPki::Get().dir() + "/ca";
  soon.name = "lca";
  soon.out_dir = tmp_.file("soon");
  soon.ip_addresses = {"127.0.0.1"};
  soon.days = 10;
  ASSERT_TRUE(pki::Issue(soon).ok());
  LcaOptions lo;
  lo.host = "h2";
  lo.config_servers = {at()};
  lo.listen = absl::StrCat("127.0.0.1:", lca_port_[2]);
  lo.tls = TlsFiles{pki::CertPath(soon.out_dir, "lca"), pki::KeyPath(soon.out_dir, "lca"),
                    TestPki::Get().ca(), false};
  lca_[2] = std::make_unique<LcaProcess>(lo);
  lca_[2]->Start();
  ASSERT_TRUE(
      WaitUntil([&] { return active().count("framework.lca-unreachable scs-2") == 0; }, 30));
  ASSERT_TRUE(
      WaitUntil([&] { return active().count("framework.certificate-expiring scs-2") == 1; }, 30))
      << scs_[2]->Log();
  msg::v1::Alarm expiring = active()["framework.certificate-expiring scs-2"];
  EXPECT_EQ(expiring.host(), "h2");
  EXPECT_EQ(expiring.category(), "major");
  EXPECT_THAT(expiring.text(), HasSubstr("expires in"));
  EXPECT_EQ(active().count("framework.certificate-expiring scs-1"), 0u) << "h1's is fine";
  absl::StatusOr<cv1::ScsStatusResponse> hosts = Client(2, admin_).Status({});
  ASSERT_TRUE(hosts.ok()) << hosts.status();
  bool shown = false;
  for (const cv1::HostState& h : hosts->hosts()) {
    if (h.name() == "h2") shown = h.certificate_size() == 1;
  }
  EXPECT_TRUE(shown) << "the SCS shows the LCA's certificate";
}

// The audit trail in the Log Database: the master's committed writes (sent
// before the Log Message Server ran: buffered) and refused calls, the SCS's
// control actions, found with `tandemctl logs --audit`.
// The other SCS of a pair holds the lock with a newer epoch (it took over
// while this one was cut off), and an LCA refuses this one's command for
// it: this one steps down at once and raises framework.scs-split-brain.
// The SCS runs in the test: the real ScsServer, PairRole, reporter, Logger
// and configuration client, with a lock in memory and a link to h3 that
// answers as such an LCA.
class AnsweringPartner : public scs::PartnerProbe {
 public:
  bool Alive() override { return true; }
};
struct RecordedLinks {
  absl::Mutex mu;
  net::LcaEvents events ABSL_GUARDED_BY(mu);
  std::vector<scs::Command> sent ABSL_GUARDED_BY(mu);
};
class RecordingLink : public scs::HostLink {
 public:
  explicit RecordingLink(RecordedLinks& links) : links_(links) {}
  void Send(const scs::Command& command) override {
    absl::MutexLock l(&links_.mu);
    links_.sent.push_back(command);
  }

 private:
  RecordedLinks& links_;
};

TEST_F(ScsDistributedTest, AnScsThatAnLcaRefusesForANewerEpochStepsDownAndRaisesTheAlarm) {
  Create("app", R"({"name": "scs-3", "folder_dbid": 1, "properties": {
      "app_type": "SCS", "host": {"ref": "Host", "name": "infra"}}})");
  Create("host", absl::StrCat(R"({"name": "h3", "folder_dbid": 1, "properties": {
      "address": "127.0.0.1", "lca_port": )",
                              FreePort(), R"(, "scs": {"ref": "Application", "name": "scs-3"}}})"));
  Create("app", R"({"name": "svc3", "folder_dbid": 1, "properties": {
      "host": {"ref": "Host", "name": "h3"}, "command_line": "sleep", "arguments": "300"}})");
  Run(admin_, "grant folder fleet --application scs-3 --rights read");
  Run(admin_, "grant app ms --application scs-3 --rights read,execute");

  const TlsFiles tls = TestPki::Get().Client("scs-3");
  client::LoggerOptions lo;
  lo.servers = {ms_->address()};
  lo.tls = tls;
  lo.host = "scs-3";
  client::Logger log(lo);
  RecordedLinks links;
  scs::ScsServer server("scs-3", scs::ControllerOptions{}, Clock::Real(),
                        [&links](const std::string&, const std::string&, net::LcaEvents events) {
                          absl::MutexLock l(&links.mu);
                          links.events = std::move(events);
                          return std::make_unique<RecordingLink>(links);
                        });
  client::ClientOptions co;
  co.servers = {at()};
  co.application = "scs-3";
  co.types = {config::v1::OBJECT_TYPE_HOST, config::v1::OBJECT_TYPE_APPLICATION,
              config::v1::OBJECT_TYPE_SOLUTION};
  co.tls = tls;
  absl::StatusOr<std::unique_ptr<client::TandemClient>> cfg = client::TandemClient::Start(
      co, [&](const client::ObjectChange&) { server.ConfigChanged(); }, nullptr);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  ASSERT_TRUE((*cfg)->WaitReady(absl::Seconds(10)));
  MemoryEpochStore lock;
  AnsweringPartner partner;
  scs::PairRole role("scs-3", {}, Clock::Real(), lock, &partner);
  server.Start(**cfg, &role, "scs-4");
  scs::ScsAlarmReporter reporter(server, log, absl::Seconds(1));
  ASSERT_TRUE(WaitUntil(
      [&] {
        absl::MutexLock l(&links.mu);
        return server.Info().role() == cv1::SCS_ROLE_PRIMARY && links.events.up != nullptr;
      },
      10));
  net::LcaEvents events;
  {
    absl::MutexLock l(&links.mu);
    events = links.events;
  }
  events.up("h3", {});
  ASSERT_TRUE(server.Act(cv1::CONTROL_ACTION_START, {"svc3"}).ok());
  scs::Command sent;
  ASSERT_TRUE(WaitUntil(
      [&] {
        absl::MutexLock l(&links.mu);
        if (links.sent.empty()) return false;
        sent = links.sent.front();
        return true;
      },
      10));
  ASSERT_EQ(sent.application(), "svc3");
  ASSERT_TRUE(std::holds_alternative<cv1::StartProcessRequest>(sent.request));
  // scs-4 took the lock meanwhile, and h3's LCA has seen its epoch.
  lock.TakenBy("scs-4");
  events.failed("h3", std::get<cv1::StartProcessRequest>(sent.request),
                absl::FailedPreconditionError(
                    "scs epoch 1 is older than 2, which this LCA has seen: the sender is no "
                    "longer the primary SCS"));
  ASSERT_TRUE(WaitUntil([&] { return server.Snapshot().deposed == 1; }, 10));
  EXPECT_THAT(server.Snapshot().deposed_why, HasSubstr("the LCA of h3"));
  EXPECT_EQ(server.Info().role(), cv1::SCS_ROLE_BACKUP) << "stepped down, and stays down";
  ASSERT_TRUE(
      WaitUntil([&] { return ActiveAlarms().count("framework.scs-split-brain scs-3") == 1; }, 20))
      << ms_->Log();
  const msg::v1::Alarm alarm = ActiveAlarms()["framework.scs-split-brain scs-3"];
  EXPECT_EQ(alarm.category(), "major");
  EXPECT_THAT(alarm.text(), HasSubstr("stepped down"));
  EXPECT_THAT(alarm.text(), HasSubstr("no longer the primary SCS"));
  reporter.Stop();
  server.Stop();
  (*cfg)->Stop();
}

TEST_F(ScsDistributedTest, TheAuditTrailIsInTheLogDatabase) {
  usleep(1500 * 1000);
  cv1::ControlRequest start;
  start.set_action(cv1::CONTROL_ACTION_START);
  start.set_application("svc1");
  ASSERT_TRUE(Client(1, admin_).Control(start).ok());
  CommandResult refused = dave_.Ctl(at(), "set-option app svc1 x y z");
  EXPECT_NE(refused.code, 0) << "dave may only read";
  std::string out;
  ASSERT_TRUE(WaitUntil(
      [&] {
        CommandResult r = admin_.Ctl(at(), "logs --from ms --audit --limit 1000");
        out = r.out;
        return r.code == 0 && out.find("start application svc1: allowed") != std::string::npos &&
               out.find("refused") != std::string::npos;
      },
      20))
      << out;
  EXPECT_THAT(out, HasSubstr("created Host 'h1'")) << "written before the server ran";
  EXPECT_THAT(out, HasSubstr("person admin"));
  EXPECT_THAT(out, HasSubstr("person dave"));
  EXPECT_THAT(out, HasSubstr("svc1")) << "the SCS logs its action for the application";
  CommandResult plain = admin_.Ctl(at(), "logs --from ms --limit 1000");
  ASSERT_EQ(plain.code, 0) << plain.out;
}

TEST_F(ScsDistributedTest, EitherScsShowsTheEnvironmentAndForwardsToTheOwner) {
  // scs-1 hears of scs-2's svc2 (and the other way round) over the bus.
  ASSERT_TRUE(WaitUntil([&] { return Seen(1, "svc2").has_value(); }, 20)) << ms_->Log();
  ASSERT_TRUE(WaitUntil([&] { return Seen(2, "svc1").has_value(); }, 20));
  EXPECT_EQ(Seen(1, "svc2")->scs(), "scs-2");
  EXPECT_EQ(Seen(1, "svc2")->status(), "Stopped");
  EXPECT_EQ(Seen(1, "svc1")->scs(), "scs-1") << "and its own";

  // Start svc2 through scs-1: forwarded to scs-2, which starts it.
  cv1::ControlRequest start;
  start.set_action(cv1::CONTROL_ACTION_START);
  start.set_application("svc2");
  absl::StatusOr<cv1::ControlResponse> r = Client(1, admin_).Control(start);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->message(), HasSubstr("accepted by scs-2"));
  EXPECT_EQ(r->who(), "person admin");
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto s = Seen(2, "svc2");
        return s.has_value() && s->status() == "Started";
      },
      20));
  // scs-2 audited it with the operator's name and the way it came.
  const std::string audit = ReadFile(tmp_.file("audit-2"));
  EXPECT_THAT(audit, HasSubstr("\"who\":\"person admin\""));
  EXPECT_THAT(audit, HasSubstr("via scs-1"));
  EXPECT_EQ(ReadFile(tmp_.file("audit-1")), "") << "scs-1 did nothing itself";
  // And scs-1 sees it started, as scs-2 publishes it.
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto s = Seen(1, "svc2");
        return s.has_value() && s->status() == "Started";
      },
      20));

  // Dave may read but not execute: scs-2 refuses, through scs-1.
  cv1::ControlRequest stop;
  stop.set_action(cv1::CONTROL_ACTION_STOP);
  stop.set_application("svc2");
  absl::StatusOr<cv1::ControlResponse> refused = Client(1, dave_).Control(stop);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
  EXPECT_THAT(refused.status().message(),
              HasSubstr("person dave may not execute Application svc2"));
  EXPECT_THAT(ReadFile(tmp_.file("audit-2")), HasSubstr("refused"));
  EXPECT_EQ(Seen(2, "svc2")->status(), "Started");

  // The owner gone: the forwarder says so within its timeout, nothing hangs.
  scs_[2]->Kill();
  const absl::Time t0 = absl::Now();
  absl::StatusOr<cv1::ControlResponse> lost = Client(1, admin_).Control(stop);
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable) << lost.status();
  EXPECT_THAT(lost.status().message(), HasSubstr("no reply from the SCS pair of scs-2"));
  EXPECT_LT(absl::Now() - t0, absl::Seconds(14));
}

}  // namespace
}  // namespace tandem::testing
