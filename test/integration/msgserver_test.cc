// The Message Server pair with real processes: a master with authentication
// on, two `tandemd msgserver`s (ms-a, whose backup is ms-b), and libtandem's
// publisher and subscriber in this process. Messages flow in order; the
// acting server is killed (-9) under a subscriber and the backup takes over
// with the same sequences in a new history, without a gap nobody was told
// of; a subscriber too slow for what a channel keeps is dropped with a clear
// reason and told the gap when it comes back, while publishers never wait;
// and the master's grants decide who may publish (execute) and subscribe
// (read), every refusal saying what to do. With [logdb] the pair is a Log
// Message Server: no event acknowledged to libtandem's Logger is lost when
// the acting server is killed (-9) under load (counted per event id), and
// `tandemctl logs` finds them.
#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "logdb/log_store.h"
#include "nlohmann/json.hpp"
#include "tandem/client/bus_client.h"
#include "tandem/client/log_client.h"
#include "testing/metrics_scrape.h"
#include "testing/msgserver_process.h"
#include "testing/person.h"
#include "testing/tandemd_process.h"
#include "testing/temp_dir.h"
#include "testing/test_pki.h"

namespace tandem::testing {
namespace {

namespace mv1 = ::tandem::msg::v1;
using ::testing::HasSubstr;

// Everything a subscriber was handed, in order.
class Received {
 public:
  void Add(const client::BusDelivery& d) {
    absl::MutexLock lock(&mu_);
    if (d.has_notice) notices_.push_back(d.notice);
    for (const client::BusMessage& m : d.messages) messages_.push_back(m);
  }
  size_t count() const {
    absl::MutexLock lock(&mu_);
    return messages_.size();
  }
  std::vector<client::BusMessage> messages() const {
    absl::MutexLock lock(&mu_);
    return messages_;
  }
  std::vector<client::BusNotice> notices() const {
    absl::MutexLock lock(&mu_);
    return notices_;
  }
  //! Waits up to `seconds` for `n` messages.
  bool WaitFor(size_t n, int seconds) const {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return messages_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(seconds));
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<client::BusMessage> messages_ ABSL_GUARDED_BY(mu_);
  std::vector<client::BusNotice> notices_ ABSL_GUARDED_BY(mu_);
};

class MsgServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    site_.Start();
    ASSERT_FALSE(HasFailure());
    port_a_ = FreePort();
    port_b_ = FreePort();
    Create("folder", R"({"name": "bus", "properties": {}})");
    Create("host", R"({"name": "ms-host", "folder_dbid": 1,
                       "properties": {"address": "127.0.0.1"}})");
    Create("app", Server("ms-b", port_b_, ""));
    Create("app", Server("ms-a", port_a_, R"(, "backup": {"ref": "Application", "name": "ms-b"})"));
    Create("app", R"({"name": "publisher", "folder_dbid": 1,
                      "properties": {"app_type": "ThirdPartyApp"}})");
    site_.AddPerson(carol_, "a long secret of theirs");
    site_.AddPerson(dave_, "a long secret of theirs");
    // The servers read the folder and may take the pair's lock in ms-a;
    // grants on ms-a decide for the pair: the publisher application may
    // publish and subscribe, carol only subscribe, dave nothing.
    for (const std::string grant : {"grant folder bus --application ms-a --rights read",
                                    "grant folder bus --application ms-b --rights read",
                                    "grant app ms-a --application ms-a --rights change",
                                    "grant app ms-a --application ms-b --rights change",
                                    "grant app ms-a --application publisher --rights read,execute",
                                    "grant app ms-a --person carol --rights read"}) {
      Run(admin_, grant);
    }
  }

  void TearDown() override {
    for (auto* s : {a_.get(), b_.get()}) {
      if (s != nullptr && HasFailure()) std::cerr << "--- " << s->dir() << "\n" << s->Log();
    }
  }

  std::string at() const { return site_.at(); }

  static std::string Server(const std::string& name, int port, const std::string& more) {
    return absl::StrCat(R"({"name": ")", name, R"(", "folder_dbid": 1, "properties": {
        "app_type": "MessageServer", "host": {"ref": "Host", "name": "ms-host"},
        "ports": [{"id": "default", "port": )",
                        port, "}]", more, "}}");
  }
  void Create(const std::string& type, const std::string& json) { site_.Create(type, json); }
  void Run(const Person& who, const std::string& args, const std::string& input = "") {
    site_.Run(who, args, input);
  }

  std::unique_ptr<MsgServerProcess> StartServer(const std::string& name, int port,
                                                const std::string& extra = "") {
    MsgServerOptions o;
    o.masters = {at()};
    o.application = name;
    o.listen = absl::StrCat("127.0.0.1:", port);
    o.extra_toml = extra;
    auto s = std::make_unique<MsgServerProcess>(o);
    s->Start();
    return s;
  }
  void StartPair(const std::string& extra = "") {
    a_ = StartServer("ms-a", port_a_, extra);
    b_ = StartServer("ms-b", port_b_, extra);
    ASSERT_TRUE(WaitUntil([&] { return a_->Info().acting() && b_->Info().copying(); }, 20))
        << "ms-a never acted with ms-b copying it";
  }
  static bool WaitUntil(const std::function<bool()>& done, int seconds) {
    for (int i = 0; i < seconds * 20; ++i) {
      if (done()) return true;
      usleep(50 * 1000);
    }
    return false;
  }
  client::BusOptions As(const std::string& application) const {
    client::BusOptions o;
    o.servers = {absl::StrCat("127.0.0.1:", port_a_), absl::StrCat("127.0.0.1:", port_b_)};
    o.tls = TestPki::Get().Client(application);
    o.timeout = absl::Seconds(20);
    return o;
  }
  client::BusOptions AsPerson(const Person& p) const {
    client::BusOptions o = As("publisher");
    o.tls = TestPki::Get().Trust();
    o.token = p.token();
    o.timeout = absl::Seconds(3);
    return o;
  }
  static int64_t LastSeq(const mv1::BusInfo& info, const std::string& channel) {
    for (const mv1::ChannelInfo& c : info.channels()) {
      if (c.name() == channel) return c.last_seq();
    }
    return 0;
  }

  OperatedMaster site_;
  std::unique_ptr<MsgServerProcess> a_;
  std::unique_ptr<MsgServerProcess> b_;
  int port_a_ = 0;
  int port_b_ = 0;
  const Person& admin_ = site_.admin();
  Person carol_{"carol"};
  Person dave_{"dave"};
};

