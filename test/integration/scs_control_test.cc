// Operators driving the management layer with tandemctl, end to end with
// real processes: a master with authentication on, one LCA, one SCS.
// `tandemctl app start|stop|restart --wait`, `app status`, `host status`,
// `solution start|stop` in dependency order; the Execute right decides who
// may (the master checks it for the SCS), and every action, allowed or
// refused, is in the SCS's audit file with the authenticated caller.
#include <signal.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "net/scs_service.h"
#include "nlohmann/json.hpp"
#include "testing/lca_process.h"
#include "testing/person.h"
#include "testing/scs_process.h"
#include "testing/tandemd_process.h"
#include "testing/temp_dir.h"
#include "testing/test_pki.h"

namespace tandem::testing {
namespace {

namespace cv1 = ::tandem::control::v1;
using ::testing::HasSubstr;
using ::testing::Not;

class ScsControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    site_.Start();
    ASSERT_FALSE(HasFailure());
    scs_port_ = FreePort();
    lca_port_ = FreePort();
    // Everything managed lives in folder 1, "fleet".
    Create("folder", R"({"name": "fleet", "properties": {}})");
    Create("host", R"({"name": "ctl-host", "folder_dbid": 1,
                       "properties": {"address": "127.0.0.1"}})");
    Create("app", R"({"name": "lca", "folder_dbid": 1, "properties": {"app_type": "LCA"}})");
    Create("app", absl::StrCat(R"({"name": "scs", "folder_dbid": 1, "properties": {
        "app_type": "SCS", "host": {"ref": "Host", "name": "ctl-host"},
        "ports": [{"id": "default", "port": )",
                               scs_port_, "}]}}"));
    Create("host", absl::StrCat(R"({"name": "h1", "folder_dbid": 1, "properties": {
        "address": "127.0.0.1", "lca_port": )",
                                lca_port_, R"(, "scs": {"ref": "Application", "name": "scs"}}})"));
    Create("app", Sleeper("svc1", ""));
    Create("app", Sleeper("srv", ""));
    Create(
        "app",
        Sleeper("cli", R"(, "connections": [{"server": {"ref": "Application", "name": "srv"}}])"));
    Create("solution", R"({"name": "pay", "folder_dbid": 1, "properties": {"applications": [
        {"ref": "Application", "name": "cli"}, {"ref": "Application", "name": "srv"}]}})");
    site_.AddPerson(carol_, "a long secret of theirs");
    site_.AddPerson(dave_, "a long secret of theirs");
    // The LCA and the SCS read the fleet; carol and dave see it; carol may
    // start and stop svc1 and the solution, dave nothing.
    for (const std::string grant : {"grant folder fleet --application lca --rights read",
                                    "grant folder fleet --application scs --rights read",
                                    "grant folder fleet --person carol --rights read",
                                    "grant folder fleet --person dave --rights read",
                                    "grant app svc1 --person carol --rights execute",
                                    "grant solution pay --person carol --rights execute"}) {
      Run(admin_, grant);
    }

    LcaOptions lo;
    lo.host = "h1";
    lo.config_servers = {at()};
    lo.listen = absl::StrCat("127.0.0.1:", lca_port_);
    lo.extra_toml = lca_extra_toml_;
    lca_ = std::make_unique<LcaProcess>(lo);
    lca_->Start();
    ScsOptions so;
    so.masters = {at()};
    so.listen = absl::StrCat("127.0.0.1:", scs_port_);
    so.extra_toml = absl::StrCat("audit_file = \"", tmp_.file("audit.jsonl"), "\"\n");
    scs_ = std::make_unique<ScsProcess>(so);
    scs_->Start();
  }

  void TearDown() override {
    // Applications outlive their LCA by design: end them here.
    for (const char* app : {"svc1", "srv", "cli", "cs2"}) {
      CommandResult r = admin_.Ctl(at(), absl::StrCat("-o json app status ", app));
      nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
      if (j.is_array() && !j.empty() && j[0].value("pid", 0) > 0) {
        kill(static_cast<pid_t>(-j[0]["pid"].get<int64_t>()), SIGKILL);
      }
    }
    if (scs_ != nullptr) scs_->Kill();
    if (lca_ != nullptr) lca_->Kill();
  }

  std::string at() const { return site_.at(); }

  static std::string Sleeper(const std::string& name, const std::string& more) {
    return absl::StrCat(R"({"name": ")", name, R"(", "folder_dbid": 1, "properties": {
        "host": {"ref": "Host", "name": "h1"}, "command_line": "sleep", "arguments": "300",
        "stop_timeout_s": 5)",
                        more, "}}");
  }
  void Create(const std::string& type, const std::string& json) { site_.Create(type, json); }
  void Run(const Person& who, const std::string& args, const std::string& input = "") {
    site_.Run(who, args, input);
  }
  // The audit file's entries.
  std::vector<nlohmann::json> Audit() const {
    std::vector<nlohmann::json> out;
    for (absl::string_view line :
         absl::StrSplit(ReadFile(tmp_.file("audit.jsonl")), '\n', absl::SkipEmpty())) {
      out.push_back(nlohmann::json::parse(line));
    }
    return out;
  }
  // `tandemctl -o json app status NAME` as carol: the one entry.
  nlohmann::json StatusOf(const std::string& app) const {
    CommandResult r = carol_.Ctl(at(), "-o json app status " + app);
    EXPECT_EQ(r.code, 0) << r.out;
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_array() && j.size() == 1 ? j[0] : nlohmann::json();
  }
  // Waits until the SCS knows the host's LCA (the first status can race it).
  void WaitForHost(int applications = 3) {
    for (int i = 0; i < 100; ++i) {
      CommandResult r = carol_.Ctl(at(), "-o json host status h1");
      nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
      if (r.code == 0 && j.is_array() && j.size() == 1 && j[0]["lca"] == "up" &&
          j[0]["applications"] == applications) {
        return;
      }
      usleep(100 * 1000);
    }
    FAIL() << "the SCS never reported h1 up with " << applications << " applications";
  }

  TempDir tmp_;
  OperatedMaster site_;
  std::unique_ptr<LcaProcess> lca_;
  std::unique_ptr<ScsProcess> scs_;
  int scs_port_ = 0;
  int lca_port_ = 0;
  std::string lca_extra_toml_;
  const Person& admin_ = site_.admin();
  Person carol_{"carol"};
  Person dave_{"dave"};
};

