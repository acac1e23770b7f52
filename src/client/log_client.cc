#include "tandem/client/log_client.h"

#include <unistd.h>

#include <algorithm>
#include <deque>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "common/proto_time.h"
#include "grpcpp/client_context.h"
#include "net/channel.h"
#include "spdlog/spdlog.h"
#include "tandem/config/client.h"
#include "tandem/msg/v1/log.grpc.pb.h"

namespace tandem::client {

namespace mv1 = ::tandem::msg::v1;

struct Logger::Impl {
  explicit Impl(LoggerOptions options) : o(std::move(options)) {
    // The host travels in a string field and in every event id: anything
    // but printable ASCII would make requests unreadable.
    for (char& c : o.host) {
      if (c < 0x20 || c > 0x7e) c = '?';
    }
    net::ChannelOptions co;
    co.tls = o.tls;
    co.max_reconnect_backoff_ms = 1000;
    co.keepalive_time_ms = 5000;  // the servers' minimum (net/grpc_server.cc)
    co.keepalive_timeout_ms = 2000;
    for (const std::string& s : o.servers) {
      stubs.push_back(mv1::LogService::NewStub(net::MakeChannel(s, co)));
    }
    std::random_device rd;
    id_prefix =
        absl::StrFormat("%s-%d-%d-%08x-", o.host, getpid(), absl::ToUnixMicros(absl::Now()), rd());
    if (o.max_batch == 0) o.max_batch = 1;
    sender = std::thread([this] { Run(); });
  }

  void Stop() {
    {
      absl::MutexLock lock(&mu);
      stopping = true;
      if (ctx != nullptr) ctx->TryCancel();
    }
    if (sender.joinable()) sender.join();
  }

  // Sleeps `d` unless stopping first; false once stopping.
  bool Pause(absl::Duration d) {
    absl::MutexLock lock(&mu);
    mu.AwaitWithTimeout(absl::Condition(&stopping), d);
    return !stopping;
  }

  void Run() {
    size_t preferred = 0;
    absl::Duration pause = absl::Milliseconds(20);
    int failures_in_a_row = 0;
    while (true) {
      mv1::AppendRequest req;
      {
        absl::MutexLock lock(&mu);
        mu.Await(absl::Condition(
            +[](Impl* i)
                 ABSL_EXCLUSIVE_LOCKS_REQUIRED(i->mu) { return i->stopping || !i->buffer.empty(); },
            this));
        if (stopping) return;
        const size_t n = std::min(buffer.size(), o.max_batch);
        for (size_t k = 0; k < n; ++k) *req.add_events() = buffer[k];
        req.set_dropped(dropped_unreported);
      }
      if (stubs.empty()) {
        if (!Pause(absl::Seconds(1))) return;
        continue;
      }
      const size_t i = preferred % stubs.size();
      grpc::ClientContext call;
      if (!o.claimed.empty()) call.AddMetadata(config::kClaimedMetadataKey, o.claimed);
      call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      mv1::AppendResponse resp;
      {
        absl::MutexLock lock(&mu);
        if (stopping) return;
        ctx = &call;
      }
      grpc::Status st = stubs[i]->Append(&call, req, &resp);
      {
        absl::MutexLock lock(&mu);
        ctx = nullptr;
      }
      if (st.ok()) {
        Acknowledged(req, resp, o.servers[i]);
        pause = absl::Milliseconds(20);
        failures_in_a_row = 0;
        continue;
      }
      const bool over_rate = st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
      const std::string why = absl::StrCat(o.servers[i], ": ", st.error_message());
      {
        absl::MutexLock lock(&mu);
        last_error = why;
        if (over_rate) ++rate_limited;
      }
      ++failures_in_a_row;
      if (failures_in_a_row == 2 * static_cast<int>(stubs.size()) || failures_in_a_row % 100 == 0) {
        spdlog::warn("log: {} events wait for the Log Message Server ({}); still trying",
                     req.events_size(), why);
      }
      const bool refused_for_good = st.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
                                    st.error_code() == grpc::StatusCode::UNAUTHENTICATED;
      if (over_rate) {
        // The same server: it is the acting one and asks us to slow down.
        if (!Pause(absl::Milliseconds(100))) return;
        continue;
      }
      preferred = i + 1;  // the other server of the pair
      if (refused_for_good || failures_in_a_row % stubs.size() == 0) {
        if (!Pause(refused_for_good ? absl::Seconds(5) : pause)) return;
        pause = std::min(pause * 2, absl::Seconds(1));
      }
    }
  }

  void Acknowledged(const mv1::AppendRequest& req, const mv1::AppendResponse& resp,
                    const std::string& server) {
    absl::MutexLock lock(&mu);
    const size_t n = static_cast<size_t>(req.events_size());
    for (const mv1::RejectedEvent& r : resp.rejected()) {
      spdlog::warn("log: the Log Message Server refused an event for good: {}", r.reason());
    }
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
    rejected += resp.rejected_size();
    acknowledged += resp.stored() + resp.duplicates();
    duplicates += resp.duplicates();
    done += static_cast<int64_t>(n);
    dropped_unreported -= req.dropped();
    this->server = server;
  }

