// Idle database connections kept for reuse by reader threads. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace tandem::storage {

template <typename Conn>
class ConnectionPool {
 public:
  using Opener = std::function<absl::StatusOr<std::unique_ptr<Conn>>()>;
  ConnectionPool(Opener open, size_t max_idle) : open_(std::move(open)), max_idle_(max_idle) {}

  //! An idle connection, or a new one.
  absl::StatusOr<std::unique_ptr<Conn>> Borrow() {
    {
      absl::MutexLock lock(&mu_);
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
    }
    return open_();
  }

  //! Keeps a healthy connection for reuse (up to max_idle); the caller drops
  //! broken ones instead of returning them.
  void Return(std::unique_ptr<Conn> c) {
    absl::MutexLock lock(&mu_);
    if (idle_.size() < max_idle_) idle_.push_back(std::move(c));
  }

 private:
  const Opener open_;
  const size_t max_idle_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Conn>> idle_ ABSL_GUARDED_BY(mu_);
};

//! Refuses a database written by a newer schema version than this build's.
absl::Status CheckSchemaNotNewer(const std::string& what, int64_t version);

}  // namespace tandem::storage