// Start, restart and stop with --wait, as a person with the Execute right;
// statuses and hosts as tables and JSON; every action audited with her name.
TEST_F(ScsControlTest, StartRestartStopWithWaitAndAudit) {
  ASSERT_NO_FATAL_FAILURE(WaitForHost());
  CommandResult r = carol_.Ctl(at(), "app status");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("APPLICATION"));
  EXPECT_THAT(r.out, HasSubstr("svc1"));
  EXPECT_EQ(StatusOf("svc1")["status"], "Stopped") << "no autostart";

  r = carol_.Ctl(at(), "app start svc1 --wait --wait-timeout 30");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("svc1: Stopped -> "));
  EXPECT_THAT(r.out, HasSubstr("Started"));
  nlohmann::json s = StatusOf("svc1");
  EXPECT_EQ(s["status"], "Started");
  EXPECT_EQ(s["host"], "h1");
  EXPECT_EQ(s["scs"], "scs");
  const int64_t pid = s["pid"].get<int64_t>();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(kill(static_cast<pid_t>(pid), 0), 0) << "the process runs";

  r = carol_.Ctl(at(), "-o json app restart svc1 --wait --wait-timeout 30");
  ASSERT_EQ(r.code, 0) << r.out;
  nlohmann::json restarted = nlohmann::json::parse(r.out.substr(r.out.find('{')), nullptr, false);
  ASSERT_TRUE(restarted.is_object()) << r.out;
  EXPECT_EQ(restarted["who"], "person carol");
  ASSERT_EQ(restarted["applications"].size(), 1u);
  EXPECT_EQ(restarted["applications"][0]["status"], "Started");
  const int64_t pid2 = restarted["applications"][0]["pid"].get<int64_t>();
  EXPECT_NE(pid2, pid);
  EXPECT_EQ(restarted["applications"][0]["restarts"], 1);

  r = carol_.Ctl(at(), "app stop svc1 --wait --wait-timeout 30");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(StatusOf("svc1")["status"], "Stopped");
  for (int i = 0; i < 50 && kill(static_cast<pid_t>(pid2), 0) == 0; ++i) usleep(100 * 1000);
  EXPECT_NE(kill(static_cast<pid_t>(pid2), 0), 0) << "the process is gone";

  r = carol_.Ctl(at(), "host status");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("h1"));
  EXPECT_THAT(r.out, HasSubstr("up"));

  std::vector<nlohmann::json> audit = Audit();
  ASSERT_EQ(audit.size(), 3u) << ReadFile(tmp_.file("audit.jsonl"));
  const char* verbs[] = {"start", "restart", "stop"};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(audit[i]["who"], "person carol");
    EXPECT_EQ(audit[i]["action"], verbs[i]);
    EXPECT_EQ(audit[i]["target"], "application svc1");
    EXPECT_EQ(audit[i]["outcome"], "allowed");
    EXPECT_EQ(audit[i]["peer"], "127.0.0.1");
  }
}