TEST_F(MsgServerTest, SubscribersResumeAcrossAKillOfTheActingServer) {
  StartPair();
  Received got;
  std::vector<std::string> states;
  absl::Mutex states_mu;
  auto sub = client::BusSubscriber::Start(
      As("publisher"), "scs_distributed", {"", 1},
      [&](const client::BusDelivery& d) { got.Add(d); },
      [&](const std::string& s) {
        absl::MutexLock lock(&states_mu);
        states.push_back(s);
      });
  client::BusPublisher pub(As("publisher"));
  for (int i = 1; i <= 200; ++i) {
    absl::StatusOr<client::BusPublisher::Published> p =
        pub.Publish("scs_distributed", absl::StrCat("m", i));
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->seq, i);
  }
  ASSERT_TRUE(got.WaitFor(200, 10)) << got.count();
  // ms-b holds all of them before ms-a dies: nothing may be lost.
  ASSERT_TRUE(WaitUntil([&] { return LastSeq(b_->Info(), "scs_distributed") == 200; }, 10));
  // tandemctl bus status shows the pair and the channel, the copy caught up.
  CommandResult r = admin_.Ctl(at(), "-o json bus status --from ms-a");
  ASSERT_EQ(r.code, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["servers"][0]["application"], "ms-a");
  EXPECT_EQ(j["servers"][0]["role"], "acting");
  EXPECT_EQ(j["servers"][1]["role"], "backup");
  EXPECT_EQ(j["servers"][1]["copying"], true);
  ASSERT_EQ(j["channels"].size(), 1u) << r.out;
  EXPECT_EQ(j["channels"][0]["channel"], "scs_distributed");
  EXPECT_EQ(j["channels"][0]["last_seq"], 200);
  EXPECT_EQ(j["channels"][0]["backup_last_seq"], 200);
  EXPECT_EQ(j["channels"][0]["subscribers"], 1);
  EXPECT_TRUE(j["warnings"].empty()) << r.out;
  const std::string first_history = got.messages().front().history;
  a_->Kill();
  for (int i = 201; i <= 400; ++i) {
    absl::StatusOr<client::BusPublisher::Published> p =
        pub.Publish("scs_distributed", absl::StrCat("m", i));
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->seq, i) << "the new acting server goes on with the sequence";
    EXPECT_EQ(p->server, absl::StrCat("127.0.0.1:", port_b_));
  }
  ASSERT_TRUE(got.WaitFor(400, 20)) << got.count();
  // Every Message Server: ms-a is down, which is a warning (exit 1).
  r = admin_.Ctl(at(), "bus status");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_THAT(r.out,
              HasSubstr(absl::StrCat("WARNING: ms-a at 127.0.0.1:", port_a_, " does not answer")));
  EXPECT_THAT(r.out, HasSubstr("unreachable"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("ms-b +scs_distributed +400 "));
  sub->Stop();
  std::vector<client::BusMessage> m = got.messages();
  ASSERT_EQ(m.size(), 400u);
  for (size_t i = 0; i < m.size(); ++i) {
    ASSERT_EQ(m[i].seq, static_cast<int64_t>(i + 1));
    ASSERT_EQ(m[i].payload, absl::StrCat("m", i + 1)) << "in order, none twice, none missing";
    EXPECT_EQ(m[i].publisher, "application publisher");
  }
  EXPECT_EQ(m[199].history, first_history);
  EXPECT_NE(m[200].history, first_history) << "ms-b acts in a history of its own";
  for (const client::BusNotice& n : got.notices()) {
    EXPECT_EQ(n.kind, client::BusNotice::Kind::kStarted) << n.text;
  }
  EXPECT_GE(got.notices().size(), 2u) << "it subscribed again, at ms-b";

  // ms-a comes back as the backup (ms-b holds the lock) and copies ms-b.
  a_ = StartServer("ms-a", port_a_);
  ASSERT_TRUE(WaitUntil([&] { return a_->Info().copying(); }, 20)) << a_->Log();
  EXPECT_TRUE(b_->Info().acting());
  r = admin_.Ctl(at(), "bus status --from ms-b");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out,
              ::testing::ContainsRegex("ms-a +127.0.0.1:[0-9]+ +backup +[0-9]+ +ms-b +live"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("ms-b +scs_distributed +400 +[0-9]+ +[0-9]+ +0 +0"))
      << "no subscriber now, the backup 0 behind";
  EXPECT_EQ(LastSeq(a_->Info(), "scs_distributed"), 400);
  // A publisher that tries ms-a first is sent on to ms-b.
  client::BusOptions o = As("publisher");
  std::swap(o.servers[0], o.servers[1]);
  absl::StatusOr<client::BusPublisher::Published> p =
      client::BusPublisher(o).Publish("scs_distributed", "m401");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->seq, 401);
}

