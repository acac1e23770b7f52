// Fan-out of committed changes to subscribers (watch streams, later the
// backup's sync stream). Thread-safe.
#pragma once

#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "tandem/config/backend.h"

namespace tandem::confserv {

class WatchHub {
 public:
  explicit WatchHub(int64_t revision) : published_(revision) {}
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  //! See Backend::Subscribe. After Close(), subscribers get OnShutdown at once.
  int64_t Subscribe(config::ChangeSubscriber* s);
  void Unsubscribe(config::ChangeSubscriber* s);
  //! Delivers changes (ascending, following the last published) to everyone.
  void Publish(const std::vector<config::ChangePtr>& changes);
  //! Tells every subscriber (once) that the server is stopping, and forgets
  //! them. Idempotent.
  void Close();

 private:
  absl::Mutex mu_;
  int64_t published_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<config::ChangeSubscriber*> subscribers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem::confserv
