// The single writer of the Configuration Database. Requests queue up while
// the previous batch is being made durable and are then validated, written
// and fsync'ed together (group commit); each request's `done` runs only after
// its changes are durable, and only then are they visible to readers and
// watchers. A batch committed on the primary but not confirmed by the
// synchronous standby in time is applied like any other, and its clients get
// DEADLINE_EXCEEDED saying so.
#pragma once

#include <deque>
#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/serial_executor.h"
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
  //! HA pair: called (on the committer thread) when a commit was refused
  //! because this server no longer holds the master lease.
  std::function<void(const absl::Status&)> on_lease_lost;
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

  //! Counters since start, for logs, tests and benchmarks.
  struct Stats {
    int64_t batches = 0;
    int64_t changes = 0;
    absl::Duration apply;    // validating and building batches
    absl::Duration commit;   // storage writes, including fsync
    absl::Duration publish;  // applying to memory (fan-out and replies run on another thread)
  };
  Stats stats() const;

 private:
  void Run();
  void ProcessBatch(std::deque<config::WriteRequest>& batch);
  void MaybePrune();
  void MaybeReport();

  storage::Storage& storage_;
  ConfigState& state_;
  absl::Mutex& state_mu_;
  WatchHub& hub_;
  Clock& clock_;
  const CommitterOptions options_;

  mutable absl::Mutex mu_;
  std::deque<config::WriteRequest> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
  // Watch fan-out and replies, in commit order, off the writer's thread so
  // that the next batch is not held up by sending responses.
  SerialExecutor completions_;
  absl::Time last_prune_;
  bool prune_backlog_ = false;  // writer thread only
  // Periodic log line of throughput and where the time went.
  absl::Time last_report_ = absl::Now();
  Stats reported_;
};

}  // namespace tandem::confserv
