#include "fleet.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"

namespace tandem::bench {

namespace v1 = config::v1;
namespace cv1 = control::v1;

v1::Value Ref(v1::ObjectType type, const std::string& name) {
  v1::Value v;
  v.mutable_ref_value()->set_type(type);
  v.mutable_ref_value()->set_name(name);
  return v;
}

bool Create(const testing::TandemdProcess& master, v1::ConfigObject o) {
  o.set_enabled(true);
  auto stub = master.Stub();
  grpc::ClientContext ctx;
  v1::CreateRequest req;
  *req.mutable_object() = o;
  v1::CreateResponse resp;
  grpc::Status st = stub->Create(&ctx, req, &resp);
  if (!st.ok()) std::cerr << "create " << o.name() << ": " << st.error_message() << "\n";
  return st.ok();
}

v1::ConfigObject LoopbackHost(const std::string& name, int port) {
  v1::ConfigObject host;
  host.set_type(v1::OBJECT_TYPE_HOST);
  host.set_name(name);
  (*host.mutable_properties())["address"].set_string_value("127.0.0.1");
  (*host.mutable_properties())["lca_port"].set_int_value(port);
  (*host.mutable_properties())["scs"] = Ref(v1::OBJECT_TYPE_APPLICATION, "scs");
  return host;
}

v1::ConfigObject SleeperApp(const std::string& name, const std::string& host) {
  v1::ConfigObject a;
  a.set_type(v1::OBJECT_TYPE_APPLICATION);
  a.set_name(name);
  auto& p = *a.mutable_properties();
  p["host"] = Ref(v1::OBJECT_TYPE_HOST, host);
  p["command_line"].set_string_value("sleep");
  p["arguments"].set_string_value("3600");
  p["auto_restart"].set_bool_value(true);
  (*(*a.mutable_options())["sml"].mutable_entries())["autostart"] = "true";
  return a;
}

std::vector<cv1::ProcessStatus> Statuses(const testing::LcaProcess& lca) {
  auto stub = lca.Control("scs");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  cv1::GetStatusResponse r;
  if (!stub->GetStatus(&ctx, {}, &r).ok()) return {};
  return {r.processes().begin(), r.processes().end()};
}

std::optional<cv1::ProcessStatus> StatusOf(const testing::LcaProcess& lca, const std::string& app) {
  for (cv1::ProcessStatus& p : Statuses(lca)) {
    if (p.application() == app) return p;
  }
  return std::nullopt;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * (v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void KillApplications(const testing::LcaProcess& lca) {
  for (const cv1::ProcessStatus& p : Statuses(lca)) {
    if (p.pid() > 0) kill(static_cast<pid_t>(-p.pid()), SIGKILL);
  }
}

ProcUsage Usage(pid_t pid) {
  ProcUsage u;
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (std::getline(stat, line)) {
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string f;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> f; ++i) {
      if (i == 14) utime = std::stod(f);
      if (i == 15) stime = std::stod(f);
    }
    u.cpu_s = (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) u.rss_mib = std::stod(line.substr(6)) / 1024.0;
  }
  return u;
}

}  // namespace tandem::bench
