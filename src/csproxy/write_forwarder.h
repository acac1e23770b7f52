// Forwards writes to the master the proxy follows and answers each only once
// the master committed it (or refused it); then waits, bounded, until the
// proxy's copy has the write, so a client reads its own write through the
// proxy. Writes are forwarded registered as the writing client's application
// name, so the master's history records the real "who".
#pragma once

#include <deque>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "csproxy/config_copy.h"
#include "csproxy/master_link.h"
#include "tandem/config/backend.h"

namespace tandem::csproxy {

class WriteForwarder {
 public:
  //! `threads`: writes in flight to the master at once. `read_own_write_wait`
  //! bounds the wait for the copy after the master committed.
  WriteForwarder(MasterLink& link, ConfigCopy& copy, int threads,
                 absl::Duration read_own_write_wait = absl::Seconds(2));
  ~WriteForwarder();
  WriteForwarder(const WriteForwarder&) = delete;
  WriteForwarder& operator=(const WriteForwarder&) = delete;

  void Start();
  //! Refuses queued writes (UNAVAILABLE), waits for those in flight.
  void Stop();
  //! Queues the write; request.done is called exactly once, on a worker.
  void Submit(config::WriteRequest request);

 private:
  void Worker();
  absl::StatusOr<config::WriteResult> Forward(const config::WriteRequest& request);

  MasterLink& link_;
  ConfigCopy& copy_;
  const int thread_count_;
  const absl::Duration read_own_write_wait_;
  std::vector<std::thread> threads_;
  absl::Mutex mu_;
  std::deque<config::WriteRequest> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace tandem::csproxy
