// The operator's console in a real browser: a master with authentication
// on, its administrator and two persons (carol may read and change folder
// Visible only; dave has no grants), a real `tandemd console` in front of
// it, and test/browser/console.test.mjs driving Debian's chromium through
// Playwright against it: login, every page without console errors, an edit
// that round-trips, a stale edit refused and shown, a validation error on
// the field the server names, hostile values shown as text, a person
// without Read seeing nothing, session expiry mid-edit, live updates, the
// master going away, a narrow screen and the keyboard. Screenshots are kept
// in build/test-artifacts/console/.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/console_process.h"
#include "testing/tandemd_process.h"
#include "testing/temp_dir.h"
#include "testing/test_pki.h"

namespace tandem {
namespace {

using testing::CommandResult;
using testing::ConsoleOptions;
using testing::ConsoleProcess;
using testing::TandemdOptions;
using testing::TandemdProcess;

constexpr char kAdminPassword[] = "correct horse battery";
constexpr char kCarolPassword[] = "a secret of her own";
constexpr char kDavePassword[] = "he sees nothing at all";

class ConsoleTest : public ::testing::Test {
 protected:
  CommandResult Ctl(const std::string& args, const std::string& input = "") {
    const std::string in = tmp_.file("stdin");
    std::ofstream(in, std::ios::trunc) << input;
    return testing::Shell(absl::StrCat("TANDEM_TOKEN_FILE=", tmp_.file("admin.token"), " ",
                                       testing::BinaryPath("tandemctl"), " --server ",
                                       master_->address(), " ", args, " <", in, " 2>&1"));
  }
  void Must(const std::string& args, const std::string& input = "") {
    CommandResult r = Ctl(args, input);
    ASSERT_EQ(r.code, 0) << args << "\n" << r.out;
  }

  void SetUp() override {
    TandemdOptions o;
    o.auth = true;
    master_ = std::make_unique<TandemdProcess>(o);
    master_->Start();
    ASSERT_NO_FATAL_FAILURE(Must(
        "auth bootstrap --user admin --password-stdin --secret-file " + master_->bootstrap_file(),
        std::string(kAdminPassword) + "\n"));
    ASSERT_NO_FATAL_FAILURE(
        Must("login --user admin --password-stdin", std::string(kAdminPassword) + "\n"));
    // Folders Visible (1), Hidden (2); hosts hv (1, in Visible) and hh (2, in Hidden).
    for (const char* f : {"Visible", "Hidden"}) {
      ASSERT_NO_FATAL_FAILURE(
          Must("create folder -f -", absl::StrCat(R"({"name": ")", f, R"(", "properties": {}})")));
    }
    for (const auto& [name, folder] : {std::pair{"hv", 1}, std::pair{"hh", 2}}) {
      ASSERT_NO_FATAL_FAILURE(Must(
          "create host -f -", absl::StrCat(R"({"name": ")", name, R"(", "folder_dbid": )", folder,
                                           R"(, "properties": {"address": "192.0.2.1"}})")));
    }
    for (const auto& [who, password] :
         {std::pair{"carol", kCarolPassword}, std::pair{"dave", kDavePassword}}) {
      ASSERT_NO_FATAL_FAILURE(
          Must("create person -f -",
               absl::StrCat(R"({"name": ")", who, R"(", "properties": {"user_name": ")", who,
                            R"("}})")));
      ASSERT_NO_FATAL_FAILURE(
          Must(absl::StrCat("passwd ", who, " --password-stdin"), std::string(password) + "\n"));
    }
    ASSERT_NO_FATAL_FAILURE(
        Must("update folder Visible -f -",
             R"({"name": "Visible", "enabled": true, "properties": {"permissions": [{"person": )"
             R"({"ref": "Person", "name": "carol"}, "rights": ["read", "change", "create"]}]}})"));
    // A site for the Regions page: r1 is this master with a DBMS that
    // refuses connections; nothing of r2 answers.
    const std::string site = tmp_.file("site.toml");
    std::ofstream(site)
        << "[dns]\nserver = \"127.0.0.1:1\"\nzone = \"tandem.test.\"\n"
        << "key_file = \"" << tmp_.file("tsig.key") << "\"\nnames = [\"cfgmaster\"]\n"
        << "[regions.r1]\ndbms = \"host=127.0.0.1 port=1 dbname=tandem\"\n"
        << "masters = [\"" << master_->address() << "\"]\n"
        << "addresses = { cfgmaster = \"127.0.0.1\" }\n"
        << "[regions.r2]\ndbms = \"host=127.0.0.1 port=2 dbname=tandem\"\n"
        << "masters = [\"127.0.0.1:2\"]\naddresses = { cfgmaster = \"127.0.0.2\" }\n";
    console_ = std::make_unique<ConsoleProcess>(
        ConsoleOptions{.servers = {master_->address()},
                       .listen = "127.0.0.1:0",
                       .console_toml = absl::StrCat("site = \"", site, "\"\n"),
                       .extra_toml = ""});
    console_->Start();
  }

  // Runs `script` (in test/browser) with node; its output goes to stdout.
  void RunNode(const std::string& script, const std::string& extra_env = "") {
    const std::string browser_dir = absl::StrCat(TANDEM_SOURCE_DIR, "/test/browser");
    ASSERT_TRUE(std::filesystem::exists(browser_dir + "/node_modules/playwright-core"))
        << "Playwright is not installed: run scripts/install-deps.sh (npm ci in test/browser)";
    ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium"))
        << "chromium is not installed: run scripts/install-deps.sh";
    const std::string artifacts = absl::StrCat(TANDEM_BINARY_DIR, "/test-artifacts/console");
    std::filesystem::create_directories(artifacts);
    const std::string cmd = absl::StrCat(
        "cd ", browser_dir, " && NODE_EXTRA_CA_CERTS=", console_->tls().ca,
        " CONSOLE_URL=", console_->url(), " CONSOLE_CERT=", console_->tls().cert,
        " ARTIFACTS=", artifacts, " TANDEMCTL=", testing::BinaryPath("tandemctl"),
        " TANDEM_TOKEN_FILE=", tmp_.file("admin.token"), " MASTER_PID=", master_->pid(),
        " MASTER=", master_->address(), " ADMIN_PASSWORD='", kAdminPassword, "' CAROL_PASSWORD='",
        kCarolPassword, "' DAVE_PASSWORD='", kDavePassword, "' ", extra_env, " node ", script,
        " 2>&1");
    CommandResult r = testing::Shell(cmd);
    std::cout << r.out;
    EXPECT_EQ(r.code, 0) << script << " failed (output above); console log:\n" << console_->Log();
  }

  testing::TempDir tmp_;
  std::unique_ptr<TandemdProcess> master_;
  std::unique_ptr<ConsoleProcess> console_;
};

TEST_F(ConsoleTest, InABrowser) { RunNode("--test --test-concurrency=1 console.test.mjs"); }

// Figures for docs/PERFORMANCE.md, not a test: run with
// --gtest_also_run_disabled_tests --gtest_filter='*Benchmark*' (BENCH_* in
// the environment change the sizes; see console.bench.mjs).
TEST_F(ConsoleTest, DISABLED_Benchmark) { RunNode("console.bench.mjs"); }

}  // namespace
}  // namespace tandem
