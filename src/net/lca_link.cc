#include "net/lca_link.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "net/status_convert.h"
#include "net/tls.h"
#include "tandem/control/v1/lca.grpc.pb.h"

namespace tandem::net {

struct LcaLink::Shared {
  absl::Mutex mu;
  bool stopping ABSL_GUARDED_BY(mu) = false;
  std::deque<LcaCommand> queue ABSL_GUARDED_BY(mu);
  grpc::ClientContext* watch ABSL_GUARDED_BY(mu) = nullptr;
  absl::Time last_heard ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  bool silent ABSL_GUARDED_BY(mu) = false;
  std::shared_ptr<grpc::Channel> channel ABSL_GUARDED_BY(mu);
};

namespace {

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address, const TlsFiles& tls) {
  grpc::ChannelArguments args;
  // A dead host is noticed in about two seconds, well within a grace period.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 1'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 1'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1'000);
  return grpc::CreateCustomChannel(address, MakeChannelCredentials(tls), args);
}

}  // namespace

LcaLink::LcaLink(std::string host, std::string address, TlsFiles tls, LcaEvents events)
    : host_(std::move(host)),
      address_(std::move(address)),
      tls_(std::move(tls)),
      events_(std::move(events)),
      shared_(std::make_shared<Shared>()) {
  {
    absl::MutexLock lock(&shared_->mu);
    shared_->channel = NewChannel(address_, tls_);
  }
  watcher_ = std::thread([this] { Watch(); });
  sender_ = std::thread([this] { Sender(); });
  watchdog_ = std::thread([this] { Watchdog(); });
}

LcaLink::~LcaLink() {
  {
    absl::MutexLock lock(&shared_->mu);
    shared_->stopping = true;
    if (shared_->watch != nullptr) shared_->watch->TryCancel();
  }
  watcher_.join();
  sender_.join();
  watchdog_.join();
}

void LcaLink::Send(LcaCommand command) {
  absl::MutexLock lock(&shared_->mu);
  shared_->queue.push_back(std::move(command));
}

void LcaLink::Watch() {
  absl::Duration backoff = absl::Milliseconds(100);
  while (true) {
    std::shared_ptr<grpc::Channel> channel;
    grpc::ClientContext ctx;
    {
      absl::MutexLock lock(&shared_->mu);
      if (shared_->stopping) return;
      channel = shared_->channel;
      shared_->watch = &ctx;
    }
    auto stub = cv1::LocalControl::NewStub(channel);
    ctx.set_wait_for_ready(false);
    auto reader = stub->WatchStatus(&ctx, cv1::WatchStatusRequest());
    cv1::StatusEvent ev;
    bool up = false;
    while (reader->Read(&ev)) {
      backoff = absl::Milliseconds(100);
      {
        absl::MutexLock lock(&shared_->mu);
        shared_->last_heard = absl::Now();
      }
      if (ev.has_health() && events_.health) events_.health(host_, ev.health());
      if (!ev.initial() && ev.processes().empty()) continue;  // the LCA's "still here"
      if (ev.initial()) {
        up = true;
        events_.up(host_, {ev.processes().begin(), ev.processes().end()});
      } else {
        for (const auto& p : ev.processes()) events_.status(host_, p);
      }
    }
    grpc::Status st = reader->Finish();
    absl::Time last_heard;
    bool silent;
    {
      absl::MutexLock lock(&shared_->mu);
      shared_->watch = nullptr;
      if (shared_->stopping) return;
      last_heard = shared_->last_heard == absl::InfinitePast() ? absl::Now() : shared_->last_heard;
      silent = shared_->silent;
      shared_->silent = false;
      shared_->last_heard = absl::InfinitePast();
    }
    events_.down(host_,
                 silent ? absl::StrCat("silent for more than ", absl::FormatDuration(kSilenceLimit))
                 : up   ? absl::StrCat("the stream ended: ", st.error_message())
                        : absl::StrCat("cannot reach it: ", st.error_message()),
                 last_heard);
    absl::MutexLock lock(&shared_->mu);
    auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared_->mu) { return shared_->stopping; };
    shared_->mu.AwaitWithTimeout(absl::Condition(&stop), backoff);
    backoff = std::min(backoff * 2, absl::Seconds(1));
  }
}

// Cancels a stream that has been silent for kSilenceLimit (a host that is
// gone does not close its TCP connections).
void LcaLink::Watchdog() {
  absl::MutexLock lock(&shared_->mu);
  while (!shared_->stopping) {
    auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared_->mu) { return shared_->stopping; };
    shared_->mu.AwaitWithTimeout(absl::Condition(&stop), absl::Milliseconds(50));
    if (shared_->watch != nullptr && shared_->last_heard != absl::InfinitePast() &&
        !shared_->silent && absl::Now() - shared_->last_heard > kSilenceLimit) {
      shared_->silent = true;
      shared_->watch->TryCancel();
    }
  }
}

void LcaLink::Sender() {
  while (true) {
    LcaCommand cmd;
    std::shared_ptr<grpc::Channel> channel;
    {
      absl::MutexLock lock(&shared_->mu);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared_->mu) {
        return shared_->stopping || !shared_->queue.empty();
      };
      shared_->mu.Await(absl::Condition(&ready));
      if (shared_->stopping) return;
      cmd = std::move(shared_->queue.front());
      shared_->queue.pop_front();
      channel = shared_->channel;
    }
    auto stub = cv1::LocalControl::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    cv1::ProcessStatus out;
    grpc::Status st = std::visit(
        [&](const auto& r) {
          using T = std::decay_t<decltype(r)>;
          if constexpr (std::is_same_v<T, cv1::StartProcessRequest>) {
            return stub->StartProcess(&ctx, r, &out);
          } else if constexpr (std::is_same_v<T, cv1::StopProcessRequest>) {
            return stub->StopProcess(&ctx, r, &out);
          } else {
            return stub->SetMode(&ctx, r, &out);
          }
        },
        cmd);
    // Success needs no word: the watch stream brings the new status, in
    // order (a reply could overtake a later change).
    if (!st.ok()) events_.failed(host_, cmd, FromGrpc(st));
  }
}

}  // namespace tandem::net
