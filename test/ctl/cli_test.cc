// Tests of tandemctl's commands against a fake client: which requests they
// send, what they print and which exit code they return.
#include "ctl/cli.h"

#include <sstream>

#include "config/object_json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tandem::ctl {
namespace {

using ::testing::HasSubstr;
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
    if (request.dbid() != s_->object.dbid() && request.name() != s_->object.name()) {
      return absl::NotFoundError("no such object");
    }
    v1::GetResponse r;
    *r.mutable_object() = s_->object;
    return r;
  }
  absl::Status List(const v1::ListRequest&, const ListFn& fn) override {
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
        [this](const config::ClientOptions&) { return std::make_unique<FakeClient>(&state_); }, in,
        out_, err_);
  }

  FakeClient::State state_;
  std::ostringstream out_;
  std::ostringstream err_;
};

// A number is a DBID, anything else a name.
TEST_F(CliTest, GetByDbidOrName) {
  EXPECT_EQ(Run({"get", "app", "5"}), 0) << err_.str();
  EXPECT_EQ(state_.gets.back().dbid(), 5);
  EXPECT_EQ(Run({"get", "app", "app1", "--tenant", "3"}), 0);
  EXPECT_EQ(state_.gets.back().name(), "app1");
  EXPECT_EQ(state_.gets.back().tenant_dbid(), 3);
  EXPECT_THAT(out_.str(), HasSubstr("Application app1"));
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
}

}  // namespace
}  // namespace tandem::ctl
