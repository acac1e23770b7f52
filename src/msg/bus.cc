#include "msg/bus.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tandem::msg {

absl::Status CheckChannelName(const std::string& name) {
  const bool good =
      !name.empty() && name.size() <= 100 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-';
      });
  if (good) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("channel: '", name.substr(0, 100), name.size() > 100 ? "...'" : "'",
                   " is not a channel name (1 to 100 of letters, digits, '_', '.', '-')"));
}

Bus::Bus(BusOptions options, Clock& clock)
    : options_(options), clock_(clock), history_(NewHistoryId()) {}

void Bus::SetActing(bool acting, int64_t epoch) {
  std::vector<std::shared_ptr<BusListener>> tell;
  {
    absl::MutexLock lock(&mu_);
    epoch_ = epoch;
    if (acting == acting_) return;
    acting_ = acting;
    if (acting) {
      history_ = NewHistoryId();
      for (auto& [name, c] : channels_) c->log.BeginHistory(history_);
    } else {
      tell = Everyone();
    }
  }
  Tell(tell);
}

bool Bus::acting() const {
  absl::MutexLock lock(&mu_);
  return acting_;
}

int64_t Bus::epoch() const {
  absl::MutexLock lock(&mu_);
  return epoch_;
}

absl::StatusOr<Bus::Channel*> Bus::FindOrCreate(const std::string& name) {
  auto it = channels_.find(name);
  if (it != channels_.end()) return it->second.get();
  if (absl::Status st = CheckChannelName(name); !st.ok()) return st;
  if (channels_.size() >= options_.max_channels) {
    return absl::ResourceExhaustedError(
        absl::StrCat("this Message Server has ", channels_.size(),
                     " channels, its limit ([bus] max_channels); use an existing channel or "
                     "raise the limit"));
  }
  auto c = std::make_unique<Channel>(ChannelLog(name, options_.channel, clock_, history_));
  Channel* raw = c.get();
  channels_.emplace(name, std::move(c));
  return raw;
}

std::vector<std::shared_ptr<BusListener>> Bus::Everyone() const {
  std::vector<std::shared_ptr<BusListener>> all = copiers_;
  for (const auto& [name, c] : channels_) {
    all.insert(all.end(), c->listeners.begin(), c->listeners.end());
  }
  return all;
}

void Bus::Tell(const std::vector<std::shared_ptr<BusListener>>& listeners) {
  for (const auto& l : listeners) l->OnPublished();
}

absl::StatusOr<Bus::Published> Bus::Publish(const std::string& channel, std::string publisher,
                                            std::string payload) {
  std::vector<std::shared_ptr<BusListener>> tell;
  Published out;
  {
    absl::MutexLock lock(&mu_);
    if (!acting_) {
      return absl::FailedPreconditionError(
          "this Message Server is its pair's backup: publish to its partner");
    }
    absl::StatusOr<Channel*> c = FindOrCreate(channel);
    if (!c.ok()) return c.status();
    absl::StatusOr<int64_t> seq = (*c)->log.Publish(std::move(publisher), std::move(payload));
    if (!seq.ok()) return seq.status();
    out.seq = *seq;
    out.history = history_;
    tell = (*c)->listeners;
    if (!copiers_.empty()) {
      ChannelLog::Read r = (*c)->log.ReadFrom(*seq, 1);
      if (!r.messages.empty()) feed_.push_back({channel, std::move(r.messages.front())});
      while (feed_.size() > options_.max_copy_feed) {
        feed_.pop_front();
        ++feed_first_;
      }
      tell.insert(tell.end(), copiers_.begin(), copiers_.end());
    }
  }
  Tell(tell);
  return out;
}

absl::StatusOr<StartPoint> Bus::Subscribe(const std::string& channel, const std::string& history,
                                          int64_t from_seq, std::shared_ptr<BusListener> listener) {
  absl::MutexLock lock(&mu_);
  if (!acting_) {
    return absl::FailedPreconditionError(
        "this Message Server is its pair's backup: subscribe at its partner");
  }
  if (subscribers_ >= options_.max_subscribers) {
    return absl::ResourceExhaustedError(
        absl::StrCat("this Message Server has ", subscribers_,
                     " subscribers, its limit ([bus] max_subscribers); retry later or raise it"));
  }
  absl::StatusOr<Channel*> c = FindOrCreate(channel);
  if (!c.ok()) return c.status();
  (*c)->listeners.push_back(std::move(listener));
  ++subscribers_;
  return (*c)->log.Start(history, from_seq);
}

