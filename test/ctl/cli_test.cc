// Tests of tandemctl's commands against a fake client: which requests they
// send, what they print and which exit code they return.
#include "ctl/cli.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/object_json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tandem::ctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

//! Records requests; serves one Application "app1" (dbid 5, revision 10).
class FakeClient : public config::ConfigClient {
 public:
  struct State {
    absl::Status register_status;
    v1::ConfigObject object;
    std::vector<v1::UpdateRequest> updates;
    std::vector<v1::GetRequest> gets;
    std::vector<v1::TransactionRequest> transactions;
    std::vector<v1::HistoryRequest> histories;
    int abort_updates = 0;  // Fail this many updates with ABORTED first.
    int64_t object_count = 0;
    //! More objects Get finds (by type and dbid, or type and name).
    std::vector<v1::ConfigObject> others;
    //! The answer to the next Transaction, if not OK.
    absl::Status transaction_status;
    std::vector<v1::ListRequest> lists;
    int64_t revision = 0;
  };
  explicit FakeClient(State* state) : s_(state) {}

  absl::StatusOr<v1::RegisterResponse> Register() override {
    if (!s_->register_status.ok()) return s_->register_status;
    v1::RegisterResponse r;
    r.set_session_id("s1");
    return r;
  }
  absl::StatusOr<v1::GetResponse> Get(const v1::GetRequest& request) override {
    s_->gets.push_back(request);
    v1::GetResponse r;
    for (const v1::ConfigObject& o : s_->others) {
      if (o.type() != request.type()) continue;
      if (request.key_case() == v1::GetRequest::kDbid ? o.dbid() == request.dbid()
                                                      : o.name() == request.name()) {
        *r.mutable_object() = o;
        return r;
      }
    }
    if (request.key_case() == v1::GetRequest::kDbid ? request.dbid() != s_->object.dbid()
                                                    : request.name() != s_->object.name()) {
      return absl::NotFoundError("no such object");
    }
    *r.mutable_object() = s_->object;
    return r;
  }
  absl::Status List(const v1::ListRequest& request, const ListFn& fn) override {
    s_->lists.push_back(request);
    v1::ListResponse r;
    *r.add_objects() = s_->object;
    r.set_revision(10);
    return fn(r);
  }
  absl::StatusOr<v1::CreateResponse> Create(const v1::CreateRequest& request) override {
    v1::CreateResponse r;
    *r.mutable_object() = request.object();
    r.mutable_object()->set_dbid(77);
    r.set_revision(11);
    return r;
  }
  absl::StatusOr<v1::UpdateResponse> Update(const v1::UpdateRequest& request) override {
    s_->updates.push_back(request);
    if (s_->abort_updates > 0) {
      --s_->abort_updates;
      s_->object.set_revision(s_->object.revision() + 1);
      return absl::AbortedError("revision mismatch");
    }
    s_->object = request.object();
    s_->object.set_revision(20);
    v1::UpdateResponse r;
    *r.mutable_object() = s_->object;
    r.set_revision(20);
    return r;
  }
  absl::StatusOr<v1::DeleteResponse> Delete(const v1::DeleteRequest&) override {
    v1::DeleteResponse r;
    r.set_revision(21);
    return r;
  }
  absl::StatusOr<v1::TransactionResponse> Transaction(const v1::TransactionRequest& request,
                                                      absl::Duration) override {
    s_->transactions.push_back(request);
    if (!s_->transaction_status.ok()) return s_->transaction_status;
    v1::TransactionResponse r;
    r.set_first_revision(1);
    r.set_last_revision(request.operations_size());
    return r;
  }
  absl::Status Watch(const v1::WatchRequest&, const WatchFn&, const std::atomic<bool>&) override {
    return absl::UnimplementedError("no watch");
  }
  absl::StatusOr<v1::HistoryResponse> History(const v1::HistoryRequest& request) override {
    s_->histories.push_back(request);
    v1::HistoryResponse r;
    int64_t since = request.since_revision();
    for (int64_t rev = since + 1; rev <= std::min<int64_t>(since + 2, 5); ++rev) {
      auto* c = r.add_changes();
      c->set_revision(rev);
      c->set_kind(v1::CHANGE_KIND_UPDATED);
      c->set_type(v1::OBJECT_TYPE_APPLICATION);
    }
    r.set_more(since + 2 < 5);
    return r;
  }
  absl::StatusOr<v1::ServerInfo> GetServerInfo() override {
    v1::ServerInfo info;
    info.set_object_count(s_->object_count);
    info.set_history_id("h");
    info.set_version("9.8.7");
    info.set_revision(s_->revision);
    info.mutable_started_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
    return info;
  }

