// A real `tandemd lca` beside a real `tandemd confserv`: it obeys only the
// SCS its Host names (and that SCS's backup), follows a change of owner
// live, reports over WatchStatus, and survives its own kill -9 with its
// applications still running and re-adopted.
#include "testing/lca_process.h"

#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "testing/tandemd_process.h"

namespace tandem::testing {
namespace {

namespace v1 = config::v1;
namespace cv1 = control::v1;

bool Running(int64_t pid) {
  std::ifstream f(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(f, line)) return false;
  size_t paren = line.rfind(')');
  return paren != std::string::npos && line.size() > paren + 2 && line[paren + 2] != 'Z';
}

v1::Value Ref(v1::ObjectType type, const std::string& name) {
  v1::Value v;
  v.mutable_ref_value()->set_type(type);
  v.mutable_ref_value()->set_name(name);
  return v;
}

class LcaProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    master_.Start();
    CreateApp("scs-b", "");
    CreateApp("scs-a", "scs-b");
    CreateApp("scs-c", "");
    v1::ConfigObject host;
    host.set_type(v1::OBJECT_TYPE_HOST);
    host.set_name("h1");
    (*host.mutable_properties())["address"].set_string_value("127.0.0.1");
    (*host.mutable_properties())["scs"] = Ref(v1::OBJECT_TYPE_APPLICATION, "scs-a");
    host_ = Create(host);
    LcaOptions options;
    options.config_servers = {master_.address()};
    options.listen = absl::StrCat("127.0.0.1:", FreePort());  // the same after a restart
    lca_ = std::make_unique<LcaProcess>(options);
    lca_->Start();
  }
  void TearDown() override {
    if (lca_ == nullptr) return;
    // Its applications outlive it by design: stop them first.
    auto stub = lca_->Control("scs-a");
    grpc::ClientContext ctx;
    cv1::GetStatusResponse all;
    if (stub->GetStatus(&ctx, {}, &all).ok()) {
      for (const auto& p : all.processes()) {
        grpc::ClientContext c;
        cv1::StopProcessRequest stop;
        stop.mutable_header()->set_scs_epoch(all.scs_epoch());
        stop.set_application(p.application());
        cv1::ProcessStatus out;
        (void)stub->StopProcess(&c, stop, &out);
        if (p.pid() > 0) kill(static_cast<pid_t>(-p.pid()), SIGKILL);
      }
    }
  }