TEST_F(MsgServerTest, NoAcknowledgedLogEventIsLostAcrossAKillOfTheActingServer) {
  // One host: both servers of the pair share the SQLite Log Database.
  TempDir dir;
  const std::string db = dir.file("log.db");
  StartPair(absl::StrCat("[logdb]\nsqlite = \"", db, "\"\n"));
  client::LoggerOptions lo;
  lo.servers = As("publisher").servers;
  lo.tls = TestPki::Get().Client("publisher");
  lo.host = "app-1";
  lo.max_batch = 250;
  client::Logger log(lo);
  std::vector<std::string> ids;
  constexpr int kEvents = 30'000;
  const absl::Time start = absl::Now();
  for (int i = 0; i < kEvents; ++i) {
    absl::StatusOr<std::string> id =
        log.Log(i % 100 == 0 ? client::LogLevel::kAlarm : client::LogLevel::kStandard, 5000 + i % 7,
                absl::StrCat("event ", i));
    ASSERT_TRUE(id.ok()) << id.status();
    ids.push_back(*id);
    if (i % 500 == 499) usleep(10 * 1000);  // ~50,000 events/s offered, spread over the kill
    if (i == kEvents / 3) {
      // ms-a has acknowledged thousands: they must all be there afterwards.
      ASSERT_TRUE(WaitUntil([&] { return log.stats().acknowledged > 2000; }, 20))
          << log.stats().last_error;
      a_->Kill();
    }
  }
  ASSERT_TRUE(log.Flush(absl::Seconds(60))) << log.stats().last_error;
  const absl::Duration took = absl::Now() - start;
  client::LoggerStats s = log.stats();
  EXPECT_EQ(s.acknowledged, kEvents);
  EXPECT_EQ(s.dropped, 0);
  EXPECT_EQ(s.server, absl::StrCat("127.0.0.1:", port_b_)) << "ms-b took over";
  std::cerr << "30,000 events, ms-a killed after a third: all acknowledged in " << took << " ("
            << s.duplicates << " sent again after the kill were duplicates)\n";
  // Counted per event id, in the database itself.
  auto store = logdb::LogStore::OpenSqlite(db);
  ASSERT_TRUE(store.ok()) << store.status();
  std::set<std::string> stored;
  int64_t after = 0;
  while (true) {
    absl::StatusOr<std::vector<logdb::StoredEvent>> page =
        (*store)->Find({.after_seq = after, .limit = 10000});
    ASSERT_TRUE(page.ok()) << page.status();
    if (page->empty()) break;
    for (const logdb::StoredEvent& e : *page) {
      EXPECT_TRUE(stored.insert(e.event.event_id).second) << "stored twice: " << e.event.event_id;
      EXPECT_EQ(e.event.application, "publisher");
    }
    after = page->back().seq;
  }
  int missing = 0;
  for (const std::string& id : ids) missing += stored.count(id) == 0 ? 1 : 0;
  EXPECT_EQ(missing, 0) << "acknowledged events lost";
  EXPECT_EQ(stored.size(), static_cast<size_t>(kEvents));

  // tandemctl logs: carol may read (read on ms-a), through the acting ms-b;
  // like any operator she reads the configuration (to find the servers).
  Run(admin_, "grant folder bus --person carol --rights read");
  CommandResult r =
      carol_.Ctl(at(), "-o json logs --from ms-a --level alarm --message-id 5000 --limit 5");
  ASSERT_EQ(r.code, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_array()) << r.out;
  ASSERT_EQ(j.size(), 5u) << r.out;
  EXPECT_EQ(j[4]["text"], absl::StrCat("event ", 29'400)) << "the newest five, oldest first";
  EXPECT_EQ(j[4]["level"], "alarm");
  EXPECT_EQ(j[4]["application"], "publisher");
  r = carol_.Ctl(at(), "logs --from ms-a --grep 'event 2999' --limit 3");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("TEXT"));
  EXPECT_THAT(r.out, HasSubstr("event 29999"));
  r = carol_.Ctl(at(), "logs --from ms-a --level debug");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("debug stays in each application's own log"));
  r = carol_.Ctl(at(), "logs --from ms-a --since yesterday");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("neither a time"));
  r = carol_.Ctl(at(), "logs");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("give --from NAME"));
  EXPECT_THAT(r.out, HasSubstr("ms-a"));
  r = dave_.Ctl(at(), "logs --from ms-a");
  EXPECT_NE(r.code, 0) << "dave has no read right on ms-a";
  // --follow prints what is stored afterwards (one JSON object a line), until
  // interrupted.
  CommandResult f;
  std::thread follower([&] {
    f = Shell(absl::StrCat("TANDEM_TOKEN=", absl::StripAsciiWhitespace(carol_.token()),
                           " timeout --preserve-status -s INT 8 ", BinaryPath("tandemctl"),
                           " --server ", at(),
                           " -o json logs --from ms-a --follow --limit 1 --grep marker 2>&1"));
  });
  usleep(3000 * 1000);
  ASSERT_TRUE(log.Log(client::LogLevel::kAlarm, 1, "marker after the follower started").ok());
  ASSERT_TRUE(log.Flush(absl::Seconds(10)));
  follower.join();
  EXPECT_EQ(f.code, 0) << "interrupted is a normal end: " << f.out;
  EXPECT_THAT(f.out, HasSubstr("\"text\":\"marker after the follower started\""));
}

