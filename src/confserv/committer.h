// The single writer of the Configuration Database. Requests queue up while
// the previous batch is being made durable and are then validated, written
// and fsync'ed together (group commit); each request's `done` runs only after
// its changes are durable, and only then are they visible to readers and
// watchers.
#pragma once

#include <deque>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "confserv/config_state.h"
#include "confserv/watch_hub.h"
#include "tandem/config/backend.h"
#include "tandem/storage/storage.h"

namespace tandem::confserv {

struct HistoryRetention {
  //! Keep at least the last `max_count` changes ...
  int64_t max_count = 100'000;
  //! ... and drop changes older than this.
  absl::Duration max_age = absl::Hours(24 * 30);
};

struct CommitterOptions {
  HistoryRetention retention;
  //! Upper bound on operations per group commit.
  size_t max_batch_ops = 4096;
};

class Committer {
 public:
  //! `state` is guarded by `state_mu`; the committer is its only writer.
  Committer(storage::Storage& storage, ConfigState& state, absl::Mutex& state_mu, WatchHub& hub,
            Clock& clock, CommitterOptions options);
  ~Committer();
  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;

  void Start();
  //! Commits everything already queued, then stops; later writes are refused.
  void Stop();
  //! Queues a write (already shape-checked).
  void Submit(config::WriteRequest request);

  //! Total group commits and requests committed (for tests and benchmarks).
  int64_t batches() const;

 private:
  void Run();
  void ProcessBatch(std::deque<config::WriteRequest>& batch);
  void MaybePrune();

  storage::Storage& storage_;
  ConfigState& state_;
  absl::Mutex& state_mu_;
  WatchHub& hub_;
  Clock& clock_;
  const CommitterOptions options_;

  mutable absl::Mutex mu_;
  std::deque<config::WriteRequest> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t batches_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
  absl::Time last_prune_;
};

}  // namespace tandem::confserv
