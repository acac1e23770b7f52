// The primary master's watch on synchronous replication: which event a
// sample gives (pure), and samples of a real PostgreSQL primary with a
// synchronous standby that streams, then stops.
#include "confserv/replication_watch.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "testing/postgres_cluster.h"

namespace tandem::confserv {
namespace {

namespace fm = client::framework_message;

ReplicationSample Sample(std::string names, std::vector<std::string> missing) {
  ReplicationSample s;
  s.endpoint = "db1:5432/tandem";
  s.sync_names = std::move(names);
  s.missing = std::move(missing);
  return s;
}

TEST(ReplicationEventFor, ADegradedStateRaisesOnceAndWholeAgainClears) {
  std::optional<ReplicationEvent> e = ReplicationEventFor(std::nullopt, Sample("s1", {"s1"}));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->message_id, fm::kSyncDegraded);
  EXPECT_EQ(e->level, client::LogLevel::kAlarm);
  EXPECT_NE(e->text.find("no synchronous standby streams for s1"), std::string::npos) << e->text;
  EXPECT_NE(e->text.find("db1:5432/tandem"), std::string::npos) << e->text;
  EXPECT_FALSE(ReplicationEventFor(true, Sample("s1", {"s1"})).has_value()) << "said once";
  e = ReplicationEventFor(true, Sample("s1", {}));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->message_id, fm::kSyncRestored);
  EXPECT_FALSE(ReplicationEventFor(false, Sample("s1", {})).has_value());
}

TEST(ReplicationEventFor, ANewTermSaysItsStateEitherWayAndAStandbySaysNothing) {
  std::optional<ReplicationEvent> e = ReplicationEventFor(std::nullopt, Sample("s1", {}));
  ASSERT_TRUE(e.has_value()) << "clears an alarm an earlier term of this master raised";
  EXPECT_EQ(e->message_id, fm::kSyncRestored);
  e = ReplicationEventFor(std::nullopt, Sample("", {}));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->message_id, fm::kSyncRestored) << "not asked for is not degraded";
  ReplicationSample standby = Sample("s1", {"s1"});
  standby.in_recovery = true;
  EXPECT_FALSE(ReplicationEventFor(std::nullopt, standby).has_value());
}

TEST(SampleReplication, APrimaryWhoseSynchronousStandbyStopsIsDegraded) {
  testing::PostgresCluster primary;
  ASSERT_TRUE(primary.Start().ok());
  testing::PostgresCluster standby;
  ASSERT_TRUE(standby.StartStandbyOf(primary, "s1").ok());
  ASSERT_TRUE(
      primary
          .Psql("postgres",
                "ALTER SYSTEM SET synchronous_standby_names = 's1'; SELECT pg_reload_conf();")
          .ok());
  absl::StatusOr<ReplicationSample> s;
  const absl::Time until = absl::Now() + absl::Seconds(20);
  do {
    s = SampleReplication(primary.conninfo());
    ASSERT_TRUE(s.ok()) << s.status();
    if (s->missing.empty()) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < until);
  EXPECT_EQ(s->sync_names, "s1");
  EXPECT_TRUE(s->missing.empty()) << "s1 streams";
  EXPECT_FALSE(ReplicationEventFor(false, *s).has_value());

  standby.Stop();
  const absl::Time until2 = absl::Now() + absl::Seconds(20);
  do {
    s = SampleReplication(primary.conninfo());
    ASSERT_TRUE(s.ok()) << s.status();
    if (!s->missing.empty()) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < until2);
  ASSERT_EQ(s->missing, std::vector<std::string>{"s1"});
  std::optional<ReplicationEvent> e = ReplicationEventFor(false, *s);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->message_id, fm::kSyncDegraded);
}

}  // namespace
}  // namespace tandem::confserv
