#include "tandem/client/bus_client.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "common/proto_time.h"
#include "grpcpp/client_context.h"
#include "net/channel.h"
#include "net/status_convert.h"
#include "tandem/config/client.h"
#include "tandem/msg/v1/bus.grpc.pb.h"

namespace tandem::client {
namespace {

namespace mv1 = ::tandem::msg::v1;

std::vector<std::shared_ptr<grpc::Channel>> Channels(const BusOptions& o) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  net::ChannelOptions co;
  co.tls = o.tls;
  co.max_reconnect_backoff_ms = 1000;
  // A server that is cut off (rather than refusing connections) is noticed
  // in about 7 s; servers take pings at most every 5 s (net/grpc_server.cc).
  co.keepalive_time_ms = 5000;
  co.keepalive_timeout_ms = 2000;
  for (const std::string& s : o.servers) channels.push_back(net::MakeChannel(s, co));
  return channels;
}

std::vector<std::unique_ptr<mv1::MessageBus::Stub>> Stubs(
    const std::vector<std::shared_ptr<grpc::Channel>>& channels) {
  std::vector<std::unique_ptr<mv1::MessageBus::Stub>> stubs;
  for (const auto& c : channels) stubs.push_back(mv1::MessageBus::NewStub(c));
  return stubs;
}

// What may travel in a header (printable ASCII): anything else would make
// gRPC abort the process, so it is refused here with a message instead.
absl::Status CheckHeaders(const BusOptions& o) {
  auto printable = [](const std::string& v) {
    return std::all_of(v.begin(), v.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
  };
  if (!printable(o.token)) {
    return absl::InvalidArgumentError(
        "the session token holds characters no token has (a line break, a control character): "
        "give the token as tandemctl login stored it");
  }
  if (!printable(o.claimed)) {
    return absl::InvalidArgumentError("the claimed name must be printable ASCII");
  }
  return absl::OkStatus();
}

BusOptions Cleaned(BusOptions o) {
  o.token = std::string(absl::StripAsciiWhitespace(o.token));
  return o;
}

void Prepare(const BusOptions& o, grpc::ClientContext& ctx) {
  net::AddCallerMetadata(ctx, o.token, o.claimed);
}

// Refusals that another server or a retry cannot mend.
bool Final(grpc::StatusCode c) {
  return c == grpc::StatusCode::INVALID_ARGUMENT || c == grpc::StatusCode::PERMISSION_DENIED ||
         c == grpc::StatusCode::UNAUTHENTICATED || c == grpc::StatusCode::RESOURCE_EXHAUSTED;
}

BusMessage FromProto(const mv1::BusMessage& m) {
  BusMessage out;
  out.channel = m.channel();
  out.seq = m.seq();
  out.history = m.history();
  out.published_at = FromProtoTime(m.published_at());
  out.publisher = m.publisher();
  out.payload = m.payload();
  return out;
}

BusNotice::Kind KindOf(mv1::Notice::Kind k) {
  switch (k) {
    case mv1::Notice::GAP:
      return BusNotice::Kind::kGap;
    case mv1::Notice::DIVERGED:
      return BusNotice::Kind::kDiverged;
    case mv1::Notice::UNKNOWN_HISTORY:
      return BusNotice::Kind::kUnknownHistory;
    default:
      return BusNotice::Kind::kStarted;
  }
}

class Subscriber final : public BusSubscriber {
 public:
  Subscriber(BusOptions options, std::string channel, BusPosition from, Handler on_delivery,
             StateHandler on_state)
      : options_(Cleaned(std::move(options))),
        channel_(std::move(channel)),
        on_delivery_(std::move(on_delivery)),
        on_state_(std::move(on_state)),
        channels_(Channels(options_)),
        stubs_(Stubs(channels_)),
        position_(std::move(from)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Subscriber() override { Stop(); }

  BusPosition position() const override {
    absl::MutexLock lock(&mu_);
    return position_;
  }
  bool connected() const override { return connected_.load(); }

  void Stop() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      if (ctx_ != nullptr) ctx_->TryCancel();
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  // Said once per change (a dormant server would repeat itself every round).
  void State(const std::string& s) {
    if (s == last_state_) return;
    last_state_ = s;
    if (on_state_) on_state_(s);
  }

  // Waits `d` unless stopped first; false once stopping.
  bool Sleep(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&stopping), d);
    return !stopping_;
  }

  void Run() {
    if (stubs_.empty()) {
      State("no Message Server given: nothing to subscribe to");
      return;
    }
    if (absl::Status st = CheckHeaders(options_); !st.ok()) {
      State(std::string(st.message()));
      return;
    }
    size_t server = 0;
    absl::Duration backoff = absl::Milliseconds(50);
    while (true) {
      grpc::ClientContext ctx;
      Prepare(options_, ctx);
      mv1::SubscribeRequest req;
      req.set_channel(channel_);
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
        req.set_history(position_.history);
        req.set_from_seq(position_.next_seq);
        ctx_ = &ctx;
      }
      const std::string& address = options_.servers[server];
      // A server that cannot be reached within 2 s: the next one (a stream
      // would otherwise wait for its connection as long as it takes).
      if (!channels_[server]->WaitForConnected(std::chrono::system_clock::now() +
                                               std::chrono::seconds(2))) {
        {
          absl::MutexLock lock(&mu_);
          ctx_ = nullptr;
        }
        State(absl::StrCat(address, ": not reachable (trying the next server)"));
        server = (server + 1) % stubs_.size();
        if (!Sleep(absl::Milliseconds(50))) return;
        continue;
      }
      auto reader = stubs_[server]->Subscribe(&ctx, req);
      mv1::Delivery d;
      bool got = false;
      while (reader->Read(&d)) {
        if (!got) {
          got = true;
          connected_ = true;
          backoff = absl::Milliseconds(50);
          State(absl::StrCat("subscribed to ", channel_, " at ", address));
        }
        Deliver(d);
      }
      grpc::Status st = reader->Finish();
      connected_ = false;
      {
        absl::MutexLock lock(&mu_);
        ctx_ = nullptr;
        if (stopping_) return;
      }
      State(absl::StrCat(address, ": ",
                         st.error_message().empty() ? "stream ended" : st.error_message(),
                         " (resubscribing)"));
      // Too slow: resume at once from where it stopped (and be told the gap).
      if (st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED && got) continue;
      if (st.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
          st.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
          st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
        backoff = absl::Seconds(5);  // an administrator must act; keep trying slowly
      } else {
        server = (server + 1) % stubs_.size();
        if (got) backoff = absl::Milliseconds(50);
      }
      if (!Sleep(backoff)) return;
      backoff = std::min(backoff * 2, absl::Seconds(5));
    }
  }

