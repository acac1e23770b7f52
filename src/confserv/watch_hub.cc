#include "confserv/watch_hub.h"

namespace tandem::confserv {

int64_t WatchHub::Subscribe(config::ChangeSubscriber* s) {
  absl::MutexLock lock(&mu_);
  if (closed_) {
    s->OnShutdown();
  } else {
    subscribers_.insert(s);
  }
  return published_;
}

void WatchHub::Unsubscribe(config::ChangeSubscriber* s) {
  absl::MutexLock lock(&mu_);
  subscribers_.erase(s);
}

void WatchHub::Publish(const std::vector<config::ChangePtr>& changes) {
  if (changes.empty()) return;
  absl::MutexLock lock(&mu_);
  for (config::ChangeSubscriber* s : subscribers_) s->OnChanges(changes);
  published_ = changes.back()->revision();
}

void WatchHub::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (config::ChangeSubscriber* s : subscribers_) s->OnShutdown();
  // Told once; a second Close (or a late Unsubscribe) finds nobody.
  subscribers_.clear();
}

}  // namespace tandem::confserv
