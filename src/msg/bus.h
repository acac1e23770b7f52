// The Message Server's channels, thread-safe: what publishers, subscribers
// and the pair's copy share. The acting server takes publishers and
// subscribers; its backup takes neither and keeps a copy of every channel
// (a snapshot, then a feed of each message published), so that when it
// takes over it goes on with the same sequences in a new history
// (channel_log.h). No gRPC here: bus_service.cc carries it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "msg/channel_log.h"

namespace tandem::msg {

struct BusOptions {
  ChannelOptions channel;
  size_t max_channels = 1000;
  size_t max_subscribers = 10000;
  //! Messages held for the partner's copy; a partner further behind copies
  //! everything again.
  size_t max_copy_feed = 100000;
};

//! Told that something changed (a message, the role): it reads what it
//! wants. Called without the bus's lock, from the publisher's thread.
class BusListener {
 public:
  virtual ~BusListener() = default;
  virtual void OnPublished() = 0;
};

//! A channel name: 1-100 of [A-Za-z0-9_.-]; INVALID_ARGUMENT saying so.
absl::Status CheckChannelName(const std::string& name);

class Bus {
 public:
  Bus(BusOptions options, Clock& clock);

  //! Becoming the acting server begins a new history on every channel;
  //! ceasing to act wakes every subscriber (their streams end).
  void SetActing(bool acting, int64_t epoch);
  bool acting() const;
  int64_t epoch() const;

  struct Published {
    int64_t seq = 0;
    std::string history;
  };
  //! FAILED_PRECONDITION when not acting; INVALID_ARGUMENT for a bad channel
  //! name or a message over the limit; RESOURCE_EXHAUSTED past max_channels.
  absl::StatusOr<Published> Publish(const std::string& channel, std::string publisher,
                                    std::string payload);

  //! Registers `listener` on `channel` (created if new) and says where it
  //! starts (ChannelLog::Start).
  absl::StatusOr<StartPoint> Subscribe(const std::string& channel, const std::string& history,
                                       int64_t from_seq, std::shared_ptr<BusListener> listener);
  void Unsubscribe(const std::string& channel, const BusListener* listener);

  struct Read {
    ChannelLog::Read read;
    std::string history;
    //! False once this server stopped acting: the subscriber goes elsewhere.
    bool acting = false;
  };
  Read ReadFrom(const std::string& channel, int64_t from, size_t max);

  // The pair's copy (acting side).
  struct FeedEntry {
    std::string channel;
    Message message;
  };
  struct CopyStart {
    std::vector<std::pair<std::string, ChannelSnapshot>> channels;
    //! The feed position the snapshot is consistent with.
    int64_t feed_next = 0;
  };
  //! Every channel as it is, and `copier` registered for the feed.
  CopyStart StartCopy(std::shared_ptr<BusListener> copier);
  void StopCopy(const BusListener* copier);
  struct FeedRead {
    std::vector<FeedEntry> entries;
    int64_t next = 0;
    //! The copier fell behind what the feed keeps: copy again.
    bool behind = false;
    bool acting = false;
  };
  FeedRead ReadFeed(int64_t from, size_t max);

  // The pair's copy (backup side).
  void ReplaceAll(std::vector<std::pair<std::string, ChannelSnapshot>> channels);
  //! FAILED_PRECONDITION when out of step (copy again).
  absl::Status Append(const std::string& channel, Message message);

  struct ChannelStats {
    std::string name;
    int64_t last_seq = 0;
    size_t kept = 0;
    size_t kept_bytes = 0;
    int subscribers = 0;
    std::string history;
  };
  std::vector<ChannelStats> Stats() const;
  size_t max_message_bytes() const { return options_.channel.max_message_bytes; }

 private:
  struct Channel {
    explicit Channel(ChannelLog l) : log(std::move(l)) {}
    ChannelLog log;
    std::vector<std::shared_ptr<BusListener>> listeners;
  };
  absl::StatusOr<Channel*> FindOrCreate(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<std::shared_ptr<BusListener>> Everyone() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void Tell(const std::vector<std::shared_ptr<BusListener>>& listeners);

  const BusOptions options_;
  Clock& clock_;
  mutable absl::Mutex mu_;
  bool acting_ ABSL_GUARDED_BY(mu_) = false;
  int64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  std::string history_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<Channel>> channels_ ABSL_GUARDED_BY(mu_);
  size_t subscribers_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::shared_ptr<BusListener>> copiers_ ABSL_GUARDED_BY(mu_);
  std::deque<FeedEntry> feed_ ABSL_GUARDED_BY(mu_);
  int64_t feed_first_ ABSL_GUARDED_BY(mu_) = 0;  // position of feed_.front()
};

}  // namespace tandem::msg
