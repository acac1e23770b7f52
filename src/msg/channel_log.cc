#include "msg/channel_log.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tandem::msg {

std::string NewHistoryId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return absl::StrFormat("%016x", rng());
}

ChannelLog::ChannelLog(std::string name, ChannelOptions options, Clock& clock, std::string history)
    : name_(std::move(name)), options_(options), clock_(clock) {
  histories_.emplace_back(std::move(history), 1);
}

absl::StatusOr<int64_t> ChannelLog::Publish(std::string publisher, std::string payload) {
  if (payload.size() > options_.max_message_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a message on channel ", name_, " is ", payload.size(), " bytes, the limit is ",
        options_.max_message_bytes, ": split it or raise the channel's max_message_bytes"));
  }
  Message m;
  m.seq = next_seq_;
  m.history = history();
  m.at = clock_.Now();
  m.publisher = std::move(publisher);
  m.payload = std::move(payload);
  Keep(std::move(m));
  return next_seq_ - 1;
}

void ChannelLog::Keep(Message m) {
  next_seq_ = m.seq + 1;
  bytes_ += m.payload.size();
  messages_.push_back(std::move(m));
  Trim();
}

void ChannelLog::BeginHistory(std::string id) {
  if (histories_.back().second == next_seq_) {
    histories_.back().first = std::move(id);  // nothing was published in it
  } else {
    histories_.emplace_back(std::move(id), next_seq_);
  }
}

void ChannelLog::Trim() {
  const absl::Time oldest = clock_.Now() - options_.max_age;
  while (!messages_.empty() && (messages_.size() > options_.max_messages ||
                                bytes_ > options_.max_bytes || messages_.front().at < oldest)) {
    bytes_ -= messages_.front().payload.size();
    messages_.pop_front();
  }
}

StartPoint ChannelLog::Start(const std::string& history, int64_t from_seq) {
  Trim();
  StartPoint p;
  const int64_t first_kept = FirstKept();
  if (history.empty()) {
    p.from = from_seq <= 0 ? next_seq_ : std::min(from_seq, next_seq_);
  } else {
    size_t k = 0;
    while (k < histories_.size() && histories_[k].first != history) ++k;
    if (k == histories_.size()) {
      p.kind = StartKind::kUnknownHistory;
      p.from = first_kept;
      p.text = absl::StrCat(
          "channel ", name_, ": history ", history,
          " is unknown here (both servers of the Message Server pair restarted since you last "
          "read): what was published in between is lost; delivery goes on from the oldest "
          "message kept, in history ",
          this->history());
      return p;
    }
    // The last sequence of that history that this server has.
    const int64_t end = k + 1 < histories_.size() ? histories_[k + 1].second - 1 : next_seq_ - 1;
    from_seq = std::max<int64_t>(from_seq, 1);
    p.from = from_seq;
    if (from_seq > end + 1) {
      p.kind = StartKind::kDiverged;
      p.missed = from_seq - (end + 1);
      p.from = end + 1;
      p.text = absl::StrCat("channel ", name_, ": you received messages ", end + 1, "..",
                            from_seq - 1, " of history ", history,
                            " from a server that stopped acting before its partner copied them; "
                            "they are not in history ",
                            this->history(), ", which goes on from ", end + 1);
    }
  }
  if (p.from < first_kept) {
    const int64_t gap = first_kept - p.from;
    if (p.kind == StartKind::kStarted) {
      p.kind = StartKind::kGap;
      p.text = absl::StrCat("channel ", name_, ": messages ", p.from, "..", first_kept - 1,
                            " are no longer kept (", gap, " missed); delivery goes on from ",
                            first_kept);
    } else {
      absl::StrAppend(&p.text, "; and ", gap, " more are no longer kept");
    }
    p.missed += gap;
    p.from = first_kept;
  }
  return p;
}

ChannelLog::Read ChannelLog::ReadFrom(int64_t from, size_t max) {
  Trim();
  Read r;
  from = std::clamp<int64_t>(from, 1, next_seq_);
  const int64_t first_kept = FirstKept();
  if (from < first_kept) {
    r.gap = true;
    r.missed = first_kept - from;
    from = first_kept;
  }
  r.next = from;
  for (size_t i = static_cast<size_t>(from - first_kept);
       i < messages_.size() && r.messages.size() < max; ++i) {
    r.messages.push_back(messages_[i]);
  }
  if (!r.messages.empty()) r.next = r.messages.back().seq + 1;
  return r;
}

ChannelSnapshot ChannelLog::Snapshot() const {
  ChannelSnapshot s;
  s.histories = histories_;
  s.messages.assign(messages_.begin(), messages_.end());
  s.next_seq = next_seq_;
  return s;
}

void ChannelLog::Replace(ChannelSnapshot snapshot) {
  histories_ = std::move(snapshot.histories);
  if (histories_.empty()) histories_.emplace_back(NewHistoryId(), 1);
  messages_.clear();
  bytes_ = 0;
  next_seq_ = snapshot.next_seq;
  for (Message& m : snapshot.messages) {
    bytes_ += m.payload.size();
    messages_.push_back(std::move(m));
  }
  Trim();
}

absl::Status ChannelLog::Append(Message m) {
  if (m.seq != next_seq_) {
    return absl::FailedPreconditionError(absl::StrCat("channel ", name_, ": copied message ", m.seq,
                                                      " does not follow ", next_seq_ - 1,
                                                      "; the channel must be copied again"));
  }
  if (m.history != history()) BeginHistory(m.history);
  Keep(std::move(m));
  return absl::OkStatus();
}

}  // namespace tandem::msg