// Without the Execute right, or without a session, nothing happens; the
// refusal says who and what, and is audited.
TEST_F(ScsControlTest, ExecuteRightDecides) {
  ASSERT_NO_FATAL_FAILURE(WaitForHost());
  CommandResult r = dave_.Ctl(at(), "app start svc1");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("person dave may not execute Application svc1"));
  EXPECT_THAT(r.out, HasSubstr("tandemctl grant app svc1"));
  // Carol may run svc1 but not cli (her right is on svc1 and the solution).
  r = carol_.Ctl(at(), "app start cli");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("person carol may not execute Application cli"));
  // No session at all, then a forged one (carol's token with its payload altered).
  Person mallory("mallory");
  r = mallory.Ctl(at(), "app status svc1");
  EXPECT_EQ(r.code, 1) << r.out;
  std::string forged = carol_.token();
  while (!forged.empty() && isspace(static_cast<unsigned char>(forged.back()))) forged.pop_back();
  // One character inside the signed payload (not the last one of a part,
  // whose low bits may be padding).
  const size_t at_payload = forged.find('.') + 5;
  ASSERT_LT(at_payload, forged.find('.', forged.find('.') + 1)) << forged;
  forged[at_payload] = forged[at_payload] == 'A' ? 'B' : 'A';
  mallory.set_token(forged);
  r = mallory.Ctl(at(), "app start svc1");
  EXPECT_EQ(r.code, 1) << r.out << " (the master refuses it when tandemctl looks svc1 up)";
  // Straight to the SCS: the master refuses it in the access check.
  net::ScsControlClient direct(absl::StrCat("127.0.0.1:", scs_port_), TestPki::Get().Trust(),
                               forged, "", absl::Seconds(5));
  cv1::ControlRequest start;
  start.set_action(cv1::CONTROL_ACTION_START);
  start.set_application("svc1");
  EXPECT_EQ(direct.Control(start).status().code(), absl::StatusCode::kUnauthenticated);
  usleep(500 * 1000);
  EXPECT_EQ(StatusOf("svc1")["status"], "Stopped");
  EXPECT_EQ(StatusOf("cli")["status"], "Stopped");

  std::vector<nlohmann::json> audit = Audit();
  ASSERT_EQ(audit.size(), 3u) << ReadFile(tmp_.file("audit.jsonl"));
  EXPECT_EQ(audit[0]["who"], "person dave");
  EXPECT_EQ(audit[0]["outcome"], "refused");
  EXPECT_EQ(audit[1]["who"], "person carol");
  EXPECT_EQ(audit[1]["target"], "application cli");
  EXPECT_EQ(audit[1]["outcome"], "refused");
  EXPECT_EQ(audit[2]["who"], "unauthenticated (credentials refused)") << "never carol's name";
  EXPECT_EQ(audit[2]["target"], "application svc1");
  EXPECT_EQ(audit[2]["outcome"], "refused");

  // Dave sees statuses (he may read) but the SCS does not act for him.
  r = dave_.Ctl(at(), "app status svc1");
  EXPECT_EQ(r.code, 0) << r.out;
}

// A solution starts its servers first and stops its clients first; the
// Execute right on the Solution is what counts.
TEST_F(ScsControlTest, SolutionInDependencyOrder) {
  ASSERT_NO_FATAL_FAILURE(WaitForHost());
  CommandResult r = carol_.Ctl(at(), "solution start pay --wait --wait-timeout 30");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("cli: Stopped -> "));
  // The LCA says when each started: the server first.
  cv1::GetStatusResponse lca;
  grpc::ClientContext ctx;
  ASSERT_TRUE(lca_->Control("scs")->GetStatus(&ctx, {}, &lca).ok());
  std::map<std::string, int64_t> since;
  for (const auto& p : lca.processes()) {
    since[p.application()] = p.since().seconds() * 1000000000 + p.since().nanos();
  }
  ASSERT_TRUE(since.contains("srv") && since.contains("cli"));
  EXPECT_LT(since["srv"], since["cli"]) << "the server is started before its client";
  r = carol_.Ctl(at(), "solution status pay");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("cli"));
  EXPECT_THAT(r.out, Not(HasSubstr("svc1")));
  r = carol_.Ctl(at(), "solution stop pay --wait --wait-timeout 30");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(StatusOf("srv")["status"], "Stopped");
  EXPECT_EQ(StatusOf("cli")["status"], "Stopped");
  r = dave_.Ctl(at(), "solution start pay");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("person dave may not execute Solution pay"));
  r = carol_.Ctl(at(), "solution restart pay");
  EXPECT_EQ(r.code, 2) << "not a command: " << r.out;
}

