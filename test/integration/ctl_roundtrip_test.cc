// tandemctl against real servers: export → import into an empty server gives
// an identical configuration; errors exit non-zero with a message.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "testing/tandemd_process.h"

namespace tandem {
namespace {

using testing::TandemdOptions;
using testing::TandemdProcess;

struct Result {
  int code = -1;
  std::string out;
};

// Runs tandemctl with args (shell-quoted by the caller), feeding `input` on
// stdin; returns its exit code and output (stdout and stderr).
Result Ctl(const TandemdProcess& server, const std::string& args, const std::string& input = "") {
  const std::string in_file = server.dir() + "/stdin.txt";
  std::ofstream(in_file) << input;
  std::string cmd = testing::BinaryPath("tandemctl") + " --server " + server.address() + " " +
                    args + " < " + in_file + " 2>&1";
  Result r;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Export of A, imported into an empty B, exports identically (objects,
// DBIDs, names, properties, options); only timestamps and ids differ.
TEST(CtlRoundTrip, ExportImportIsIdentical) {
  TandemdProcess a, b;
  a.Start();
  b.Start();
  Result r = Ctl(a, std::string("import ") + TANDEM_SOURCE_DIR "/deploy/sample/config.json");
  ASSERT_EQ(r.code, 0) << r.out;
  // Some history on A: an option change and a deletion leave a DBID gap.
  ASSERT_EQ(Ctl(a, "set-option app sample-app sml autostart false").code, 0);
  r = Ctl(a, "-o json list person");
  ASSERT_EQ(r.code, 0) << r.out;
  ASSERT_EQ(Ctl(a, "create person -f -", R"({"name": "temp", "properties": {}})").code, 0);
  ASSERT_EQ(Ctl(a, "delete person temp").code, 0);

  const std::string file = a.dir() + "/export.json";
  r = Ctl(a, "export > " + file);
  ASSERT_EQ(r.code, 0) << r.out;
  r = Ctl(b, "import " + file);
  ASSERT_EQ(r.code, 0) << r.out;
  Result ea = Ctl(a, "export"), eb = Ctl(b, "export");
  ASSERT_EQ(ea.code, 0);
  ASSERT_EQ(eb.code, 0);
  auto ja = nlohmann::json::parse(ea.out), jb = nlohmann::json::parse(eb.out);
  ASSERT_GT(ja["objects"].size(), 10u);
  // Revisions differ (B's history is one import); everything else is equal.
  for (auto* j : {&ja, &jb}) {
    for (auto& o : (*j)["objects"]) o.erase("revision");
  }
  EXPECT_EQ(ja["objects"], jb["objects"]);
  // Importing again into the now non-empty B is refused and changes nothing.
  Result again = Ctl(b, "import " + file);
  EXPECT_NE(again.code, 0);
  EXPECT_NE(again.out.find("tandemctl:"), std::string::npos) << again.out;
  Result eb2 = Ctl(b, "export");
  auto jb2 = nlohmann::json::parse(eb2.out);
  for (auto& o : jb2["objects"]) o.erase("revision");
  EXPECT_EQ(jb2["objects"], jb["objects"]);
  EXPECT_EQ(jb2["revision"], nlohmann::json::parse(eb.out)["revision"]);
}

// Errors exit non-zero with a one-line message that says what to do.
TEST(CtlRoundTrip, ErrorsAreClear) {
  TandemdProcess a;
  a.Start();
  Result r = Ctl(a, "get host nope");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("no Host named 'nope'"), std::string::npos) << r.out;
  r = Ctl(a, "get widget x");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("unknown object type"), std::string::npos) << r.out;
  r = Ctl(a, "create host -f -", R"({"name": "h", "properties": {"lca_port": 70000}})");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("properties.lca_port: 70000 is out of range"), std::string::npos) << r.out;
  r = Ctl(a, "create host -f -", "not json");
  EXPECT_NE(r.code, 0);
  r = Ctl(a, "status -o json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["revision"], 0);
}

// History names who made a change: the --app name with the operator's OS
// user and host (claimed until authentication), through a proxy too.
TEST(CtlRoundTrip, HistoryRecordsTheOperator) {
  TandemdProcess server;
  server.Start();
  ASSERT_EQ(Ctl(server, "--app ops-tool create host -f -",
                R"({"name": "h1", "properties": {"address": "192.0.2.1"}})")
                .code,
            0);
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  Result r = Ctl(server, "-o json history --since 0");
  ASSERT_EQ(r.code, 0) << r.out;
  auto change = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  const std::string who = change["who"];
  EXPECT_EQ(who.rfind("ops-tool (", 0), 0u) << who;
  EXPECT_NE(who.find(std::string("@") + host + ")"), std::string::npos) << who;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Waits up to `seconds` until `path` contains `text`.
bool WaitForText(const std::string& path, const std::string& text, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ReadFile(path).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// `tandemctl watch` outlives a server restart: it keeps retrying while the
// server is down (it used to crash after the first failed reconnect), then
// resumes from its last revision, printing each change once; SIGTERM ends
// it with exit code 0.
TEST(CtlRoundTrip, WatchSurvivesAServerRestart) {
  TandemdOptions o;
  o.listen = absl::StrCat("127.0.0.1:", testing::FreePort());
  TandemdProcess server(o);
  server.Start();
  const std::string out = server.dir() + "/watch.out", err = server.dir() + "/watch.err";
  const std::string bin = testing::BinaryPath("tandemctl");
  const std::string address = server.address();
  pid_t watch = fork();
  ASSERT_GE(watch, 0);
  if (watch == 0) {
    if (freopen(out.c_str(), "w", stdout) == nullptr ||
        freopen(err.c_str(), "w", stderr) == nullptr)
      _exit(126);
    execl(bin.c_str(), bin.c_str(), "--server", address.c_str(), "watch", "host", nullptr);
    _exit(127);
  }
  auto Running = [&] { return waitpid(watch, nullptr, WNOHANG) == 0; };
  // The watch pins "only new changes" when it starts: wait for it to be there.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(Ctl(server, "create host -f -",
                R"({"name": "before", "properties": {"address": "192.0.2.1"}})")
                .code,
            0);
  ASSERT_TRUE(WaitForText(out, "'before'", 10)) << ReadFile(out) << ReadFile(err);

  server.Kill();
  // Long enough for the stream to break and at least two reconnects to fail.
  ASSERT_TRUE(WaitForText(err, "cannot reach", 10)) << ReadFile(err);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_TRUE(Running()) << "tandemctl watch died while the server was down:\n" << ReadFile(err);

  server.Start();
  ASSERT_EQ(Ctl(server, "create host -f -",
                R"({"name": "after", "properties": {"address": "192.0.2.2"}})")
                .code,
            0);
  EXPECT_TRUE(WaitForText(out, "'after'", 20)) << ReadFile(out) << ReadFile(err);
  ASSERT_TRUE(Running()) << ReadFile(err);
  kill(watch, SIGTERM);
  int status = 0;
  ASSERT_EQ(waitpid(watch, &status, 0), watch);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << ReadFile(err);
  const std::string printed = ReadFile(out);
  EXPECT_EQ(Count(printed, "'before'"), 1u) << printed;
  EXPECT_EQ(Count(printed, "'after'"), 1u) << printed;
}

}  // namespace
}  // namespace tandem
