// The Message Server's bus without gRPC, on simulated time: who may publish
// and subscribe by role, listeners woken by publishers, the pair's copy
// (snapshot then feed), and a takeover that begins a new history in which a
// subscriber of the old one resumes and is told what it cannot be given.
#include "msg/bus.h"

#include <gtest/gtest.h>

#include <atomic>

namespace tandem::msg {
namespace {

class Counter final : public BusListener {
 public:
  void OnPublished() override { ++woken; }
  std::atomic<int> woken{0};
};

TEST(BusTest, OnlyTheActingServerTakesPublishersAndSubscribers) {
  SimClock clock;
  Bus bus({}, clock);
  auto l = std::make_shared<Counter>();
  EXPECT_EQ(bus.Publish("c", "p", "x").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(bus.Subscribe("c", "", 0, l).status().code(), absl::StatusCode::kFailedPrecondition);
  bus.SetActing(true, 7);
  EXPECT_EQ(bus.epoch(), 7);
  absl::StatusOr<StartPoint> start = bus.Subscribe("c", "", 0, l);
  ASSERT_TRUE(start.ok()) << start.status();
  EXPECT_EQ(start->from, 1);
  absl::StatusOr<Bus::Published> p = bus.Publish("c", "application a", "hello");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->seq, 1);
  EXPECT_EQ(l->woken, 1) << "the subscriber is woken by the publisher";
  Bus::Read r = bus.ReadFrom("c", 1, 10);
  ASSERT_EQ(r.read.messages.size(), 1u);
  EXPECT_EQ(r.read.messages[0].publisher, "application a");
  EXPECT_EQ(r.history, p->history);
  EXPECT_TRUE(r.acting);
  ASSERT_TRUE(bus.Publish("other", "p", "x").ok());
  EXPECT_EQ(l->woken, 1) << "only its own channel's messages wake it";
  // Stepping down wakes everyone, and their reads say so.
  bus.SetActing(false, 8);
  EXPECT_EQ(l->woken, 2);
  EXPECT_FALSE(bus.ReadFrom("c", 2, 10).acting);
  bus.Unsubscribe("c", l.get());
  EXPECT_EQ(bus.Stats().at(0).subscribers, 0);
}

TEST(BusTest, BadChannelNamesAndLimits) {
  SimClock clock;
  BusOptions o;
  o.max_channels = 2;
  o.max_subscribers = 1;
  Bus bus(o, clock);
  bus.SetActing(true, 1);
  for (const std::string& bad :
       std::vector<std::string>{"", "has space", "a/b", std::string(101, 'x')}) {
    absl::StatusOr<Bus::Published> p = bus.Publish(bad, "p", "x");
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << "'" << bad << "'";
  }
  EXPECT_NE(CheckChannelName("a b").message().find("letters, digits"), std::string::npos);
  ASSERT_TRUE(bus.Publish("one", "p", "x").ok());
  ASSERT_TRUE(bus.Publish("two", "p", "x").ok());
  absl::StatusOr<Bus::Published> third = bus.Publish("three", "p", "x");
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(third.status().message().find("max_channels"), std::string::npos) << third.status();
  ASSERT_TRUE(bus.Subscribe("one", "", 0, std::make_shared<Counter>()).ok());
  EXPECT_EQ(bus.Subscribe("one", "", 0, std::make_shared<Counter>()).status().code(),
            absl::StatusCode::kResourceExhausted);
}

// The backup copies a snapshot and then the feed; it takes over; a
// subscriber of the old primary resumes on it.
TEST(BusTest, TheBackupsCopyGoesOnAfterATakeover) {
  SimClock clock;
  Bus primary({}, clock);
  Bus backup({}, clock);
  primary.SetActing(true, 1);
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(primary.Publish("c", "p", "m" + std::to_string(i)).ok());
  auto copier = std::make_shared<Counter>();
  Bus::CopyStart start = primary.StartCopy(copier);
  ASSERT_EQ(start.channels.size(), 1u);
  backup.ReplaceAll(std::move(start.channels));
  int64_t feed = start.feed_next;
  for (int i = 4; i <= 6; ++i) ASSERT_TRUE(primary.Publish("c", "p", "m" + std::to_string(i)).ok());
  EXPECT_EQ(copier->woken, 3);
  Bus::FeedRead f = primary.ReadFeed(feed, 2);  // only 4 and 5 reach the backup
  ASSERT_EQ(f.entries.size(), 2u);
  for (const Bus::FeedEntry& e : f.entries) ASSERT_TRUE(backup.Append(e.channel, e.message).ok());
  const std::string h1 = primary.ReadFrom("c", 1, 1).history;

  // The primary dies; a subscriber had read all six.
  backup.SetActing(true, 2);
  auto sub = std::make_shared<Counter>();
  absl::StatusOr<StartPoint> p = backup.Subscribe("c", h1, 7, sub);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, StartKind::kDiverged);
  EXPECT_EQ(p->missed, 1) << "message 6 never reached the backup";
  EXPECT_EQ(p->from, 6);
  absl::StatusOr<Bus::Published> n = backup.Publish("c", "p", "n6");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->seq, 6) << "the sequence goes on";
  EXPECT_NE(n->history, h1) << "in a new history";
  Bus::Read r = backup.ReadFrom("c", p->from, 10);
  ASSERT_EQ(r.read.messages.size(), 1u);
  EXPECT_EQ(r.read.messages[0].payload, "n6");
  // One that had read up to 5 goes on without a notice.
  EXPECT_EQ(backup.Subscribe("c", h1, 6, sub)->kind, StartKind::kStarted);
}

TEST(BusTest, ACopierTooFarBehindCopiesAgain) {
  SimClock clock;
  BusOptions o;
  o.max_copy_feed = 3;
  Bus bus(o, clock);
  bus.SetActing(true, 1);
  auto copier = std::make_shared<Counter>();
  Bus::CopyStart start = bus.StartCopy(copier);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(bus.Publish("c", "p", "x").ok());
  Bus::FeedRead f = bus.ReadFeed(start.feed_next, 10);
  EXPECT_TRUE(f.behind);
  bus.StopCopy(copier.get());
  Bus::CopyStart again = bus.StartCopy(copier);
  EXPECT_EQ(again.channels.at(0).second.messages.size(), 5u);
  EXPECT_FALSE(bus.ReadFeed(again.feed_next, 10).behind);
}

}  // namespace
}  // namespace tandem::msg