 private:
  State* s_;
};

int Lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

class CliTest : public ::testing::Test {
 protected:
  CliTest() {
    // The fake client has no TLS to speak of (TlsOptions tests choose).
    setenv("TANDEM_PLAINTEXT", "1", 1);
    unsetenv("TANDEM_CA");
    state_.object.set_type(v1::OBJECT_TYPE_APPLICATION);
    state_.object.set_dbid(5);
    state_.object.set_name("app1");
    state_.object.set_enabled(true);
    state_.object.set_revision(10);
  }

  int Run(std::vector<std::string> args, const std::string& stdin_text = "") {
    args.insert(args.begin(), "tandemctl");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    std::istringstream in(stdin_text);
    out_.str("");
    err_.str("");
    return RunCli(
        static_cast<int>(argv.size()), argv.data(),
        [this](const config::ClientOptions&) {
          ++dials_;
          return std::make_unique<FakeClient>(&state_);
        },
        in, out_, err_);
  }

  FakeClient::State state_;
  std::ostringstream out_;
  std::ostringstream err_;
  int dials_ = 0;  // clients made
};

v1::ConfigObject Object(v1::ObjectType type, int64_t dbid, const std::string& name) {
  v1::ConfigObject o;
  o.set_type(type);
  o.set_dbid(dbid);
  o.set_name(name);
  return o;
}

