#include "msg/channel_log.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tandem::msg {

ChannelLog::ChannelLog(std::string name, ChannelOptions options, Clock& clock)
    : name_(std::move(name)), options_(options), clock_(clock) {}

absl::StatusOr<int64_t> ChannelLog::Publish(std::string publisher, std::string payload) {
  if (payload.size() > options_.max_message_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a message on channel ", name_, " is ", payload.size(), " bytes, the limit is ",
        options_.max_message_bytes, ": split it or raise the channel's max_message_bytes"));
  }
  Message m;
  m.seq = next_seq_++;
  m.at = clock_.Now();
  m.publisher = std::move(publisher);
  m.payload = std::move(payload);
  bytes_ += m.payload.size();
  messages_.push_back(std::move(m));
  Trim();
  return messages_.back().seq;
}

void ChannelLog::Trim() {
  const absl::Time oldest = clock_.Now() - options_.max_age;
  while (!messages_.empty() && (messages_.size() > options_.max_messages ||
                                bytes_ > options_.max_bytes || messages_.front().at < oldest)) {
    bytes_ -= messages_.front().payload.size();
    messages_.pop_front();
  }
}

ChannelLog::Read ChannelLog::ReadFrom(int64_t from, size_t max) {
  Trim();
  Read r;
  from = std::max<int64_t>(from, 1);
  const int64_t first_kept = messages_.empty() ? next_seq_ : messages_.front().seq;
  if (from < first_kept) {
    r.gap = true;
    r.missed = first_kept - from;
    from = first_kept;
  }
  r.next = from;
  if (from > next_seq_) {
    r.ahead = true;
    r.next = next_seq_;
    return r;
  }
  if (messages_.empty() || from == next_seq_) return r;
  for (size_t i = static_cast<size_t>(from - first_kept);
       i < messages_.size() && r.messages.size() < max; ++i) {
    r.messages.push_back(messages_[i]);
  }
  if (!r.messages.empty()) r.next = r.messages.back().seq + 1;
  return r;
}

}  // namespace tandem::msg