  v1::ConfigObject Create(const v1::ConfigObject& o) {
    auto stub = master_.Stub();
    grpc::ClientContext ctx;
    v1::CreateRequest req;
    *req.mutable_object() = o;
    v1::CreateResponse resp;
    grpc::Status st = stub->Create(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.object();
  }
  void CreateApp(const std::string& name, const std::string& backup) {
    v1::ConfigObject app;
    app.set_type(v1::OBJECT_TYPE_APPLICATION);
    app.set_name(name);
    (*app.mutable_properties())["app_type"].set_string_value("SCS");
    if (!backup.empty()) {
      (*app.mutable_properties())["backup"] = Ref(v1::OBJECT_TYPE_APPLICATION, backup);
    }
    Create(app);
  }
  void SetOwner(const std::string& scs) {
    auto stub = master_.Stub();
    grpc::ClientContext ctx;
    v1::UpdateRequest req;
    *req.mutable_object() = host_;
    (*req.mutable_object()->mutable_properties())["scs"] = Ref(v1::OBJECT_TYPE_APPLICATION, scs);
    v1::UpdateResponse resp;
    grpc::Status st = stub->Update(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    host_ = resp.object();
  }

  // GetStatus as `caller`, retried while the LCA has not read its owners yet.
  grpc::Status GetStatus(const std::string& caller, cv1::GetStatusResponse* out,
                         grpc::StatusCode until_not = grpc::StatusCode::PERMISSION_DENIED) {
    auto stub = lca_->Control(caller);
    grpc::Status st;
    for (int i = 0; i < 250; ++i) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      ctx.set_wait_for_ready(true);  // through the channel's reconnect after an LCA restart
      st = stub->GetStatus(&ctx, {}, out);
      // UNAVAILABLE: a call sent on the connection to an LCA just killed.
      if (st.error_code() != until_not && st.error_code() != grpc::StatusCode::UNAVAILABLE) {
        return st;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return st;
  }

  cv1::ProcessStatus StartSleeper(const std::string& caller, int64_t epoch) {
    auto stub = lca_->Control(caller);
    grpc::ClientContext ctx;
    cv1::StartProcessRequest req;
    req.mutable_header()->set_scs_epoch(epoch);
    req.mutable_spec()->set_application("sleeper");
    req.mutable_spec()->set_dbid(42);
    req.mutable_spec()->set_command_line("sleep");
    req.mutable_spec()->add_arguments("300");
    cv1::ProcessStatus out;
    grpc::Status st = stub->StartProcess(&ctx, req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  TandemdProcess master_;
  v1::ConfigObject host_;
  std::unique_ptr<LcaProcess> lca_;
};

// Only the Host's SCS and its backup may call; anyone else is refused with
// who owns the host, and no certificate at all is refused too.
TEST_F(LcaProcessTest, ObeysOnlyTheOwningScsPair) {
  cv1::GetStatusResponse status;
  ASSERT_TRUE(GetStatus("scs-a", &status).ok()) << lca_->Log();
  EXPECT_EQ(status.host(), "h1");
  EXPECT_EQ(std::vector<std::string>(status.owners().begin(), status.owners().end()),
            (std::vector<std::string>{"scs-a", "scs-b"}));
  EXPECT_TRUE(GetStatus("scs-b", &status).ok());
  grpc::Status other = GetStatus("scs-c", &status, grpc::StatusCode::OK);
  EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(other.error_message().find("application scs-c does not own this host"),
            std::string::npos)
      << other.error_message();
  EXPECT_NE(other.error_message().find("scs-a or scs-b"), std::string::npos);
  {
    auto stub = lca_->Control("scs-c");
    grpc::ClientContext ctx;
    cv1::StartProcessRequest req;
    req.mutable_spec()->set_application("evil");
    req.mutable_spec()->set_command_line("/bin/true");
    cv1::ProcessStatus out;
    EXPECT_EQ(stub->StartProcess(&ctx, req, &out).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  grpc::Status anonymous = GetStatus("", &status, grpc::StatusCode::OK);
  EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(anonymous.error_message().find("client certificate"), std::string::npos);

  // The Host changes hands: the new owner is obeyed, the old one refused.
  SetOwner("scs-c");
  EXPECT_TRUE(GetStatus("scs-c", &status).ok());
  EXPECT_EQ(GetStatus("scs-a", &status, grpc::StatusCode::OK).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// WatchStatus gives the picture, then each change; after kill -9 and a
// restart the LCA still knows its running process (same pid) and keeps the
// owners and the SCS epoch it had.
TEST_F(LcaProcessTest, SurvivesItsOwnKillMinus9) {
  cv1::GetStatusResponse status;
  ASSERT_TRUE(GetStatus("scs-a", &status).ok()) << lca_->Log();
  auto stub = lca_->Control("scs-a");
  grpc::ClientContext watch_ctx;
  auto watch = stub->WatchStatus(&watch_ctx, {});
  cv1::StatusEvent ev;
  ASSERT_TRUE(watch->Read(&ev));
  EXPECT_TRUE(ev.initial());
  EXPECT_EQ(ev.processes_size(), 0);
  StartSleeper("scs-a", 3);
  int64_t pid = 0;
  while (pid == 0 && watch->Read(&ev)) {
    for (const auto& p : ev.processes()) {
      if (p.application() == "sleeper" && p.state() == cv1::PROCESS_STATE_RUNNING) pid = p.pid();
    }
  }
  ASSERT_GT(pid, 0);
  watch_ctx.TryCancel();

  lca_->Kill();
  ASSERT_TRUE(Running(pid));
  lca_->Start();
  grpc::Status after = GetStatus("scs-a", &status);
  ASSERT_TRUE(after.ok()) << after.error_message() << "\n" << lca_->Log();
  ASSERT_EQ(status.processes_size(), 1);
  EXPECT_EQ(status.processes(0).state(), cv1::PROCESS_STATE_RUNNING);
  EXPECT_EQ(status.processes(0).pid(), pid);
  EXPECT_EQ(status.scs_epoch(), 3);
  EXPECT_NE(lca_->Log().find("re-adopting"), std::string::npos);

  // Stop after the restart ends it; an older epoch is refused.
  grpc::ClientContext old_ctx;
  cv1::StopProcessRequest stop;
  stop.mutable_header()->set_scs_epoch(2);
  stop.set_application("sleeper");
  stop.set_timeout_s(5);
  cv1::ProcessStatus out;
  EXPECT_EQ(stub->StopProcess(&old_ctx, stop, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  grpc::ClientContext stop_ctx;
  stop.mutable_header()->set_scs_epoch(3);
  ASSERT_TRUE(stub->StopProcess(&stop_ctx, stop, &out).ok());
  for (int i = 0; i < 250 && Running(pid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(Running(pid));
}

// An application on libtandem links to its LCA: it reports Started,
// confirms each mode it is handed (with its epoch), is seen hung when its
// heartbeats stop (SIGSTOP) and well again when they resume, and links again
// by itself after the LCA's kill -9.
TEST_F(LcaProcessTest, ApplicationLinkCarriesStatusModeAndHeartbeats) {
  CreateApp("sampler", "");
  cv1::GetStatusResponse status;
  ASSERT_TRUE(GetStatus("scs-a", &status).ok()) << lca_->Log();
  auto stub = lca_->Control("scs-a");
  {
    grpc::ClientContext ctx;
    cv1::StartProcessRequest req;
    req.mutable_header()->set_scs_epoch(1);
    auto& spec = *req.mutable_spec();
    spec.set_application("sampler");
    spec.set_dbid(9);
    spec.set_command_line(TANDEM_SAMPLE_BIN);
    for (const std::string& a :
         std::vector<std::string>{"--servers", master_.address(), "--ca", master_.ClientTls().ca}) {
      spec.add_arguments(a);
    }
    spec.set_os_user("root");  // to read the test CA's files
    spec.set_heartbeat_period_s(1);
    spec.set_hangup_timeout_s(2);
    req.set_mode(cv1::HA_MODE_BACKUP);
    req.set_mode_epoch(1);
    cv1::ProcessStatus out;
    grpc::Status st = stub->StartProcess(&ctx, req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  auto wait_for = [&](const std::function<bool(const cv1::ProcessStatus&)>& done, int seconds) {
    for (int i = 0; i < seconds * 20; ++i) {
      cv1::GetStatusResponse r;
      if (GetStatus("scs-a", &r).ok() && r.processes_size() > 0) {
        for (const auto& p : r.processes()) {
          if (p.application() == "sampler" && done(p)) return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  ASSERT_TRUE(wait_for(
      [](const cv1::ProcessStatus& p) {
        return p.registered() && p.app_status() == cv1::APP_STATUS_STARTED &&
               p.confirmed_mode() == cv1::HA_MODE_BACKUP && p.confirmed_epoch() == 1;
      },
      20))
      << lca_->Log();
  {
    grpc::ClientContext ctx;
    cv1::SetModeRequest req;
    req.mutable_header()->set_scs_epoch(1);
    req.set_application("sampler");
    req.set_mode(cv1::HA_MODE_PRIMARY);
    req.set_mode_epoch(2);
    cv1::ProcessStatus out;
    ASSERT_TRUE(stub->SetMode(&ctx, req, &out).ok());
  }
  ASSERT_TRUE(wait_for(
      [](const cv1::ProcessStatus& p) {
        return p.confirmed_mode() == cv1::HA_MODE_PRIMARY && p.confirmed_epoch() == 2;
      },
      10));
  cv1::GetStatusResponse r;
  ASSERT_TRUE(GetStatus("scs-a", &r).ok());
  const int64_t pid = r.processes(0).pid();
  std::ifstream log(r.processes(0).log_file());
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("mode: primary (epoch 2)"), std::string::npos) << text;

  kill(static_cast<pid_t>(pid), SIGSTOP);
  EXPECT_TRUE(wait_for([](const cv1::ProcessStatus& p) { return p.hung(); }, 10));
  kill(static_cast<pid_t>(pid), SIGCONT);
  EXPECT_TRUE(wait_for([](const cv1::ProcessStatus& p) { return !p.hung(); }, 10));

  lca_->Kill();
  lca_->Start();
  EXPECT_TRUE(
      wait_for([&](const cv1::ProcessStatus& p) { return p.pid() == pid && p.registered(); }, 20))
      << lca_->Log();
}

// A bootstrap file that would let the LCA run without mutual TLS, or with
// root as the default user, is refused at start with what to fix.
TEST(LcaConfigTest, RefusesUnsafeBootstrapFiles) {
  TempDir dir;
  auto run = [&](const std::string& toml) {
    std::ofstream(dir.file("lca.toml")) << toml;
    return Shell(BinaryPath("tandemd") + " lca -f " + dir.file("lca.toml") + " 2>&1");
  };
  const std::string lca = "[lca]\nhost = \"h1\"\nlisten = \"127.0.0.1:0\"\napplication = \"lca\"\n";
  const std::string rest = "[config]\nservers = [\"127.0.0.1:1\"]\n[tls]\nplaintext = true\n";
  CommandResult plain = run(lca + rest);
  EXPECT_EQ(plain.code, 2);
  EXPECT_NE(plain.out.find("mutual TLS"), std::string::npos) << plain.out;
  CommandResult root = run(lca + "default_user = \"root\"\n" + rest);
  EXPECT_EQ(root.code, 2);
  EXPECT_NE(root.out.find("default_user must not be root"), std::string::npos) << root.out;
  CommandResult nohost = run("[lca]\nlisten = \"127.0.0.1:0\"\n[tls]\nplaintext = true\n");
  EXPECT_EQ(nohost.code, 2);
  EXPECT_NE(nohost.out.find("[lca] host is required"), std::string::npos) << nohost.out;
  CommandResult example = Shell(BinaryPath("tandemd") + " lca --example-config");
  EXPECT_EQ(example.code, 0);
  EXPECT_NE(example.out.find("[lca]"), std::string::npos);
}

}  // namespace
}  // namespace tandem::testing