// A configuration server as a service of its host's LCA ([[lca.service]]),
// as the master pair runs on the framework VMs: it runs before any SCS and
// is restarted by the LCA while no SCS runs (a dead SCS never keeps it
// down); the SCS shows it like any application, and its stop holds it
// stopped until its start.
class ScsServiceTest : public ScsControlTest {
 protected:
  void SetUp() override {
    TandemdOptions o;  // only its bootstrap file is used: the LCA runs it
    cs2_ = std::make_unique<TandemdProcess>(o);
    lca_extra_toml_ =
        absl::StrCat("[[lca.service]]\napplication = \"cs2\"\ncommand_line = \"",
                     BinaryPath("tandemd"), "\"\narguments = [\"confserv\", \"-f\", \"",
                     cs2_->config_path(), "\"]\nos_user = \"root\"\n");
    ScsControlTest::SetUp();
    if (HasFatalFailure()) return;
    Create("app", absl::StrCat(R"({"name": "cs2", "folder_dbid": 1, "properties": {
        "app_type": "ConfigServer", "host": {"ref": "Host", "name": "h1"},
        "command_line": ")",
                               BinaryPath("tandemd"), R"(", "arguments": "confserv -f )",
                               cs2_->config_path(), R"(", "os_user": "root", "auto_restart": true,
        "stop_timeout_s": 5},
        "options": {"sml": {"autostart": "true"}}})"));
    Run(admin_, "grant app cs2 --person carol --rights execute");
  }
  // The service's own answer: `tandemctl status` against its port.
  bool Answers() const {
    std::ifstream in(cs2_->dir() + "/port");
    int port = 0;
    if (!(in >> port) || port == 0) return false;
    return carol_.Ctl(absl::StrCat("127.0.0.1:", port), "status").code == 0;
  }
  bool WaitAnswers() const {
    for (int i = 0; i < 100; ++i) {
      if (Answers()) return true;
      usleep(100 * 1000);
    }
    return false;
  }
  std::unique_ptr<TandemdProcess> cs2_;
};

TEST_F(ScsServiceTest, ConfigServerRunsAsAServiceTheScsControls) {
  ASSERT_TRUE(WaitAnswers()) << "the LCA started cs2 at its start";
  ASSERT_NO_FATAL_FAILURE(WaitForHost(4));
  nlohmann::json s = nlohmann::json::object();
  for (int i = 0; i < 50 && s.value("status", "") != "Started"; ++i) {
    usleep(100 * 1000);
    s = StatusOf("cs2");
    if (!s.is_object()) s = nlohmann::json::object();
  }
  ASSERT_EQ(s["status"], "Started") << s.dump();
  EXPECT_THAT(s.value("reason", ""), Not(HasSubstr("older spec")));
  const int64_t pid = s["pid"].get<int64_t>();

  // No SCS: the LCA alone brings a killed service back.
  scs_->Kill();
  ASSERT_EQ(kill(static_cast<pid_t>(pid), SIGKILL), 0);
  usleep(300 * 1000);
  ASSERT_TRUE(WaitAnswers()) << "restarted by its LCA with no SCS running";

  scs_->Start();
  CommandResult r = carol_.Ctl(at(), "app stop cs2 --wait --wait-timeout 30");
  ASSERT_EQ(r.code, 0) << r.out;
  sleep(2);
  EXPECT_FALSE(Answers()) << "the SCS's stop holds it stopped";
  EXPECT_EQ(StatusOf("cs2")["status"], "Stopped");
  r = carol_.Ctl(at(), "app start cs2 --wait --wait-timeout 30");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(WaitAnswers());
}

}  // namespace
}  // namespace tandem::testing
