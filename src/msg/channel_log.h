// One named channel of the Message Server (issue 13): an ordered log of
// messages, each with a sequence number, kept by count, bytes and age, from
// which a subscriber reads onward from the next sequence it wants. A
// subscriber that comes back (a reconnect, a switchover of the pair) asks
// from where it stopped; when what it missed is no longer kept, the answer
// says so (`gap`, and how many), so that no gap goes untold. Pure: no
// threads of its own, time from the injected clock; callers serialize.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace tandem::msg {

struct Message {
  int64_t seq = 0;
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

class ChannelLog {
 public:
  ChannelLog(std::string name, ChannelOptions options, Clock& clock);

  //! The new message's sequence (1, 2, ...); INVALID_ARGUMENT over the size
  //! limit (nothing kept).
  absl::StatusOr<int64_t> Publish(std::string publisher, std::string payload);

  struct Read {
    std::vector<Message> messages;
    //! Messages from `from` on were dropped before this read (retention):
    //! `missed` of them, the first kept one is `messages.front().seq` (or
    //! `next` when none is kept).
    bool gap = false;
    int64_t missed = 0;
    //! The subscriber asked from beyond anything published here (it followed
    //! another history, e.g. a partner that had more): it is told, and
    //! `next` is where this log goes on.
    bool ahead = false;
    //! Where the next read starts.
    int64_t next = 1;
  };
  //! Up to `max` messages from sequence `from` (1 = the first ever; a
  //! sequence past the end waits for new ones: an empty read).
  Read ReadFrom(int64_t from, size_t max);

  const std::string& name() const { return name_; }
  //! The last sequence published (0: none yet).
  int64_t last_seq() const { return next_seq_ - 1; }
  size_t kept() const { return messages_.size(); }
  size_t kept_bytes() const { return bytes_; }

 private:
  void Trim();

  const std::string name_;
  const ChannelOptions options_;
  Clock& clock_;
  std::deque<Message> messages_;
  size_t bytes_ = 0;
  int64_t next_seq_ = 1;
};

}  // namespace tandem::msg
