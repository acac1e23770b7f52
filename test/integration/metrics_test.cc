// /metrics of real daemons (a confserv, a csproxy, an SCS with its LCA),
// read over HTTP and parsed by Prometheus' own Python parser
// (prometheus_client): per-call counters, the configuration's revision, role
// and proxy mode, the SCS's applications and restarts.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpcpp/client_context.h"
#include "httplib.h"
#include "testing/csproxy_process.h"
#include "testing/lca_process.h"
#include "testing/metrics_scrape.h"
#include "testing/scs_process.h"
#include "testing/tandemd_process.h"

namespace tandem {
namespace {

namespace v1 = config::v1;
using testing::At;
using testing::MetricsToml;
using testing::Samples;
using testing::Scrape;

const std::string kConfig = "grpc_service=\"tandem.config.v1.ConfigService\"";

// Creates on the master and a Get through the proxy show up in both
// servers' counters; revision, role and mode are those GetServerInfo
// reports; a proxy without its master says limited.
TEST(Metrics, ConfservAndCsproxyServeWhatTheyDo) {
  const int master_port = testing::FreePort();
  testing::TandemdOptions mo;
  mo.extra_toml = MetricsToml(master_port);
  testing::TandemdProcess master(mo);
  master.Start();
  const int proxy_port = testing::FreePort();
  testing::CsProxyOptions po;
  po.masters = {master.address()};
  po.extra_toml = MetricsToml(proxy_port);
  testing::CsProxyProcess proxy(po);
  proxy.Start();
  ASSERT_TRUE(proxy.WaitForMode(v1::PROXY_MODE_NORMAL, 20)) << proxy.Log();

  auto stub = master.Stub();
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext ctx;
    v1::CreateRequest req;
    req.mutable_object()->set_type(v1::OBJECT_TYPE_HOST);
    req.mutable_object()->set_name(absl::StrCat("h", i));
    (*req.mutable_object()->mutable_properties())["address"].set_string_value("192.0.2.1");
    v1::CreateResponse resp;
    ASSERT_TRUE(stub->Create(&ctx, req, &resp).ok());
  }
  const int64_t revision = master.Info().revision();

  Samples m = Scrape(master_port);
  EXPECT_EQ(At(m, absl::StrCat("grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Create\",",
                               kConfig, ",grpc_type=\"unary\"}")),
            3);
  EXPECT_EQ(At(m, absl::StrCat("grpc_server_handling_seconds_count{grpc_method=\"Create\",",
                               kConfig, ",grpc_type=\"unary\"}")),
            3);
  // The proxy follows the master over one open Watch stream.
  EXPECT_GE(At(m, absl::StrCat("tandem_grpc_server_in_flight{grpc_method=\"Watch\",", kConfig,
                               ",grpc_type=\"server_stream\"}")),
            1);
  EXPECT_EQ(At(m, "tandem_config_revision"), revision);
  EXPECT_EQ(At(m, "tandem_config_role{role=\"standalone\"}"), 1);
  EXPECT_EQ(At(m, "tandem_config_role{role=\"primary\"}"), 0);
  EXPECT_GT(At(m, "process_open_fds"), 0);
  EXPECT_GT(At(m, "process_resident_memory_bytes"), 0);

