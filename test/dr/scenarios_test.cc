// The runbooks' per-host commands: a region's framework VMs are started (and
// stopped) at once, every host's failure is reported, and nothing runs when
// a host has no command.
#include "dr/scenarios.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "dr/site.h"
#include "testing/temp_dir.h"

namespace tandem::dr {
namespace {

// No master answers (port 1 on loopback refuses), so "start r2's framework"
// has to run its hosts' start commands.
std::string SiteText(const std::string& hosts) {
  return absl::StrCat(R"([dns]
server = "127.0.0.1"
zone = "tandem.test."
key_file = "/nonexistent/tsig.key"
names = ["fw-p"]

[regions.r1]
dbms = "host=127.0.0.1 port=1 dbname=tandem connect_timeout=1"
masters = ["127.0.0.1:1"]

[regions.r2]
dbms = "host=127.0.0.1 port=1 dbname=tandem connect_timeout=1"
masters = ["127.0.0.1:1"]
framework_hosts = ["a", "b", "c"]
)",
                      hosts);
}

// Runs the "start r2's framework" step of a site whose [hosts] are `hosts`
// (DIR replaced by `dir`): its result.
absl::Status RunStartStep(const std::string& hosts, const testing::TempDir& dir) {
  auto site = ParseSite(SiteText(absl::StrReplaceAll(hosts, {{"DIR", dir.path()}})), "site.toml");
  if (!site.ok()) return site.status();
  auto plan = FailoverPlan(*site, "framework", "r2");
  if (!plan.ok()) return plan.status();
  for (const Step& s : plan->steps) {
    if (s.id == "start-r2-framework") return s.run();
  }
  return absl::NotFoundError("no step start-r2-framework");
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Scenarios, FrameworkVmsStartTogetherAndEveryFailureIsReported) {
  testing::TempDir dir;
  // a and b each wait (up to 5 s) for the other to have started: they only
  // succeed when run at the same time. c fails.
  absl::Status st = RunStartStep(R"(
[hosts.a]
start = "touch DIR/a; for i in $(seq 50); do [ -e DIR/b ] && exit 0; sleep 0.1; done; exit 1"
[hosts.b]
start = "touch DIR/b; for i in $(seq 50); do [ -e DIR/a ] && exit 0; sleep 0.1; done; exit 1"
[hosts.c]
start = "echo c ran as $TANDEM_HOST; exit 3"
)",
                                 dir);
  EXPECT_FALSE(st.ok());
  // Only c's failure: a and b found each other.
  EXPECT_EQ(st.message(),
            "[hosts.c] start (`echo c ran as $TANDEM_HOST; exit 3`) exited with 3: "
            "c ran as c\n")
      << st;
}

TEST(Scenarios, NothingStartsWhenAHostHasNoCommand) {
  testing::TempDir dir;
  absl::Status st = RunStartStep(R"(
[hosts.a]
start = "echo a >> DIR/ran"
[hosts.b]
stop = "echo b >> DIR/ran"
[hosts.c]
start = "echo c >> DIR/ran"
)",
                                 dir);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.message(), "[hosts.b] has no start command");
  EXPECT_EQ(Read(dir.file("ran")), "");
}

}  // namespace
}  // namespace tandem::dr
