// One named channel of the Message Server: an ordered log of messages, each
// with a sequence number, kept by count, bytes and age, from which a
// subscriber reads onward from the next sequence it wants.
//
// Sequences run within *histories*, as PostgreSQL's timelines do: an acting
// server's run is one history; the backup that takes over begins a new one
// that continues the sequence of what it had copied. A subscriber that comes
// back (a reconnect, a switchover) says which history it followed and what
// it wants next; Start tells it whatever it cannot be given (a gap, messages
// lost with the old primary, a history unknown here), so that no gap goes
// untold. Pure: no threads of its own, time from the injected clock; callers
// serialize.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace tandem::msg {

struct Message {
  int64_t seq = 0;
  //! The history the sequence belongs to.
  std::string history;
  absl::Time at;
  //! Who published it, as authenticated ("application scs-r1").
  std::string publisher;
  std::string payload;
};

struct ChannelOptions {
  size_t max_messages = 10000;
  size_t max_bytes = 64u << 20;
  absl::Duration max_age = absl::Minutes(10);
  //! A bigger message is refused.
  size_t max_message_bytes = 1u << 20;
};

//! What a subscriber is told when it starts (bus.proto's Notice kinds).
enum class StartKind { kStarted, kGap, kDiverged, kUnknownHistory };

struct StartPoint {
  StartKind kind = StartKind::kStarted;
  //! The first sequence it will be given.
  int64_t from = 1;
  //! Messages it will not be given (see StartKind); 0 for kStarted.
  int64_t missed = 0;
  //! For people: what happened and what to do.
  std::string text;
};

//! A channel as the acting server sends it to its backup.
struct ChannelSnapshot {
  std::vector<std::pair<std::string, int64_t>> histories;  // id, first seq
  std::vector<Message> messages;
  int64_t next_seq = 1;
};

class ChannelLog {
 public:
  //! A new channel whose first history is `history`.
  ChannelLog(std::string name, ChannelOptions options, Clock& clock, std::string history);

  //! The new message's sequence (1, 2, ...) in the current history;
  //! INVALID_ARGUMENT over the size limit (nothing kept).
  absl::StatusOr<int64_t> Publish(std::string publisher, std::string payload);

  //! A new acting server: the sequence goes on in history `id`.
  void BeginHistory(std::string id);

  //! Where a subscriber that followed `history` (empty: a new subscriber)
  //! and wants `from_seq` next starts. A new subscriber's 0 means "new
  //! messages only", 1 "everything kept".
  StartPoint Start(const std::string& history, int64_t from_seq);

  struct Read {
    std::vector<Message> messages;
    //! Messages from `from` on were dropped (retention) before they were
    //! read: `missed` of them. A subscriber that was reading is too slow.
    bool gap = false;
    int64_t missed = 0;
    //! Where the next read starts.
    int64_t next = 1;
  };
  //! Up to `max` messages from sequence `from` (a sequence past the end
  //! waits for new ones: an empty read).
  Read ReadFrom(int64_t from, size_t max);

  //! The backup's copy: the whole channel, then each message as it comes.
  ChannelSnapshot Snapshot() const;
  void Replace(ChannelSnapshot snapshot);
  //! A copied message: FAILED_PRECONDITION unless it is the next sequence
  //! (the copy is out of step: copy the channel again).
  absl::Status Append(Message m);

  const std::string& name() const { return name_; }
  const std::string& history() const { return histories_.back().first; }
  //! The last sequence published (0: none yet).
  int64_t last_seq() const { return next_seq_ - 1; }
  size_t kept() const { return messages_.size(); }
  size_t kept_bytes() const { return bytes_; }
  const ChannelOptions& options() const { return options_; }

 private:
  void Trim();
  void Keep(Message m);
  int64_t FirstKept() const { return messages_.empty() ? next_seq_ : messages_.front().seq; }

  const std::string name_;
  const ChannelOptions options_;
  Clock& clock_;
  //! Oldest first; the last is the current one.
  std::vector<std::pair<std::string, int64_t>> histories_;
  std::deque<Message> messages_;
  size_t bytes_ = 0;
  int64_t next_seq_ = 1;
};

//! A new history id (random, 16 hex digits).
std::string NewHistoryId();

}  // namespace tandem::msg
