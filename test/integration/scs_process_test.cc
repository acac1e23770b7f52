// A real `tandemd scs` driving two real `tandemd lca` (hosts h1 and h2 on
// loopback) from a real `tandemd confserv`: autostart, restart after
// kill -9, an HA pair switched over when its primary is killed, and an LCA
// restart shorter than the grace period that switches nothing.
#include "testing/scs_process.h"

#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "testing/lca_process.h"
#include "testing/tandemd_process.h"

namespace tandem::testing {
namespace {

namespace v1 = config::v1;
namespace cv1 = control::v1;

v1::Value Ref(v1::ObjectType type, const std::string& name) {
  v1::Value v;
  v.mutable_ref_value()->set_type(type);
  v.mutable_ref_value()->set_name(name);
  return v;
}

class ScsProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    master_.Start();
    Create(App("scs", "", {}));
    for (const std::string h : {"h1", "h2"}) {
      const int port = FreePort();
      v1::ConfigObject host;
      host.set_type(v1::OBJECT_TYPE_HOST);
      host.set_name(h);
      host.set_enabled(true);
      (*host.mutable_properties())["address"].set_string_value("127.0.0.1");
      (*host.mutable_properties())["lca_port"].set_int_value(port);
      (*host.mutable_properties())["scs"] = Ref(v1::OBJECT_TYPE_APPLICATION, "scs");
      Create(host);
      LcaOptions o;
      o.host = h;
      o.config_servers = {master_.address()};
      o.listen = absl::StrCat("127.0.0.1:", port);
      lcas_[h] = std::make_unique<LcaProcess>(o);
      lcas_[h]->Start();
    }
  }
  void TearDown() override {
    if (scs_ != nullptr) scs_->Kill();
    for (auto& [h, lca] : lcas_) {
      cv1::GetStatusResponse all;
      if (!Status(h, &all).ok()) continue;
      for (const auto& p : all.processes()) {
        if (p.pid() > 0) kill(static_cast<pid_t>(-p.pid()), SIGKILL);
      }
    }
  }