  void Deliver(const mv1::Delivery& d) {
    BusDelivery out;
    if (d.has_notice()) {
      out.has_notice = true;
      out.notice.kind = KindOf(d.notice().kind());
      out.notice.history = d.notice().history();
      out.notice.next_seq = d.notice().next_seq();
      out.notice.missed = d.notice().missed();
      out.notice.text = d.notice().text();
    }
    out.messages.reserve(static_cast<size_t>(d.messages_size()));
    for (const mv1::BusMessage& m : d.messages()) out.messages.push_back(FromProto(m));
    {
      absl::MutexLock lock(&mu_);
      if (out.has_notice) position_ = {out.notice.history, out.notice.next_seq};
      if (!out.messages.empty()) {
        position_ = {out.messages.back().history, out.messages.back().seq + 1};
      }
    }
    if (on_delivery_) on_delivery_(out);
  }

  const BusOptions options_;
  const std::string channel_;
  const Handler on_delivery_;
  const StateHandler on_state_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<mv1::MessageBus::Stub>> stubs_;
  mutable absl::Mutex mu_;
  BusPosition position_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* ctx_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::atomic<bool> connected_{false};
  std::string last_state_;  // the subscriber's thread only
  std::thread thread_;
};

}  // namespace

struct BusPublisher::Impl {
  BusOptions options;
  std::vector<std::unique_ptr<mv1::MessageBus::Stub>> stubs;
  std::atomic<size_t> preferred{0};
};

BusPublisher::BusPublisher(BusOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->stubs = Stubs(Channels(options));
  impl_->options = Cleaned(std::move(options));
}

BusPublisher::~BusPublisher() = default;

absl::StatusOr<BusPublisher::Published> BusPublisher::Publish(const std::string& channel,
                                                              const std::string& payload) {
  if (impl_->stubs.empty()) return absl::InvalidArgumentError("no Message Server given");
  if (absl::Status st = CheckHeaders(impl_->options); !st.ok()) return st;
  mv1::PublishRequest req;
  req.set_channel(channel);
  req.set_payload(payload);
  const absl::Time deadline = absl::Now() + impl_->options.timeout;
  std::vector<std::string> failures;
  absl::Duration pause = absl::Milliseconds(20);
  for (size_t attempt = 0;; ++attempt) {
    const size_t i = (impl_->preferred.load() + attempt) % impl_->stubs.size();
    grpc::ClientContext ctx;
    Prepare(impl_->options, ctx);
    ctx.set_deadline(absl::ToChronoTime(std::min(deadline, absl::Now() + absl::Seconds(2))));
    mv1::PublishResponse resp;
    grpc::Status st = impl_->stubs[i]->Publish(&ctx, req, &resp);
    if (st.ok()) {
      impl_->preferred = i;
      return Published{resp.seq(), resp.history(), impl_->options.servers[i]};
    }
    if (Final(st.error_code())) return net::FromGrpc(st);
    failures.push_back(absl::StrCat(impl_->options.servers[i], ": ", st.error_message()));
    if (failures.size() > impl_->stubs.size()) failures.erase(failures.begin());
    if (absl::Now() >= deadline) break;
    // Both servers refused or failed in a row: give the pair a moment.
    if ((attempt + 1) % impl_->stubs.size() == 0) {
      absl::SleepFor(pause);
      pause = std::min(pause * 2, absl::Milliseconds(500));
    }
  }
  return absl::UnavailableError(absl::StrCat(
      "no Message Server took the message within ", absl::FormatDuration(impl_->options.timeout),
      " (", absl::StrJoin(failures, "; "), "); check that one of the pair is acting"));
}

std::unique_ptr<BusSubscriber> BusSubscriber::Start(BusOptions options, std::string channel,
                                                    BusPosition from, Handler on_delivery,
                                                    StateHandler on_state) {
  return std::make_unique<Subscriber>(std::move(options), std::move(channel), std::move(from),
                                      std::move(on_delivery), std::move(on_state));
}

}  // namespace tandem::client