TEST_F(MsgServerTest, AlarmsAreRaisedAndClearedByMessageIdsAndSurviveATakeover) {
  Create("alarm_condition", R"({"name": "disk-full", "folder_dbid": 1, "properties": {
      "category": "critical", "detect_log_event_id": 4101, "cancel_log_event_id": 4102}})");
  TempDir dir;
  // ms-a serves /metrics too.
  const int metrics_port = FreePort();
  const std::string logdb = absl::StrCat("[logdb]\nsqlite = \"", dir.file("log.db"), "\"\n");
  a_ = StartServer("ms-a", port_a_, logdb + MetricsToml(metrics_port));
  b_ = StartServer("ms-b", port_b_, logdb);
  ASSERT_TRUE(WaitUntil([&] { return a_->Info().acting() && b_->Info().copying(); }, 20));
  Received published;
  auto sub = client::BusSubscriber::Start(As("publisher"), "alarms", {"", 1},
                                          [&](const client::BusDelivery& d) { published.Add(d); });
  client::LoggerOptions lo;
  lo.servers = As("publisher").servers;
  lo.tls = TestPki::Get().Client("publisher");
  lo.host = "app-1";
  client::Logger log(lo);
  auto alarms = [&](const std::string& flags = "") {
    CommandResult r = carol_.Ctl(at(), "-o json alarms --from ms-a " + flags);
    EXPECT_EQ(r.code, 0) << r.out;
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_array() ? j : nlohmann::json::array();
  };
  Run(admin_, "grant folder bus --person carol --rights read");
  ASSERT_TRUE(log.Log(client::LogLevel::kAlarm, 4101, "disk full on /var").ok());
  ASSERT_TRUE(log.Flush(absl::Seconds(10)));
  nlohmann::json active = alarms();
  ASSERT_EQ(active.size(), 1u) << active.dump(2);
  EXPECT_EQ(active[0]["condition"], "disk-full");
  EXPECT_EQ(active[0]["category"], "critical");
  EXPECT_EQ(active[0]["application"], "publisher");
  EXPECT_EQ(active[0]["host"], "app-1");
  EXPECT_EQ(active[0]["text"], "disk full on /var");
  ASSERT_TRUE(published.WaitFor(1, 10)) << "the raise is published on the bus";
  EXPECT_THAT(published.messages()[0].payload, HasSubstr("\"condition\":\"disk-full\""));
  // /metrics says so: the alarm, the stored event, the published message.
  {
    const Samples m = Scrape(metrics_port);
    EXPECT_EQ(At(m, "tandem_alarms_active{category=\"critical\"}"), 1);
    EXPECT_EQ(At(m, "tandem_alarms_active{category=\"major\"}"), 0);
    EXPECT_GE(At(m, "tandem_log_events_stored_total{application=\"publisher\"}"), 1);
    EXPECT_EQ(At(m, "tandem_log_events_rejected_total{application=\"publisher\"}"), 0);
    EXPECT_EQ(At(m, "tandem_bus_acting"), 1);
    EXPECT_GE(At(m, "tandem_bus_messages_published_total{channel=\"alarms\"}"), 1);
    EXPECT_GE(At(m, "tandem_bus_subscribers{channel=\"alarms\"}"), 1);
  }
  // The cancel id from the same application and host clears it.
  ASSERT_TRUE(log.Log(client::LogLevel::kStandard, 4102, "space again").ok());
  ASSERT_TRUE(log.Flush(absl::Seconds(10)));
  EXPECT_EQ(alarms().size(), 0u);
  nlohmann::json all = alarms("--all");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_THAT(all[0]["cleared_by"].get<std::string>(), HasSubstr("(message 4102)"));
  // Raised again; ms-a dies; ms-b takes over with it, and an operator clears it.
  ASSERT_TRUE(log.Log(client::LogLevel::kAlarm, 4101, "disk full again").ok());
  ASSERT_TRUE(log.Flush(absl::Seconds(10)));
  ASSERT_EQ(alarms().size(), 1u);
  a_->Kill();
  ASSERT_TRUE(WaitUntil([&] { return b_->Info().acting(); }, 20));
  active = alarms();
  ASSERT_EQ(active.size(), 1u) << "ms-b took the active alarm from the Log Database";
  const int64_t id = active[0]["id"];
  CommandResult r = carol_.Ctl(at(), absl::StrCat("alarms clear ", id, " --from ms-a"));
  EXPECT_NE(r.code, 0) << "carol may only read";
  r = admin_.Ctl(at(), absl::StrCat("alarms clear ", id, " --from ms-a"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat("cleared alarm ", id)));
  EXPECT_EQ(alarms().size(), 0u);
  r = admin_.Ctl(at(), absl::StrCat("alarms clear ", id, " --from ms-a"));
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("no active alarm has id"));
  sub->Stop();
}

