#include "testing/postgres_cluster.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace tandem::testing {
namespace {

constexpr char kBin[] = "/usr/lib/postgresql/15/bin";

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// Runs a shell command; returns its output, or an error with it.
absl::StatusOr<std::string> Run(const std::string& cmd) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return absl::InternalError("popen failed");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (rc != 0) return absl::InternalError(absl::StrCat("`", cmd, "` failed (", rc, "): ", out));
  return out;
}

std::string AsPostgres(const std::string& cmd) {
  return absl::StrCat(getuid() == 0 ? "runuser -u postgres -- " : "", cmd);
}

}  // namespace

PostgresCluster::~PostgresCluster() { Stop(); }

absl::Status PostgresCluster::Start() {
  if (!std::filesystem::exists(absl::StrCat(kBin, "/initdb"))) {
    return absl::FailedPreconditionError(
        "PostgreSQL 15 is not installed (scripts/install-deps.sh installs postgresql-15)");
  }
  // initdb and postgres refuse root: the cluster belongs to `postgres`, which
  // must be able to traverse the temporary directory.
  chmod(dir_.path().c_str(), 0755);
  const std::string data = dir_.file("data");
  if (getuid() == 0) {
    auto st = Run(absl::StrCat("install -d -o postgres -g postgres -m 0700 ", data));
    if (!st.ok()) return st.status();
  }
  auto init = Run(AsPostgres(
      absl::StrCat(kBin, "/initdb -D ", data,
                   " -A trust -U postgres -E UTF8 --data-checksums --no-sync >/dev/null")));
  if (!init.ok()) return init.status();
  if (absl::Status st = MakeRunDir(); !st.ok()) return st;
  port_ = FreePort();
  return Launch();
}

absl::Status PostgresCluster::StartStandbyOf(const PostgresCluster& primary,
                                             const std::string& name) {
  chmod(dir_.path().c_str(), 0755);
  const std::string data = dir_.file("data");
  if (getuid() == 0) {
    auto st = Run(absl::StrCat("install -d -o postgres -g postgres -m 0700 ", data));
    if (!st.ok()) return st.status();
  }
  auto backup =
      Run(AsPostgres(absl::StrCat(kBin, "/pg_basebackup -D ", data,
                                  " -R -X stream -c fast -d 'host=127.0.0.1 port=", primary.port(),
                                  " user=postgres application_name=", name, "'")));
  if (!backup.ok()) return backup.status();
  if (absl::Status st = MakeRunDir(); !st.ok()) return st;
  port_ = FreePort();
  return Launch();
}

void PostgresCluster::Reserve() {
  chmod(dir_.path().c_str(), 0755);
  (void)MakeRunDir();
  port_ = FreePort();
}

absl::Status PostgresCluster::MakeRunDir() {
  const std::string run = dir_.file("run");
  if (getuid() != 0) {
    std::error_code ec;
    std::filesystem::create_directories(run, ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot create ", run, ": ", ec.message()));
    return absl::OkStatus();
  }
  return Run(absl::StrCat("install -d -o postgres -g postgres -m 0755 ", run)).status();
}

// The Unix socket lives beside the data directory, not in it: pg_rewind
// copies a source's data directory and cannot read a socket there.
std::string PostgresCluster::server_options() const {
  return absl::StrCat("-p ", port_, " -k ", socket_dir(), " -c listen_addresses=", listen_,
                      " -c max_connections=50");
}

std::string PostgresCluster::conninfo(const std::string& dbname) const {
  return absl::StrCat("host=127.0.0.1 port=", port_, " user=postgres dbname=", dbname);
}

absl::Status PostgresCluster::Restart() {
  Stop();
  return Launch();
}

absl::Status PostgresCluster::Launch() {
  const std::string data = dir_.file("data");
  auto start = Run(
      AsPostgres(absl::StrCat(kBin, "/pg_ctl -D ", data, " -l ", data, "/server.log -w -t 60 -o \"",
                              server_options(), "\" start >/dev/null")));
  if (!start.ok()) return start.status();
  running_ = true;
  return absl::OkStatus();
}

void PostgresCluster::Stop() {
  if (!running_) return;
  const std::string data = dir_.file("data");
  (void)Run(AsPostgres(absl::StrCat(kBin, "/pg_ctl -D ", data, " -m fast -w -t 60 stop")));
  running_ = false;
}

absl::StatusOr<std::string> PostgresCluster::CreateDatabase(const std::string& name) {
  auto r = Run(absl::StrCat(kBin, "/createdb -h 127.0.0.1 -p ", port_, " -U postgres ", name));
  if (!r.ok()) return r.status();
  return absl::StrCat("host=127.0.0.1 port=", port_, " user=postgres dbname=", name);
}

absl::StatusOr<std::string> PostgresCluster::Psql(const std::string& dbname,
                                                  const std::string& sql) {
  const std::string file = dir_.file("query.sql");
  std::ofstream(file) << sql;
  return Run(absl::StrCat(kBin, "/psql -X -q -t -A -v ON_ERROR_STOP=1 -h 127.0.0.1 -p ", port_,
                          " -U postgres -d ", dbname, " -f ", file));
}

}  // namespace tandem::testing
