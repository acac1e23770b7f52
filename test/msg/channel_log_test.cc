// A Message Server channel on simulated time: sequences, reads onward from
// where a subscriber stopped, retention by count, bytes and age, and the
// gaps a returning subscriber is told about.
#include "msg/channel_log.h"

#include <gtest/gtest.h>

namespace tandem::msg {
namespace {

TEST(ChannelLogTest, SubscribersReadOnwardFromWhereTheyStopped) {
  SimClock clock;
  ChannelLog log("scs_distributed", {}, clock);
  EXPECT_EQ(log.last_seq(), 0);
  ChannelLog::Read empty = log.ReadFrom(1, 10);
  EXPECT_TRUE(empty.messages.empty());
  EXPECT_FALSE(empty.gap);
  EXPECT_EQ(empty.next, 1);
  for (int i = 1; i <= 5; ++i) {
    auto seq = log.Publish("application scs-r1", "m" + std::to_string(i));
    ASSERT_TRUE(seq.ok());
    EXPECT_EQ(*seq, i);
  }
  ChannelLog::Read r = log.ReadFrom(1, 3);
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[0].payload, "m1");
  EXPECT_EQ(r.messages[0].publisher, "application scs-r1");
  EXPECT_EQ(r.messages[0].at, clock.Now());
  EXPECT_EQ(r.next, 4);
  r = log.ReadFrom(r.next, 10);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[1].seq, 5);
  EXPECT_EQ(r.next, 6);
  r = log.ReadFrom(r.next, 10);  // caught up: nothing, no gap
  EXPECT_TRUE(r.messages.empty());
  EXPECT_FALSE(r.gap);
  EXPECT_FALSE(r.ahead);
  EXPECT_EQ(r.next, 6);
  ASSERT_TRUE(log.Publish("application scs-r1", "m6").ok());
  EXPECT_EQ(log.ReadFrom(6, 10).messages.at(0).payload, "m6");
}

TEST(ChannelLogTest, RetentionDropsWhatIsOldAndReadersAreToldOfTheGap) {
  SimClock clock;
  ChannelOptions o;
  o.max_messages = 3;
  o.max_age = absl::Minutes(1);
  ChannelLog log("c", o, clock);
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(log.Publish("p", "x").ok());
  EXPECT_EQ(log.kept(), 3u);
  ChannelLog::Read r = log.ReadFrom(2, 10);
  EXPECT_TRUE(r.gap);
  EXPECT_EQ(r.missed, 1) << "2 was dropped; 3, 4, 5 are kept";
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[0].seq, 3);
  // By age: everything older than a minute goes, even unread.
  clock.Advance(absl::Seconds(61));
  r = log.ReadFrom(6, 10);
  EXPECT_FALSE(r.gap) << "nothing from 6 on was ever published";
  EXPECT_EQ(log.kept(), 0u);
  r = log.ReadFrom(4, 10);
  EXPECT_TRUE(r.gap);
  EXPECT_EQ(r.missed, 2);
  EXPECT_EQ(r.next, 6);
  EXPECT_TRUE(r.messages.empty());
  EXPECT_EQ(*log.Publish("p", "y"), 6) << "sequences go on after a trim";
}

TEST(ChannelLogTest, BytesAndOversizeMessages) {
  SimClock clock;
  ChannelOptions o;
  o.max_bytes = 10;
  o.max_message_bytes = 6;
  ChannelLog log("c", o, clock);
  ASSERT_TRUE(log.Publish("p", "aaaa").ok());
  ASSERT_TRUE(log.Publish("p", "bbbb").ok());
  ASSERT_TRUE(log.Publish("p", "cccc").ok());
  EXPECT_EQ(log.kept(), 2u) << "12 bytes are over the 10 kept";
  EXPECT_EQ(log.kept_bytes(), 8u);
  absl::StatusOr<int64_t> big = log.Publish("p", "1234567");
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(big.status().message().find("limit is 6"), std::string::npos) << big.status();
  EXPECT_EQ(log.last_seq(), 3) << "nothing kept, no sequence used";
}

// A subscriber that followed another history (it saw more than this log
// has, e.g. from a partner that had more) is told, not silently resumed.
TEST(ChannelLogTest, SubscriberAheadOfTheLogIsTold) {
  SimClock clock;
  ChannelLog log("c", {}, clock);
  ASSERT_TRUE(log.Publish("p", "a").ok());
  ChannelLog::Read r = log.ReadFrom(10, 5);
  EXPECT_TRUE(r.ahead);
  EXPECT_FALSE(r.gap);
  EXPECT_EQ(r.next, 2);
  EXPECT_TRUE(r.messages.empty());
  EXPECT_FALSE(log.ReadFrom(0, 5).gap) << "0 means from the start";
}

}  // namespace
}  // namespace tandem::msg