TEST_F(MsgServerTest, ASlowSubscriberIsDroppedToldTheGapAndNeverSlowsPublishers) {
  StartPair("[channels]\nmax_messages = 50\n");
  Received got;
  absl::Notification release;
  std::atomic<bool> blocked{false};
  auto sub = client::BusSubscriber::Start(As("publisher"), "logs", {"", 0},
                                          [&](const client::BusDelivery& d) {
                                            got.Add(d);
                                            if (!d.messages.empty() && !blocked.exchange(true))
                                              release.WaitForNotification();
                                          });
  ASSERT_TRUE(WaitUntil([&] { return sub->connected(); }, 10));
  client::BusPublisher pub(As("publisher"));
  const std::string payload(60000, 'x');  // 18 MB: more than the stream's windows hold
  const absl::Time start = absl::Now();
  for (int i = 1; i <= 300; ++i) {
    ASSERT_TRUE(pub.Publish("logs", payload).ok());
  }
  const absl::Duration took = absl::Now() - start;
  release.Notify();
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const client::BusNotice& n : got.notices()) {
          if (n.kind == client::BusNotice::Kind::kGap) return true;
        }
        return false;
      },
      20))
      << "the slow subscriber was never told of a gap";
  ASSERT_TRUE(WaitUntil([&] { return sub->position().next_seq == 301; }, 20))
      << sub->position().next_seq;
  sub->Stop();
  int64_t missed = 0;
  for (const client::BusNotice& n : got.notices()) {
    if (n.kind == client::BusNotice::Kind::kGap) {
      missed += n.missed;
      EXPECT_THAT(n.text, HasSubstr("no longer kept"));
    }
  }
  // Every message was either delivered or counted as missed.
  EXPECT_EQ(static_cast<int64_t>(got.count()) + missed, 300) << got.count() << " + " << missed;
  EXPECT_GT(missed, 0);
  EXPECT_THAT(a_->Log(), HasSubstr("too slowly"));
  // Publishing did not wait for the subscriber (which was blocked).
  EXPECT_LT(took, absl::Seconds(15));
}