  // The proxy's copy reaches the revision; its Get is counted there.
  {
    grpc::ClientContext ctx;
    v1::GetRequest req;
    req.set_type(v1::OBJECT_TYPE_HOST);
    req.set_name("h0");
    v1::GetResponse resp;
    auto proxy_stub = proxy.Stub();
    for (int i = 0; i < 100 && proxy.Info().revision() < revision; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(proxy_stub->Get(&ctx, req, &resp).ok());
  }
  Samples p = Scrape(proxy_port);
  EXPECT_EQ(At(p, absl::StrCat("grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Get\",",
                               kConfig, ",grpc_type=\"unary\"}")),
            1);
  EXPECT_EQ(At(p, "tandem_config_revision"), revision);
  EXPECT_EQ(At(p, "tandem_config_role{role=\"proxy\"}"), 1);
  EXPECT_EQ(At(p, "tandem_proxy_mode{mode=\"normal\"}"), 1);
  EXPECT_EQ(At(p, "tandem_proxy_limited_seconds"), 0);
  // It followed the three creates on its master's watch, and is not behind.
  EXPECT_EQ(At(p, "tandem_proxy_changes_applied_total"), 3);
  EXPECT_EQ(At(p, "tandem_proxy_master_revision"), revision);
  EXPECT_EQ(At(p, "tandem_proxy_lag_revisions"), 0);
  EXPECT_GE(At(p, "tandem_proxy_apply_delay_seconds"), 0);
  EXPECT_LT(At(p, "tandem_proxy_apply_delay_seconds"), 5);

  master.Kill();
  ASSERT_TRUE(proxy.WaitForMode(v1::PROXY_MODE_LIMITED, 20)) << proxy.Log();
  p = Scrape(proxy_port);
  EXPECT_EQ(At(p, "tandem_proxy_mode{mode=\"limited\"}"), 1);
  EXPECT_EQ(At(p, "tandem_proxy_mode{mode=\"normal\"}"), 0);
}

// Only GET /metrics is served: another path is 404 and says where the
// metrics are; a write method is 405.
TEST(Metrics, OnlyGetMetricsIsServed) {
  const int port = testing::FreePort();
  testing::TandemdOptions o;
  o.extra_toml = MetricsToml(port);
  testing::TandemdProcess server(o);
  server.Start();
  httplib::Client http("127.0.0.1", port);
  auto res = http.Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_NE(res->body.find("GET /metrics"), std::string::npos) << res->body;
  res = http.Post("/metrics", "x", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
}

// A malformed [metrics] listen stops the start with the setting named; a
// taken port too, with what to do.
TEST(Metrics, ABadOrTakenAddressIsRefused) {
  testing::TandemdOptions bad;
  bad.extra_toml = "[metrics]\nlisten = \"no port here\"\n";
  testing::TandemdProcess first(bad);
  int status = 0;
  EXPECT_FALSE(first.StartOrExit(&status));
  EXPECT_NE(first.Log().find("[metrics] listen"), std::string::npos) << first.Log();

  const int port = testing::FreePort();
  testing::TandemdOptions o;
  o.extra_toml = MetricsToml(port);
  testing::TandemdProcess server(o);
  server.Start();
  testing::TandemdOptions o2;
  o2.extra_toml = MetricsToml(port);
  testing::TandemdProcess second(o2);
  EXPECT_FALSE(second.StartOrExit(&status));
  EXPECT_NE(second.Log().find("already in use"), std::string::npos) << second.Log();
}

// An SCS with one host (a real LCA) and one application it autostarts: its
// role, the application Started and up, then after kill -9 of the
// application the restart counted; the host's LCA up.
TEST(Metrics, TheScsCountsItsApplicationsAndRestarts) {
  testing::TandemdProcess master;
  master.Start();
  auto create = [&](const v1::ConfigObject& o) {
    grpc::ClientContext ctx;
    v1::CreateRequest req;
    *req.mutable_object() = o;
    v1::CreateResponse resp;
    grpc::Status st = master.Stub()->Create(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  };
  auto ref = [](v1::ObjectType type, const std::string& name) {
    v1::Value v;
    v.mutable_ref_value()->set_type(type);
    v.mutable_ref_value()->set_name(name);
    return v;
  };
  v1::ConfigObject scs;
  scs.set_type(v1::OBJECT_TYPE_APPLICATION);
  scs.set_name("scs");
  scs.set_enabled(true);
  ASSERT_NO_FATAL_FAILURE(create(scs));
  const int lca_port = testing::FreePort();
  v1::ConfigObject host;
  host.set_type(v1::OBJECT_TYPE_HOST);
  host.set_name("h1");
  host.set_enabled(true);
  (*host.mutable_properties())["address"].set_string_value("127.0.0.1");
  (*host.mutable_properties())["lca_port"].set_int_value(lca_port);
  (*host.mutable_properties())["scs"] = ref(v1::OBJECT_TYPE_APPLICATION, "scs");
  ASSERT_NO_FATAL_FAILURE(create(host));
  v1::ConfigObject app;
  app.set_type(v1::OBJECT_TYPE_APPLICATION);
  app.set_name("svc");
  app.set_enabled(true);
  (*app.mutable_properties())["host"] = ref(v1::OBJECT_TYPE_HOST, "h1");
  (*app.mutable_properties())["command_line"].set_string_value("sleep");
  (*app.mutable_properties())["arguments"].set_string_value("300");
  (*app.mutable_properties())["auto_restart"].set_bool_value(true);
  (*(*app.mutable_options())["sml"].mutable_entries())["autostart"] = "true";
  ASSERT_NO_FATAL_FAILURE(create(app));
  testing::LcaOptions lo;
  lo.host = "h1";
  lo.config_servers = {master.address()};
  lo.listen = absl::StrCat("127.0.0.1:", lca_port);
  testing::LcaProcess lca(lo);
  lca.Start();
  const int port = testing::FreePort();
  testing::ScsOptions so;
  so.masters = {master.address()};
  so.extra_toml = MetricsToml(port);
  testing::ScsProcess scs_process(so);
  scs_process.Start();

  const std::string svc = "{application=\"svc\",host=\"h1\"}";
  Samples m;
  for (int i = 0; i < 200; ++i) {
    m = Scrape(port);
    if (m[absl::StrCat("tandem_scs_application_up", svc)] == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(At(m, "tandem_scs_primary"), 1);
  EXPECT_EQ(At(m, absl::StrCat("tandem_scs_application_up", svc)), 1) << scs_process.Log();
  EXPECT_EQ(At(m, "tandem_scs_applications{status=\"Started\"}"), 1);
  EXPECT_EQ(At(m, "tandem_scs_applications{status=\"Stopped\"}"), 0);
  EXPECT_EQ(At(m, absl::StrCat("tandem_scs_application_restarts_total", svc)), 0);
  EXPECT_EQ(At(m, "tandem_scs_host_lca_up{host=\"h1\"}"), 1);

  // kill -9 of the application (its pid from the SCS's status file): the
  // restart is counted.
  int64_t pid = 0;
  {
    std::ifstream f(scs_process.status_file());
    const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const size_t at = text.find("\"pid\": ");
    ASSERT_NE(at, std::string::npos) << text;
    pid = std::stoll(text.substr(at + 7));
  }
  ASSERT_GT(pid, 0);
  kill(static_cast<pid_t>(pid), SIGKILL);
  for (int i = 0; i < 200; ++i) {
    m = Scrape(port);
    if (m[absl::StrCat("tandem_scs_application_restarts_total", svc)] == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(At(m, absl::StrCat("tandem_scs_application_restarts_total", svc)), 1)
      << scs_process.Log();
  scs_process.Kill();
  lca.Kill();
  // The LCA leaves its processes running (they are the host's): end them.
  kill(static_cast<pid_t>(-pid), SIGKILL);
}

}  // namespace
}  // namespace tandem
