// Runs tasks one at a time, in submission order, on its own thread.
#pragma once

#include <deque>
#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"

namespace tandem {

class SerialExecutor {
 public:
  SerialExecutor();
  //! Runs what was submitted, then joins.
  ~SerialExecutor();
  SerialExecutor(const SerialExecutor&) = delete;
  SerialExecutor& operator=(const SerialExecutor&) = delete;

  //! Any thread. After Stop() the task runs inline on the caller's thread.
  void Submit(std::function<void()> task);
  //! Waits until every task submitted so far has run, then stops the thread.
  void Stop();

 private:
  void Run();

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tandem