// A number may be a DBID or a name (both are asked); dbid:N and name:N say
// which; two different objects are an ambiguity, refused with what to write.
TEST_F(CliTest, GetByDbidOrName) {
  EXPECT_EQ(Run({"get", "app", "5"}), 0) << err_.str();
  EXPECT_EQ(state_.gets.size(), 2u);  // by dbid and by name
  EXPECT_EQ(state_.gets[0].dbid(), 5);
  EXPECT_THAT(out_.str(), HasSubstr("Application app1"));
  state_.gets.clear();
  EXPECT_EQ(Run({"get", "app", "dbid:5"}), 0) << err_.str();
  ASSERT_EQ(state_.gets.size(), 1u);
  EXPECT_EQ(state_.gets[0].dbid(), 5);
  EXPECT_EQ(Run({"get", "app", "app1"}), 0);
  EXPECT_EQ(state_.gets.back().name(), "app1");

  // An application named "42" (dbid 7): reachable by its name.
  state_.others.push_back(Object(v1::OBJECT_TYPE_APPLICATION, 7, "42"));
  EXPECT_EQ(Run({"get", "app", "42"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("Application 42"));
  EXPECT_EQ(Run({"get", "app", "name:42"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("Application 42"));
  EXPECT_EQ(Run({"get", "app", "dbid:42"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("get Application dbid 42: no such object"));
  // One named "5" as well as dbid 5: ambiguous.
  state_.others.push_back(Object(v1::OBJECT_TYPE_APPLICATION, 8, "5"));
  EXPECT_EQ(Run({"get", "app", "5"}), 2);
  EXPECT_EQ(err_.str(),
            "tandemctl: '5' is both the DBID of Application 'app1' and the name of Application "
            "'5' (dbid 8): write dbid:5 or name:5\n");
  EXPECT_EQ(Run({"get", "app", "name:5"}), 0);
  EXPECT_THAT(out_.str(), StartsWith("Application 5\n"));
}

// --tenant takes a tenant's name or DBID.
TEST_F(CliTest, TenantByName) {
  state_.others.push_back(Object(v1::OBJECT_TYPE_TENANT, 3, "acme"));
  EXPECT_EQ(Run({"get", "app", "app1", "--tenant", "acme"}), 0) << err_.str();
  EXPECT_EQ(state_.gets.back().name(), "app1");
  EXPECT_EQ(state_.gets.back().tenant_dbid(), 3);
  EXPECT_EQ(Run({"get", "app", "app1", "--tenant", "dbid:3"}), 0) << err_.str();
  EXPECT_EQ(state_.gets.back().tenant_dbid(), 3);
  EXPECT_EQ(Run({"list", "app", "--tenant", "acme"}), 0) << err_.str();
  EXPECT_EQ(state_.lists.back().tenant_dbid(), 3);
  EXPECT_EQ(Run({"get", "app", "app1", "--tenant", "nope"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("find Tenant 'nope'"));
}

// Tables name what an object refers to: "fw-p (3)", its tenant too.
TEST_F(CliTest, TablesShowReferencesByName) {
  state_.others.push_back(Object(v1::OBJECT_TYPE_HOST, 3, "fw-p"));
  state_.others.push_back(Object(v1::OBJECT_TYPE_TENANT, 2, "acme"));
  auto& host = (*state_.object.mutable_properties())["host"];
  host.mutable_ref_value()->set_type(v1::OBJECT_TYPE_HOST);
  host.mutable_ref_value()->set_dbid(3);
  state_.object.set_tenant_dbid(2);
  EXPECT_EQ(Run({"list", "app"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("fw-p (3)"));
  EXPECT_THAT(out_.str(), HasSubstr("acme (2)"));
  EXPECT_EQ(Run({"get", "app", "app1"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("fw-p (3)"));
  EXPECT_THAT(out_.str(), HasSubstr("acme (2)"));
  // JSON keeps the DBIDs.
  EXPECT_EQ(Run({"-o", "json", "get", "app", "app1"}), 0);
  EXPECT_THAT(out_.str(), Not(HasSubstr("fw-p")));
}

// Usage mistakes exit 2 with one line on stderr; server errors exit 1.
TEST_F(CliTest, ExitCodes) {
  EXPECT_EQ(Run({"get", "spaceship", "x"}), 2);
  EXPECT_THAT(err_.str(), StartsWith("tandemctl: unknown object type"));
  EXPECT_EQ(Run({"get"}), 2);
  EXPECT_EQ(Run({"bogus"}), 2);
  EXPECT_EQ(Run({"list", "app", "--property", "novalue"}), 2);
  EXPECT_EQ(Run({"get", "app", "nope"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("no such object; check the name"));
  EXPECT_EQ(Lines(err_.str()), 1);
  EXPECT_EQ(Run({"get", "--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("Example"));
}

// An unreachable server gets a message that says what to do.
TEST_F(CliTest, UnreachableServer) {
  state_.register_status = absl::UnavailableError(
      "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:9: Failed to "
      "connect to remote host: Connection refused");
  EXPECT_EQ(Run({"--server", "127.0.0.1:9", "status"}), 1);
  EXPECT_EQ(err_.str(),
            "tandemctl: cannot reach server 127.0.0.1:9 (connection refused); is tandemd "
            "running? set --server or TANDEM_SERVER\n");
}

// Without "revision" in the file, update expects the revision just read.
TEST_F(CliTest, UpdateExpectsRevisionRead) {
  EXPECT_EQ(Run({"update", "app", "app1", "-f", "-"}, R"({"name":"app1","enabled":false})"), 0)
      << err_.str();
  ASSERT_EQ(state_.updates.size(), 1u);
  EXPECT_EQ(state_.updates[0].expected_revision(), 10);
  EXPECT_EQ(state_.updates[0].object().dbid(), 5);
  EXPECT_EQ(state_.updates[0].object().type(), v1::OBJECT_TYPE_APPLICATION);
  EXPECT_FALSE(state_.updates[0].object().enabled());
}

// With "revision" in the file, that revision is expected (stale files fail).
TEST_F(CliTest, UpdateExpectsFileRevision) {
  state_.abort_updates = 1;
  EXPECT_EQ(Run({"update", "app", "5", "-f", "-"}, R"({"name":"app1","revision":7})"), 1);
  ASSERT_EQ(state_.updates.size(), 1u);
  EXPECT_EQ(state_.updates[0].expected_revision(), 7);
  EXPECT_THAT(err_.str(), HasSubstr("get it again"));
}

// A file for another object or type is refused before anything is sent.
TEST_F(CliTest, UpdateRefusesMismatchedFile) {
  EXPECT_EQ(Run({"update", "app", "5", "-f", "-"}, R"({"name":"app1","dbid":6})"), 1);
  EXPECT_EQ(Run({"update", "app", "5", "-f", "-"}, R"({"type":"Host","name":"app1"})"), 1);
  EXPECT_THAT(err_.str(), HasSubstr("type: "));
  EXPECT_EQ(Run({"update", "app", "5", "-f", "-"}, R"({"name":)"), 1);
  EXPECT_THAT(err_.str(), HasSubstr("stdin: invalid JSON"));
  EXPECT_TRUE(state_.updates.empty());
}

// set-option re-reads and retries on ABORTED, up to 3 retries.
TEST_F(CliTest, SetOptionRetriesOnAborted) {
  state_.abort_updates = 2;
  EXPECT_EQ(Run({"set-option", "app", "app1", "sml", "autostart", "true"}), 0) << err_.str();
  ASSERT_EQ(state_.updates.size(), 3u);
  EXPECT_EQ(state_.updates[2].expected_revision(), 12);
  EXPECT_EQ(state_.object.options().at("sml").entries().at("autostart"), "true");

  state_.updates.clear();
  state_.abort_updates = 10;
  EXPECT_EQ(Run({"set-option", "app", "app1", "x", "k", "v", "--annex"}), 1);
  EXPECT_EQ(state_.updates.size(), 4u);
  EXPECT_TRUE(state_.updates[0].object().annex().contains("x"));
}

// Import refuses a non-empty server unless --force, and chunks in type order.
TEST_F(CliTest, ImportChecksEmptyServer) {
  std::vector<v1::ConfigObject> objects;
  for (int i = 1; i <= 3; ++i) {
    v1::ConfigObject o;
    o.set_type(i == 2 ? v1::OBJECT_TYPE_TENANT : v1::OBJECT_TYPE_HOST);
    o.set_dbid(i);
    o.set_name("o" + std::to_string(i));
    o.set_revision(99);
    objects.push_back(o);
  }
  std::string doc = config::DumpJson(config::MakeExport({}, objects));
  state_.object_count = 4;
  EXPECT_EQ(Run({"import", "-"}, doc), 1);
  EXPECT_THAT(err_.str(), HasSubstr("--force"));
  EXPECT_TRUE(state_.transactions.empty());
  EXPECT_EQ(Run({"import", "-", "--force"}, doc), 0) << err_.str();
  ASSERT_EQ(state_.transactions.size(), 1u);
  const auto& ops = state_.transactions[0].operations();
  ASSERT_EQ(ops.size(), 3);
  EXPECT_EQ(ops[0].create().object().type(), v1::OBJECT_TYPE_TENANT);
  EXPECT_EQ(ops[0].create().object().dbid(), 2);
  EXPECT_EQ(ops[0].create().object().revision(), 0);
  EXPECT_THAT(out_.str(), HasSubstr("imported 3 objects"));
}

// history pages from the last revision until `more` is false.
TEST_F(CliTest, HistoryPages) {
  EXPECT_EQ(Run({"history", "--since", "0"}), 0) << err_.str();
  ASSERT_EQ(state_.histories.size(), 3u);
  EXPECT_EQ(state_.histories[1].since_revision(), 2);
  EXPECT_EQ(state_.histories[2].since_revision(), 4);
  EXPECT_EQ(Lines(out_.str()), 5);
  EXPECT_EQ(Run({"history", "--since", "0", "--limit", "3"}), 0);
  EXPECT_EQ(Lines(out_.str()), 3);
}

// list prints a table with the type's key columns, or JSON.
TEST_F(CliTest, ListOutput) {
  EXPECT_EQ(Run({"list", "app"}), 0);
  EXPECT_THAT(out_.str(), StartsWith("DBID  NAME  ENABLED  REVISION  APP_TYPE"));
  EXPECT_EQ(Run({"-o", "json", "list", "app"}), 0);
  auto j = config::ParseJson(out_.str());
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)[0]["name"], "app1");
}

// The client is made from --server, --app and --timeout, as "tandemctl/0.1".
TEST_F(CliTest, ClientOptionsFromFlags) {
  config::ClientOptions seen;
  const char* argv[] = {"tandemctl", "--server",  "cs1:9100", "--app",
                        "ops",       "--timeout", "2.5",      "status"};
  std::istringstream in;
  auto factory = [&](const config::ClientOptions& options) {
    seen = options;
    return std::make_unique<FakeClient>(&state_);
  };
  EXPECT_EQ(RunCli(8, argv, factory, in, out_, err_), 0) << err_.str();
  EXPECT_EQ(seen.server, "cs1:9100");
  EXPECT_EQ(seen.application_name, "ops");
  EXPECT_EQ(seen.client_version, "tandemctl/0.1");
  EXPECT_EQ(seen.timeout, absl::Milliseconds(2500));
  EXPECT_FALSE(seen.os_user.empty());  // recorded with writes until authentication
  EXPECT_FALSE(seen.os_host.empty());
}

// A mistyped command gets "did you mean", at any level; a missing argument
// points at the help of the command that failed, not its parent's.
TEST_F(CliTest, MistypedCommandsAndMissingArguments) {
  EXPECT_EQ(Run({"lsit", "app"}), 2);
  EXPECT_EQ(err_.str(),
            "tandemctl: unknown command 'lsit'; did you mean 'list'?; run 'tandemctl --help' for "
            "the commands\n");
  EXPECT_EQ(Run({"--server", "127.0.0.1:9000", "db", "stauts"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("unknown command 'stauts' for 'tandemctl db'; did you mean "
                                    "'status'?; run 'tandemctl db --help'"));
  EXPECT_EQ(Run({"frobnicate"}), 2);
  EXPECT_THAT(err_.str(), Not(HasSubstr("did you mean")));
  EXPECT_EQ(Run({"db", "replica", "create", "--pgdata", "/tmp/x"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--primary is required"));
  EXPECT_THAT(err_.str(), HasSubstr("run 'tandemctl db replica create --help'"));
  EXPECT_EQ(Run({"db"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("'tandemctl db' needs a command: init, replica"));
  EXPECT_EQ(Run({"list", "app", "--limt", "3"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("unknown option '--limt' for 'tandemctl list'; did you mean "
                                    "'--limit'?"));
  EXPECT_EQ(Run({"get", "aplication", "x"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("did you mean 'application'?"));
}

// A group's --help shows its own examples and the global options, not the
// top-level examples.
TEST_F(CliTest, GroupHelpHasItsExamplesAndTheGlobalOptions) {
  for (const char* group : {"db", "dns", "dr"}) {
    EXPECT_EQ(Run({group, "--help"}), 0) << group;
    EXPECT_THAT(out_.str(), HasSubstr(std::string("tandemctl ") + group + " ")) << group;
    EXPECT_THAT(out_.str(), Not(HasSubstr("tandemctl list app"))) << group;
    EXPECT_THAT(out_.str(), HasSubstr("Global options")) << group;
    EXPECT_THAT(out_.str(), HasSubstr("--server HOST:PORT")) << group;
  }
  EXPECT_EQ(Run({"db", "unfence", "--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("tandemctl db unfence --from"));
  EXPECT_EQ(Run({"db", "promote", "--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("tandemctl db promote --conninfo"));
  EXPECT_EQ(Run({"dr", "status", "--help"}), 0);
  EXPECT_THAT(out_.str(), Not(HasSubstr("src/")));
  EXPECT_EQ(Run({"--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("tandemctl list app"));
}

// --server is checked before anything dials; --timeout 0 says what is wrong.
TEST_F(CliTest, GlobalOptionValuesAreChecked) {
  EXPECT_EQ(Run({"--server", "127.0.0.1:abc", "status"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("invalid address '127.0.0.1:abc': expected HOST:PORT"));
  EXPECT_EQ(Run({"--server", "", "status"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("invalid address '': expected HOST:PORT"));
  EXPECT_EQ(Run({"--server", "cs1:9000,", "status"}), 2);
  EXPECT_EQ(Run({"--server", "::1:9000", "status"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("brackets"));
  EXPECT_EQ(dials_, 0);
  EXPECT_EQ(Run({"--timeout", "0", "status"}), 2);
  EXPECT_EQ(err_.str(), "tandemctl: --timeout: must be > 0; run 'tandemctl status --help'\n");
  EXPECT_EQ(Run({"--timeout", "soon", "status"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("'soon' is not a number of seconds"));
  EXPECT_EQ(Run({"-o", "JSON", "status"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("\"revision\""));
  EXPECT_EQ(Run({"--server", "[::1]:9000", "status"}), 0) << err_.str();
}

// Commands that do not talk to a configuration server refuse --server and
// --timeout, saying what they take instead.
TEST_F(CliTest, FlagsOfOtherCommandsAreNotSilentlyTaken) {
  EXPECT_EQ(Run({"dr", "status", "--site", "/nonexistent", "--server", "127.0.0.1:9000"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("'dr' does not use --server"));
  EXPECT_EQ(
      Run({"dr", "failover", "--scenario", "full", "--to", "r2", "--site", "x", "--timeout", "5"}),
      2);
  EXPECT_THAT(err_.str(), HasSubstr("--step-timeout"));
  EXPECT_EQ(Run({"db", "status", "--conninfo", "host=x", "--server", "127.0.0.1:9000"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("the DBMS as --conninfo"));
}

// --version and `version` (with the server's when it answers).
TEST_F(CliTest, Version) {
  EXPECT_EQ(Run({"--version"}), 0);
  EXPECT_EQ(out_.str(), std::string("tandemctl ") + TANDEM_VERSION + "\n");
  EXPECT_EQ(Run({"version"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("server 127.0.0.1:9000: tandemd 9.8.7"));
  state_.register_status = absl::UnavailableError("connection refused");
  EXPECT_EQ(Run({"version"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr(std::string("tandemctl ") + TANDEM_VERSION));
  EXPECT_THAT(out_.str(), HasSubstr("not reachable"));
}

// Runs bash (and zsh, where installed) with the completion script and
// returns what it completes after `words` (the last one being typed).
std::string Complete(const std::string& shell, const std::string& script_path,
                     const std::string& words, int cword) {
  std::string cmd = shell == "bash"
                        ? "bash -c 'source " + script_path + "; COMP_WORDS=(" + words +
                              "); COMP_CWORD=" + std::to_string(cword) +
                              "; _tandemctl; echo \"${COMPREPLY[*]}\"' 2>&1"
                        : "zsh -c 'source " + script_path + "; emulate -L sh; COMP_WORDS=(" +
                              words + "); COMP_CWORD=" + std::to_string(cword) +
                              "; _tandemctl; echo \"${COMPREPLY[*]}\"' 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// The completion scripts complete commands, subcommands, options and types.
TEST_F(CliTest, CompletionScripts) {
  for (const std::string shell : {"bash", "zsh"}) {
    if (shell == "zsh" && std::system("command -v zsh >/dev/null 2>&1") != 0) continue;
    EXPECT_EQ(Run({"completion", shell}), 0);
    const std::string path = ::testing::TempDir() + "/tandemctl-completion." + shell;
    std::ofstream(path) << out_.str();
    EXPECT_EQ(Complete(shell, path, "tandemctl li", 1), "list\n") << shell;
    EXPECT_EQ(Complete(shell, path, "tandemctl db re", 2), "replica rebuild\n") << shell;
    EXPECT_EQ(Complete(shell, path, "tandemctl --server cs1:9000 db replica cr", 5), "create\n")
        << shell;
    // As bash splits it (':' is a word break).
    EXPECT_EQ(Complete(shell, path, "tandemctl --server cs1 : 9000 db replica cr", 7), "create\n")
        << shell;
    EXPECT_EQ(Complete(shell, path, "tandemctl get ho", 2), "host\n") << shell;
    EXPECT_EQ(Complete(shell, path, "tandemctl -o j", 2), "json\n") << shell;
    EXPECT_EQ(Complete(shell, path, "tandemctl list --li", 2), "--limit\n") << shell;
    EXPECT_EQ(Complete(shell, path, "tandemctl dns set --dns-s", 3), "--dns-server\n") << shell;
  }
  EXPECT_EQ(Run({"completion", "fish"}), 2);
}

// set-option to the value already there writes nothing.
TEST_F(CliTest, SetOptionToTheSameValueWritesNothing) {
  (*(*state_.object.mutable_options())["sml"].mutable_entries())["autostart"] = "true";
  EXPECT_EQ(Run({"set-option", "app", "app1", "sml", "autostart", "true"}), 0) << err_.str();
  EXPECT_TRUE(state_.updates.empty());
  EXPECT_THAT(out_.str(), HasSubstr("is already 'true'; nothing changed"));
  EXPECT_EQ(Run({"-o", "json", "set-option", "app", "app1", "sml", "autostart", "true"}), 0);
  auto j = config::ParseJson(out_.str());
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["action"], "unchanged");
  EXPECT_TRUE(state_.updates.empty());
}

// Every write command answers -o json in one shape: action, object, revision.
TEST_F(CliTest, WritesAnswerJsonInOneShape) {
  const std::string host = R"({"name":"h1","properties":{"address":"192.0.2.1"}})";
  struct Case {
    std::vector<std::string> args;
    std::string action;
  };
  for (const Case& c :
       std::vector<Case>{{{"-o", "json", "create", "host", "-"}, "created"},
                         {{"-o", "json", "create", "host", "-f", "-"}, "created"},
                         {{"-o", "json", "update", "app", "app1", "-"}, "updated"},
                         {{"-o", "json", "set-option", "app", "app1", "s", "k", "v2"}, "updated"},
                         {{"-o", "json", "delete", "app", "app1"}, "deleted"}}) {
    ASSERT_EQ(Run(c.args, c.action == "updated" ? R"({"name":"app1"})" : host), 0) << err_.str();
    auto j = config::ParseJson(out_.str());
    ASSERT_TRUE(j.ok()) << out_.str();
    EXPECT_EQ((*j)["action"], c.action) << out_.str();
    EXPECT_TRUE((*j)["object"].is_object()) << out_.str();
    EXPECT_TRUE((*j)["revision"].is_number()) << out_.str();
  }
  EXPECT_EQ(Run({"create", "host"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("give the JSON object file"));
}

// delete of a missing object says delete; list filters are checked.
TEST_F(CliTest, MessagesNameTheCommand) {
  EXPECT_EQ(Run({"delete", "app", "nope"}), 1);
  EXPECT_THAT(err_.str(), StartsWith("tandemctl: delete Application 'nope': no such object"));
  EXPECT_EQ(Run({"list", "app", "--property", "app_tpye=SCS"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--property app_tpye: not a property of Application; did "
                                    "you mean 'app_type'?"));
  EXPECT_TRUE(state_.lists.empty());
  EXPECT_EQ(Run({"list", "app", "--option", "/autostart=true"}), 2);
  EXPECT_EQ(Run({"list", "app", "--option", "sml/=true"}), 2);
  // A reference's value may be a name: sent as its DBID.
  state_.others.push_back(Object(v1::OBJECT_TYPE_HOST, 3, "fw-p"));
  EXPECT_EQ(Run({"list", "app", "--property", "host=fw-p"}), 0) << err_.str();
  ASSERT_EQ(state_.lists.size(), 1u);
  EXPECT_EQ(state_.lists[0].property_value(), "3");
}

// An import that the server refuses names the object and says nothing was
// imported.
TEST_F(CliTest, ImportErrorsNameTheObject) {
  std::vector<v1::ConfigObject> objects = {Object(v1::OBJECT_TYPE_HOST, 1, "h1"),
                                           Object(v1::OBJECT_TYPE_HOST, 2, "h2")};
  std::string doc = config::DumpJson(config::MakeExport({}, objects));
  state_.transaction_status =
      absl::InvalidArgumentError("operation[1]: properties.address: required");
  EXPECT_EQ(Run({"import", "-"}, doc), 1);
  EXPECT_EQ(err_.str(),
            "tandemctl: import stdin: Host 'h2' (dbid 2) (object 2 of 2): properties.address: "
            "required; nothing was imported\n");
  EXPECT_EQ(
      Run({"import", "-"}, R"({"format": "tandem-config-export", "version": 1, "objects": [5]})"),
      1);
  EXPECT_THAT(err_.str(), HasSubstr("nothing was imported"));
}

// status: uptime has a unit even at zero.
TEST_F(CliTest, StatusUptimeHasAUnit) {
  EXPECT_EQ(Run({"status"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), ::testing::ContainsRegex("uptime +[0-9]+s\n"));
}

// The client's TLS: --ca (else a default file), --cert with --key, or
// --plaintext; mistakes are usage errors before anything dials.
TEST_F(CliTest, TlsOptions) {
  unsetenv("TANDEM_PLAINTEXT");
  const std::string home = ::testing::TempDir() + "/cli-home";
  std::filesystem::create_directories(home + "/.config/tandem");
  setenv("HOME", home.c_str(), 1);
  std::filesystem::remove(home + "/.config/tandem/ca.crt");
  if (!std::filesystem::exists("/etc/tandem/pki/ca.crt")) {
    EXPECT_EQ(Run({"status"}), 2);
    EXPECT_THAT(err_.str(), HasSubstr("no CA certificate to check the server with"));
  }
  EXPECT_EQ(Run({"--ca", "/nonexistent/ca.crt", "status"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("cannot read /nonexistent/ca.crt"));
  const std::string ca = home + "/.config/tandem/ca.crt";
  std::ofstream(ca) << "not really a certificate\n";
  EXPECT_EQ(Run({"--cert", ca, "status"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--cert and --key go together"));
  EXPECT_EQ(dials_, 0);
  // The default CA file of the operator is found; the files reach the client.
  config::ClientOptions seen;
  const char* argv[] = {"tandemctl", "status"};
  std::istringstream in;
  EXPECT_EQ(RunCli(
                2, argv,
                [&](const config::ClientOptions& o) {
                  seen = o;
                  return std::make_unique<FakeClient>(&state_);
                },
                in, out_, err_),
            0)
      << err_.str();
  EXPECT_EQ(seen.tls.ca, ca);
  EXPECT_FALSE(seen.tls.plaintext);
  setenv("TANDEM_PLAINTEXT", "1", 1);
}

// history without --since shows the last 20 changes.
TEST_F(CliTest, HistoryDefaultsToTheLastChanges) {
  state_.revision = 100;
  EXPECT_EQ(Run({"history"}), 0) << err_.str();
  ASSERT_FALSE(state_.histories.empty());
  EXPECT_EQ(state_.histories[0].since_revision(), 80);
  EXPECT_EQ(Run({"history", "--from", "3"}), 0) << err_.str();
  EXPECT_EQ(state_.histories.back().since_revision(), 3);
}

}  // namespace
}  // namespace tandem::ctl
