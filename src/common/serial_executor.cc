#include "common/serial_executor.h"

namespace tandem {

SerialExecutor::SerialExecutor() : thread_([this] { Run(); }) {}

SerialExecutor::~SerialExecutor() { Stop(); }

void SerialExecutor::Submit(std::function<void()> task) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      tasks_.push_back(std::move(task));
      return;
    }
  }
  task();
}

void SerialExecutor::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void SerialExecutor::Run() {
  while (true) {
    std::deque<std::function<void()>> batch;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](SerialExecutor* e)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(e->mu_) { return !e->tasks_.empty() || e->stopping_; },
          this));
      if (tasks_.empty()) return;  // stopping and drained
      batch.swap(tasks_);
    }
    for (auto& task : batch) task();
  }
}

}  // namespace tandem