TEST_F(MsgServerTest, GrantsDecideWhoMayPublishAndSubscribe) {
  StartPair();
  // carol may subscribe but not publish.
  Received carols;
  auto sub = client::BusSubscriber::Start(AsPerson(carol_), "c", {"", 0},
                                          [&](const client::BusDelivery& d) { carols.Add(d); });
  ASSERT_TRUE(WaitUntil([&] { return sub->connected(); }, 10));
  absl::StatusOr<client::BusPublisher::Published> p =
      client::BusPublisher(AsPerson(carol_)).Publish("c", "x");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(p.status().message(), HasSubstr("person carol may not publish on"));
  EXPECT_THAT(p.status().message(), HasSubstr("tandemctl grant app ms-a"));
  ASSERT_TRUE(client::BusPublisher(As("publisher")).Publish("c", "hello").ok());
  ASSERT_TRUE(carols.WaitFor(1, 10));
  EXPECT_EQ(carols.messages()[0].payload, "hello");
  sub->Stop();

  // A token with a line break inside is refused with a message (gRPC would
  // abort the process on such a header).
  client::BusOptions broken = AsPerson(carol_);
  broken.token = "v1.abc\ndef";
  absl::StatusOr<client::BusPublisher::Published> bad =
      client::BusPublisher(broken).Publish("c", "x");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("a line break"));

  // dave may do neither.
  auto bus = a_->Bus();
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization",
                    "Bearer " + std::string(absl::StripAsciiWhitespace(dave_.token())));
    mv1::SubscribeRequest req;
    req.set_channel("c");
    auto reader = bus->Subscribe(&ctx, req);
    mv1::Delivery d;
    EXPECT_FALSE(reader->Read(&d));
    grpc::Status st = reader->Finish();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(st.error_message(), HasSubstr("person dave may not subscribe at"));
    EXPECT_THAT(st.error_message(), HasSubstr("the read right on Application ms-a"));
  }
  // No credentials at all.
  {
    grpc::ClientContext ctx;
    mv1::PublishRequest req;
    req.set_channel("c");
    mv1::PublishResponse resp;
    grpc::Status st = bus->Publish(&ctx, req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED) << st.error_message();
  }
  // A bad channel name and an oversize message, refused before anything.
  client::BusPublisher pub(As("publisher"));
  EXPECT_EQ(pub.Publish("no spaces", "x").status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<client::BusPublisher::Published> big =
      pub.Publish("c", std::string((1 << 20) + 1, 'x'));
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(big.status().message(), HasSubstr("the limit is 1048576"));
  // Only the partner may copy.
  {
    grpc::ClientContext ctx;
    auto reader = a_->Bus("publisher")->Copy(&ctx, mv1::CopyRequest());
    mv1::CopyEvent e;
    EXPECT_FALSE(reader->Read(&e));
    grpc::Status st = reader->Finish();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(st.error_message(), HasSubstr("only ms-b"));
  }
  // The backup refuses publishers, naming its partner.
  {
    grpc::ClientContext ctx;
    mv1::PublishRequest req;
    req.set_channel("c");
    mv1::PublishResponse resp;
    grpc::Status st = b_->Bus("publisher")->Publish(&ctx, req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(st.error_message(), HasSubstr("publish to its partner ms-a"));
  }
}

}  // namespace
}  // namespace tandem::testing