  LoggerOptions o;
  std::vector<std::unique_ptr<mv1::LogService::Stub>> stubs;
  std::string id_prefix;
  std::thread sender;

  mutable absl::Mutex mu;
  bool stopping ABSL_GUARDED_BY(mu) = false;
  grpc::ClientContext* ctx ABSL_GUARDED_BY(mu) = nullptr;
  std::deque<mv1::LogEvent> buffer ABSL_GUARDED_BY(mu);
  int64_t next_id ABSL_GUARDED_BY(mu) = 0;
  int64_t enqueued ABSL_GUARDED_BY(mu) = 0;
  //! Acknowledged or refused for good: no longer the Logger's to keep.
  int64_t done ABSL_GUARDED_BY(mu) = 0;
  int64_t acknowledged ABSL_GUARDED_BY(mu) = 0;
  int64_t duplicates ABSL_GUARDED_BY(mu) = 0;
  int64_t rejected ABSL_GUARDED_BY(mu) = 0;
  int64_t dropped ABSL_GUARDED_BY(mu) = 0;
  int64_t dropped_unreported ABSL_GUARDED_BY(mu) = 0;
  int64_t rate_limited ABSL_GUARDED_BY(mu) = 0;
  absl::Time last_drop_warning ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  std::string server ABSL_GUARDED_BY(mu);
  std::string last_error ABSL_GUARDED_BY(mu);
};

Logger::Logger(LoggerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Logger::~Logger() {
  Flush(absl::Seconds(2));
  impl_->Stop();
}

absl::StatusOr<std::string> Logger::Log(LogLevel level, int64_t message_id,
                                        const std::string& text) {
  return LogFor("", impl_->o.host, level, message_id, text);
}

absl::StatusOr<std::string> Logger::LogFor(const std::string& application, const std::string& host,
                                           LogLevel level, int64_t message_id,
                                           const std::string& text) {
  if (level == LogLevel::kDebug) {
    spdlog::debug("[{}] {}", message_id, text);
    return std::string();
  }
  if (level < LogLevel::kAlarm || level > LogLevel::kTrace) {
    return absl::InvalidArgumentError("the level is none of alarm, standard, interaction, trace");
  }
  if (text.size() > impl_->o.max_text_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the log text is ", text.size(), " bytes, the limit is ", impl_->o.max_text_bytes,
        " (the Log Message Server's [logdb] max_text_bytes): shorten or split it"));
  }
  mv1::LogEvent e;
  e.set_application(application);
  e.set_host(host);
  e.set_level(static_cast<mv1::LogLevel>(level));
  e.set_message_id(message_id);
  e.set_text(text);
  *e.mutable_at() = ToProtoTime(absl::Now());
  absl::MutexLock lock(&impl_->mu);
  if (impl_->buffer.size() >= impl_->o.max_buffered) {
    ++impl_->dropped;
    ++impl_->dropped_unreported;
    const absl::Time now = absl::Now();
    if (now - impl_->last_drop_warning >= absl::Seconds(10)) {
      impl_->last_drop_warning = now;
      spdlog::warn(
          "log: {} events wait for the Log Message Server (the buffer's limit): new events are "
          "dropped ({} so far; last failure: {})",
          impl_->buffer.size(), impl_->dropped, impl_->last_error);
    }
    return absl::ResourceExhaustedError(
        absl::StrCat("the log buffer is full (", impl_->o.max_buffered,
                     " events wait for the Log Message Server): the event is dropped and counted"));
  }
  std::string id = absl::StrCat(impl_->id_prefix, ++impl_->next_id);
  e.set_event_id(id);
  impl_->buffer.push_back(std::move(e));
  ++impl_->enqueued;
  return id;
}

bool Logger::Flush(absl::Duration timeout) {
  absl::MutexLock lock(&impl_->mu);
  const int64_t target = impl_->enqueued;
  auto done = [this, target]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl_->mu) { return impl_->done >= target; };
  return impl_->mu.AwaitWithTimeout(absl::Condition(&done), timeout);
}

LoggerStats Logger::stats() const {
  absl::MutexLock lock(&impl_->mu);
  LoggerStats s;
  s.logged = impl_->enqueued;
  s.acknowledged = impl_->acknowledged;
  s.duplicates = impl_->duplicates;
  s.dropped = impl_->dropped;
  s.rejected = impl_->rejected;
  s.buffered = static_cast<int64_t>(impl_->buffer.size());
  s.rate_limited = impl_->rate_limited;
  s.server = impl_->server;
  s.last_error = impl_->last_error;
  return s;
}

}  // namespace tandem::client