void Bus::Unsubscribe(const std::string& channel, const BusListener* listener) {
  absl::MutexLock lock(&mu_);
  auto it = channels_.find(channel);
  if (it == channels_.end()) return;
  auto& ls = it->second->listeners;
  auto gone =
      std::remove_if(ls.begin(), ls.end(), [&](const auto& l) { return l.get() == listener; });
  subscribers_ -= static_cast<size_t>(ls.end() - gone);
  ls.erase(gone, ls.end());
}

Bus::Read Bus::ReadFrom(const std::string& channel, int64_t from, size_t max) {
  absl::MutexLock lock(&mu_);
  Read r;
  r.acting = acting_;
  auto it = channels_.find(channel);
  if (it == channels_.end()) {
    r.read.next = from;
    return r;  // replaced away by a copy: only on a backup, which is not acting
  }
  r.read = it->second->log.ReadFrom(from, max);
  r.history = it->second->log.history();
  return r;
}

Bus::CopyStart Bus::StartCopy(std::shared_ptr<BusListener> copier) {
  absl::MutexLock lock(&mu_);
  CopyStart s;
  for (const auto& [name, c] : channels_) s.channels.emplace_back(name, c->log.Snapshot());
  s.feed_next = feed_first_ + static_cast<int64_t>(feed_.size());
  copiers_.push_back(std::move(copier));
  return s;
}

void Bus::StopCopy(const BusListener* copier) {
  absl::MutexLock lock(&mu_);
  copiers_.erase(std::remove_if(copiers_.begin(), copiers_.end(),
                                [&](const auto& l) { return l.get() == copier; }),
                 copiers_.end());
  if (copiers_.empty()) {
    feed_first_ += static_cast<int64_t>(feed_.size());
    feed_.clear();
  }
}

Bus::FeedRead Bus::ReadFeed(int64_t from, size_t max) {
  absl::MutexLock lock(&mu_);
  FeedRead r;
  r.acting = acting_;
  if (from < feed_first_) {
    r.behind = true;
    r.next = from;
    return r;
  }
  const int64_t end = feed_first_ + static_cast<int64_t>(feed_.size());
  r.next = std::min(from, end);
  for (int64_t i = r.next; i < end && r.entries.size() < max; ++i) {
    r.entries.push_back(feed_[static_cast<size_t>(i - feed_first_)]);
  }
  r.next += static_cast<int64_t>(r.entries.size());
  return r;
}

void Bus::ReplaceAll(std::vector<std::pair<std::string, ChannelSnapshot>> channels) {
  absl::MutexLock lock(&mu_);
  std::map<std::string, std::unique_ptr<Channel>> fresh;
  for (auto& [name, snap] : channels) {
    auto c = std::make_unique<Channel>(ChannelLog(name, options_.channel, clock_, history_));
    c->log.Replace(std::move(snap));
    auto old = channels_.find(name);
    if (old != channels_.end()) c->listeners = std::move(old->second->listeners);
    fresh.emplace(name, std::move(c));
  }
  channels_ = std::move(fresh);
  subscribers_ = 0;
  for (const auto& [name, c] : channels_) subscribers_ += c->listeners.size();
}

absl::Status Bus::Append(const std::string& channel, Message message) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Channel*> c = FindOrCreate(channel);
  if (!c.ok()) return c.status();
  return (*c)->log.Append(std::move(message));
}

std::vector<Bus::ChannelStats> Bus::Stats() const {
  absl::MutexLock lock(&mu_);
  std::vector<ChannelStats> out;
  for (const auto& [name, c] : channels_) {
    out.push_back({name, c->log.last_seq(), c->log.kept(), c->log.kept_bytes(),
                   static_cast<int>(c->listeners.size()), c->log.history()});
  }
  return out;
}

}  // namespace tandem::msg
