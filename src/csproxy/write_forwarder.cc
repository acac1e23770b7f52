#include "csproxy/write_forwarder.h"

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "spdlog/spdlog.h"

namespace tandem::csproxy {
namespace {

constexpr absl::Duration kTransactionTimeout = absl::Seconds(60);

// The call reached the master (or may have) but no answer came back.
bool OutcomeUnknown(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded ||
         code == absl::StatusCode::kCancelled || code == absl::StatusCode::kUnknown;
}

}  // namespace

WriteForwarder::WriteForwarder(MasterLink& link, ConfigCopy& copy, int threads,
                               absl::Duration read_own_write_wait)
    : link_(link), copy_(copy), thread_count_(threads), read_own_write_wait_(read_own_write_wait) {}

WriteForwarder::~WriteForwarder() { Stop(); }

void WriteForwarder::Start() {
  for (int i = 0; i < thread_count_; ++i) threads_.emplace_back([this] { Worker(); });
}

void WriteForwarder::Stop() {
  std::deque<config::WriteRequest> refused;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    refused.swap(queue_);
  }
  for (config::WriteRequest& r : refused) {
    r.done(absl::UnavailableError(
        "the proxy is shutting down; the change was not applied: send it again to another proxy"));
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void WriteForwarder::Submit(config::WriteRequest request) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push_back(std::move(request));
      return;
    }
  }
  request.done(absl::UnavailableError("the proxy is shutting down; the change was not applied"));
}

void WriteForwarder::Worker() {
  while (true) {
    config::WriteRequest request;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;
      request = std::move(queue_.front());
      queue_.pop_front();
    }
    request.done(Forward(request));
  }
}

absl::StatusOr<config::WriteResult> WriteForwarder::Forward(const config::WriteRequest& request) {
  MasterConnectionPtr master = link_.Current();
  if (master == nullptr) return absl::UnavailableError(link_.LimitedMessage());
  MasterConnection::Writer writer;
  if (!request.server_made) {
    writer = {request.who, request.token, request.on_behalf_of, request.peer};
  }
  auto client = master->Acquire(writer);
  if (!client.ok()) {
    if (OutcomeUnknown(client.status().code())) {
      // Registering comes before the write: nothing was sent.
      return absl::UnavailableError(absl::StrCat(
          "the master ", master->address(), " did not answer the proxy (",
          client.status().message(), "); the change was not applied: retry in a moment"));
    }
    return client.status();
  }
  v1::TransactionRequest tx;
  for (const v1::Operation& op : request.operations) *tx.add_operations() = op;
  auto response = (*client)->Transaction(tx, kTransactionTimeout);
  if (!response.ok()) {
    if (OutcomeUnknown(response.status().code())) {
      // The connection may be gone: do not pool this client.
      return absl::Status(
          response.status().code(),
          absl::StrCat("the write was forwarded to the master ", master->address(),
                       " but no confirmation came back (", response.status().message(),
                       "): whether the change was applied is not known; read it back before "
                       "you retry"));
    }
    master->Release(writer, std::move(*client));
    return response.status();
  }
  master->Release(writer, std::move(*client));
  config::WriteResult result;
  for (v1::ConfigObject& o : *response->mutable_objects()) result.objects.push_back(std::move(o));
  result.first_revision = response->first_revision();
  result.last_revision = response->last_revision();
  if (!copy_.WaitForRevision(result.last_revision, read_own_write_wait_)) {
    spdlog::warn(
        "the master committed revision {} but this proxy's copy is still at {} after {}; "
        "the writer is answered anyway",
        result.last_revision, copy_.revision(), absl::FormatDuration(read_own_write_wait_));
  }
  return result;
}

}  // namespace tandem::csproxy