  static v1::ConfigObject App(const std::string& name, const std::string& host,
                              std::map<std::string, v1::Value> props) {
    v1::ConfigObject app;
    app.set_type(v1::OBJECT_TYPE_APPLICATION);
    app.set_name(name);
    app.set_enabled(true);
    for (auto& [k, v] : props) (*app.mutable_properties())[k] = v;
    if (!host.empty()) {
      (*app.mutable_properties())["host"] = Ref(v1::OBJECT_TYPE_HOST, host);
      (*app.mutable_properties())["command_line"].set_string_value("sleep");
      (*app.mutable_properties())["arguments"].set_string_value("300");
      (*app.mutable_properties())["auto_restart"].set_bool_value(true);
      (*(*app.mutable_options())["sml"].mutable_entries())["autostart"] = "true";
    }
    return app;
  }
  void Create(const v1::ConfigObject& o) {
    auto stub = master_.Stub();
    grpc::ClientContext ctx;
    v1::CreateRequest req;
    *req.mutable_object() = o;
    v1::CreateResponse resp;
    grpc::Status st = stub->Create(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  void StartScs(int grace_period_s = 3) {
    ScsOptions o;
    o.masters = {master_.address()};
    o.grace_period_s = grace_period_s;
    scs_ = std::make_unique<ScsProcess>(o);
    scs_->Start();
  }
  grpc::Status Status(const std::string& host, cv1::GetStatusResponse* out) {
    auto stub = lcas_[host]->Control(caller_);
    grpc::Status st;
    for (int i = 0; i < 100; ++i) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      st = stub->GetStatus(&ctx, {}, out);
      if (st.error_code() != grpc::StatusCode::UNAVAILABLE &&
          st.error_code() != grpc::StatusCode::PERMISSION_DENIED) {
        return st;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return st;
  }
  // The LCA's status of `app` once `done` holds (within `seconds`).
  std::optional<cv1::ProcessStatus> WaitFor(
      const std::string& host, const std::string& app,
      const std::function<bool(const cv1::ProcessStatus&)>& done, int seconds = 15) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      cv1::GetStatusResponse r;
      if (Status(host, &r).ok()) {
        for (const auto& p : r.processes()) {
          if (p.application() == app && done(p)) return p;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }
  static bool IsRunning(const cv1::ProcessStatus& p) {
    return p.state() == cv1::PROCESS_STATE_RUNNING && p.pid() > 0;
  }

  TandemdProcess master_;
  std::map<std::string, std::unique_ptr<LcaProcess>> lcas_;
  std::unique_ptr<ScsProcess> scs_;
  //! Whose certificate reads the LCAs (an owner of the hosts).
  std::string caller_ = "scs";
};

// Autostart starts it once the SCS runs; after kill -9 it is started again
// (auto_restart), and the SCS's status file counts the restart.
TEST_F(ScsProcessTest, AutostartAndRestartAfterKill9) {
  Create(App("svc", "h1", {}));
  StartScs();
  auto first = WaitFor("h1", "svc", IsRunning);
  ASSERT_TRUE(first.has_value()) << scs_->Log();
  kill(static_cast<pid_t>(first->pid()), SIGKILL);
  auto second = WaitFor("h1", "svc", [&](const cv1::ProcessStatus& p) {
    return IsRunning(p) && p.pid() != first->pid();
  });
  ASSERT_TRUE(second.has_value()) << scs_->Log();
  EXPECT_EQ(second->starts(), 2);
  EXPECT_EQ(second->last_exit().signal(), SIGKILL);
  bool counted = false;
  for (int i = 0; i < 100 && !counted; ++i) {
    std::ifstream f(scs_->status_file());
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    counted = text.find("\"restarts\": 1") != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(counted);
}

// Killing the primary of a warm-standby pair makes its backup primary, with
// a higher mode epoch; the old primary comes back as backup.
// An LCA restart shorter than the grace period (10 s here) switches nothing.
TEST_F(ScsProcessTest, PairSwitchesOverWhenItsPrimaryIsKilled) {
  Create(App("pb", "h2", {}));
  v1::Value warm;
  warm.set_string_value("warm-standby");
  Create(
      App("pa", "h1", {{"redundancy", warm}, {"backup", Ref(v1::OBJECT_TYPE_APPLICATION, "pb")}}));
  // A grace period well past an LCA restart even under ASan on a loaded
  // machine (3.7 s once, against the default 3 s).
  StartScs(10);
  auto pa = WaitFor("h1", "pa", [](const cv1::ProcessStatus& p) {
    return IsRunning(p) && p.mode() == cv1::HA_MODE_PRIMARY;
  });
  auto pb = WaitFor("h2", "pb", [](const cv1::ProcessStatus& p) {
    return IsRunning(p) && p.mode() == cv1::HA_MODE_BACKUP;
  });
  ASSERT_TRUE(pa.has_value() && pb.has_value()) << scs_->Log();

  // An LCA restart within the grace period: nothing switches.
  lcas_["h1"]->Kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  lcas_["h1"]->Start();
  ASSERT_TRUE(WaitFor("h1", "pa", IsRunning).has_value()) << "re-adopted by the new LCA";
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the SCS hears it again meanwhile
  auto still = WaitFor("h2", "pb", IsRunning);
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(still->mode(), cv1::HA_MODE_BACKUP) << scs_->Log();
  EXPECT_EQ(still->mode_epoch(), pb->mode_epoch());

  const auto killed = std::chrono::steady_clock::now();
  kill(static_cast<pid_t>(pa->pid()), SIGKILL);
  auto promoted = WaitFor(
      "h2", "pb", [](const cv1::ProcessStatus& p) { return p.mode() == cv1::HA_MODE_PRIMARY; });
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - killed);
  ASSERT_TRUE(promoted.has_value()) << scs_->Log();
  EXPECT_GT(promoted->mode_epoch(), pb->mode_epoch());
  // Timing is measured by bench/ (not asserted here, on a shared machine).
  std::cout << "process death -> backup primary: " << took.count() << " ms\n";
  auto back = WaitFor("h1", "pa", [&](const cv1::ProcessStatus& p) {
    return IsRunning(p) && p.pid() != pa->pid() && p.mode() == cv1::HA_MODE_BACKUP;
  });
  EXPECT_TRUE(back.has_value()) << scs_->Log();
}

// An SCS pair: exactly one acts; kill -9 of the one acting makes the other
// take over (a higher SCS epoch, which the LCAs now require) and carry on:
// an application killed right after is restarted by the new primary.
TEST_F(ScsProcessTest, ScsPairTakesOverWhenItsPrimaryDies) {
  v1::ConfigObject h0;
  h0.set_type(v1::OBJECT_TYPE_HOST);
  h0.set_name("h0");
  h0.set_enabled(true);
  (*h0.mutable_properties())["address"].set_string_value("127.0.0.1");
  Create(h0);
  std::map<std::string, int> ports = {{"scs-a", FreePort()}, {"scs-b", FreePort()}};
  auto scs_app = [&](const std::string& name, const std::string& backup) {
    std::map<std::string, v1::Value> props;
    props["app_type"].set_string_value("SCS");
    props["host"] = Ref(v1::OBJECT_TYPE_HOST, "h0");
    v1::Record port;
    (*port.mutable_fields())["id"].set_string_value("default");
    (*port.mutable_fields())["port"].set_int_value(ports[name]);
    *props["ports"].mutable_list_value()->add_values()->mutable_record_value() = port;
    if (!backup.empty()) props["backup"] = Ref(v1::OBJECT_TYPE_APPLICATION, backup);
    return App(name, "", props);
  };
  Create(scs_app("scs-b", ""));
  Create(scs_app("scs-a", "scs-b"));
  {  // h1 now belongs to the pair
    auto stub = master_.Stub();
    grpc::ClientContext get_ctx;
    v1::GetRequest get;
    get.set_type(v1::OBJECT_TYPE_HOST);
    get.set_name("h1");
    v1::GetResponse host;
    ASSERT_TRUE(stub->Get(&get_ctx, get, &host).ok());
    grpc::ClientContext ctx;
    v1::UpdateRequest req;
    *req.mutable_object() = host.object();
    (*req.mutable_object()->mutable_properties())["scs"] =
        Ref(v1::OBJECT_TYPE_APPLICATION, "scs-a");
    v1::UpdateResponse resp;
    ASSERT_TRUE(stub->Update(&ctx, req, &resp).ok());
  }
  Create(App("svc", "h1", {}));
  caller_ = "scs-a";
  std::map<std::string, std::unique_ptr<ScsProcess>> pair;
  for (const std::string name : {"scs-a", "scs-b"}) {
    ScsOptions o;
    o.masters = {master_.address()};
    o.application = name;
    o.listen = absl::StrCat("127.0.0.1:", ports[name]);
    pair[name] = std::make_unique<ScsProcess>(o);
    pair[name]->Start();
  }
  auto role_of = [&](const std::string& name) {
    std::ifstream f(pair[name]->status_file());
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (text.find("\"role\": \"primary\"") != std::string::npos) return std::string("primary");
    if (text.find("\"role\": \"backup\"") != std::string::npos) return std::string("backup");
    return std::string("?");
  };
  std::string primary, backup;
  for (int i = 0; i < 500 && primary.empty(); ++i) {
    if (role_of("scs-a") == "primary" && role_of("scs-b") == "backup")
      primary = "scs-a", backup = "scs-b";
    if (role_of("scs-b") == "primary" && role_of("scs-a") == "backup")
      primary = "scs-b", backup = "scs-a";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(primary.empty()) << role_of("scs-a") << "/" << role_of("scs-b") << "\n"
                                << pair["scs-a"]->Log() << pair["scs-b"]->Log();
  auto first = WaitFor("h1", "svc", IsRunning);
  ASSERT_TRUE(first.has_value()) << pair[primary]->Log();

  pair[primary]->Kill();
  kill(static_cast<pid_t>(first->pid()), SIGKILL);
  auto again = WaitFor(
      "h1", "svc",
      [&](const cv1::ProcessStatus& p) { return IsRunning(p) && p.pid() != first->pid(); }, 20);
  ASSERT_TRUE(again.has_value()) << pair[backup]->Log();
  EXPECT_EQ(role_of(backup), "primary");
  cv1::GetStatusResponse r;
  ASSERT_TRUE(Status("h1", &r).ok());
  EXPECT_GE(r.scs_epoch(), 2) << "the new primary's epoch is the LCA's now";
  // The old primary, restarted, is the backup.
  pair[primary]->Start();
  bool demoted = false;
  for (int i = 0; i < 250 && !demoted; ++i) {
    demoted = role_of(primary) == "backup";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(demoted) << pair[primary]->Log();
  EXPECT_EQ(role_of(backup), "primary");
}

}  // namespace
}  // namespace tandem::testing
