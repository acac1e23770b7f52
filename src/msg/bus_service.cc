#include "msg/bus_service.h"

#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
#include "net/config_service.h"
#include "net/status_convert.h"
#include "net/tls.h"
#include "spdlog/spdlog.h"

namespace tandem::msg {

namespace {

// What one stream message carries at most (a message over it goes alone);
// clients take 64 MiB (net/channel.cc).
constexpr size_t kMaxDeliveryBytes = 4u << 20;

grpc::Status Refusal(grpc::StatusCode code, std::string message) {
  return grpc::Status(code, std::move(message));
}

mv1::Notice::Kind KindOf(StartKind k) {
  switch (k) {
    case StartKind::kStarted:
      return mv1::Notice::STARTED;
    case StartKind::kGap:
      return mv1::Notice::GAP;
    case StartKind::kDiverged:
      return mv1::Notice::DIVERGED;
    case StartKind::kUnknownHistory:
      return mv1::Notice::UNKNOWN_HISTORY;
  }
  return mv1::Notice::KIND_UNSPECIFIED;
}

// A stream's registration on the bus: lets the bus wake the reactor and
// outlives it (the bus may hold it a moment after the stream is done).
template <typename Reactor>
class Wake final : public BusListener {
 public:
  explicit Wake(Reactor* r) : r_(r) {}
  void OnPublished() override {
    absl::MutexLock lock(&mu_);
    if (r_ != nullptr) r_->Pump();
  }
  void Detach() {
    absl::MutexLock lock(&mu_);
    r_ = nullptr;
  }

 private:
  absl::Mutex mu_;
  Reactor* r_ ABSL_GUARDED_BY(mu_);
};

// The parts every stream of ours shares: finishing once, after the write in
// flight, and deleting itself once gRPC is done and no check is pending.
// Derived has Pump() (write what is due) and Leave() (unregister wake_ from
// the bus).
template <typename Out, typename Derived>
class StreamBase : public grpc::ServerWriteReactor<Out> {
 public:
  void OnWriteDone(bool ok) override {
    WriteDone(ok);
    static_cast<Derived*>(this)->Pump();
  }
  void OnDone() override {
    if (MarkDone()) Release();
  }

 protected:
  //! The end of Begin (the access check answered): deletes the reactor if
  //! gRPC is done with it already, else makes the first read. The read goes
  //! through wake_: once the check is marked done, gRPC may end the stream
  //! (and OnDone delete this) at any moment, and Detach waits for a Pump in
  //! progress.
  void CheckFinished() {
    std::shared_ptr<Wake<Derived>> wake = wake_;
    if (CheckDone()) {
      Release();
      return;
    }
    if (wake != nullptr) wake->OnPublished();
  }
  //! Once both the check and gRPC are done.
  void Release() {
    if (wake_ != nullptr) {
      wake_->Detach();
      static_cast<Derived*>(this)->Leave();
    }
    delete static_cast<Derived*>(this);
  }

  void FinishLocked(grpc::Status st) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finishing_) return;
    finishing_ = true;
    status_ = std::move(st);
    if (!busy_) this->Finish(status_);
  }
  void SendLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    busy_ = true;
    this->StartWrite(&out_);
  }
  //! Returns true when the reactor may be deleted now.
  bool MarkDone() {
    absl::MutexLock lock(&mu_);
    done_ = true;
    return !checking_;
  }
  bool CheckDone() {
    absl::MutexLock lock(&mu_);
    checking_ = false;
    return done_;
  }
  void WriteDone(bool ok) {
    absl::MutexLock lock(&mu_);
    busy_ = false;
    if (finishing_) {
      this->Finish(status_);
      return;
    }
    if (!ok) FinishLocked(grpc::Status::CANCELLED);
  }
  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  absl::Mutex mu_;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool checking_ ABSL_GUARDED_BY(mu_) = true;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  Out out_;
  //! Set in Begin before the check is marked done, read after.
  std::shared_ptr<Wake<Derived>> wake_;
};

class SubscribeReactor final : public StreamBase<mv1::Delivery, SubscribeReactor> {
 public:
  SubscribeReactor(Bus& bus, mv1::SubscribeRequest req, size_t batch)
      : bus_(bus), req_(std::move(req)), batch_(batch) {}

  // After the access check: `who` may read, or the refusal.
  void Begin(absl::StatusOr<std::string> who) {
    bool gone = false;
    {
      absl::MutexLock lock(&mu_);
      gone = finishing_;
    }
    if (!gone && who.ok()) {
      wake_ = std::make_shared<Wake<SubscribeReactor>>(this);
      absl::StatusOr<StartPoint> start =
          bus_.Subscribe(req_.channel(), req_.history(), req_.from_seq(), wake_);
      absl::MutexLock lock(&mu_);
      if (!start.ok()) {
        wake_->Detach();
        wake_.reset();
        FinishLocked(net::ToGrpc(start.status()));
      } else {
        subscribed_ = true;
        who_ = *who;
        next_ = start->from;
        notice_.set_kind(KindOf(start->kind));
        notice_.set_next_seq(start->from);
        notice_.set_missed(start->missed);
        notice_.set_text(start->text);
        send_notice_ = true;
        if (start->kind != StartKind::kStarted) {
          spdlog::info("bus: {} subscribes to {}: {}", *who, req_.channel(), start->text);
        }
      }
    } else if (!who.ok()) {
      absl::MutexLock lock(&mu_);
      FinishLocked(net::ToGrpc(who.status()));
    }
    CheckFinished();
  }

  void Pump() {
    absl::MutexLock lock(&mu_);
    if (busy_ || finishing_ || !subscribed_) return;
    Bus::Read r = bus_.ReadFrom(req_.channel(), next_, batch_);
    if (!r.acting) {
      FinishLocked(Refusal(grpc::StatusCode::UNAVAILABLE,
                           "this Message Server stopped acting (its partner took over): "
                           "subscribe again at the partner, from where you stopped"));
      return;
    }
    if (r.read.gap) {
      spdlog::warn(
          "bus: dropped {}'s subscription to {}: it read too slowly ({} messages from {} "
          "were no longer kept when it was ready for them)",
          who_, req_.channel(), r.read.missed, next_);
      FinishLocked(Refusal(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrCat("you read channel ", req_.channel(), " too slowly: messages ", next_, "..",
                       next_ + r.read.missed - 1,
                       " were dropped before you read them (the channel keeps what its limits "
                       "allow); subscribe again from history ",
                       r.history, " sequence ", next_, " to be told the gap")));
      return;
    }
    out_.Clear();
    if (send_notice_) {
      notice_.set_history(r.history);
      *out_.mutable_notice() = notice_;
      send_notice_ = false;
    }
    size_t bytes = 0;
    for (const Message& m : r.read.messages) {
      if (bytes >= kMaxDeliveryBytes) break;
      bytes += m.payload.size();
      ToWire(req_.channel(), m, out_.add_messages());
      next_ = m.seq + 1;
    }
    if (r.read.messages.empty()) next_ = r.read.next;
    if (!out_.has_notice() && out_.messages_size() == 0) return;
    SendLocked();
  }

  void Leave() { bus_.Unsubscribe(req_.channel(), wake_.get()); }

 private:
  Bus& bus_;
  const mv1::SubscribeRequest req_;
  const size_t batch_;
  bool subscribed_ ABSL_GUARDED_BY(mu_) = false;
  std::string who_ ABSL_GUARDED_BY(mu_);
  int64_t next_ ABSL_GUARDED_BY(mu_) = 1;
  mv1::Notice notice_ ABSL_GUARDED_BY(mu_);
  bool send_notice_ ABSL_GUARDED_BY(mu_) = false;
};

class CopyReactor final : public StreamBase<mv1::CopyEvent, CopyReactor> {
 public:
  CopyReactor(Bus& bus, size_t batch) : bus_(bus), batch_(batch) {}

  void Begin(grpc::Status refused) {
    if (refused.ok()) {
      wake_ = std::make_shared<Wake<CopyReactor>>(this);
      Bus::CopyStart s = bus_.StartCopy(wake_);
      absl::MutexLock lock(&mu_);
      snapshot_ = std::move(s.channels);
      feed_next_ = s.feed_next;
      started_ = true;
    } else {
      absl::MutexLock lock(&mu_);
      FinishLocked(refused);
    }
    CheckFinished();
  }

  void Pump() {
    absl::MutexLock lock(&mu_);
    if (busy_ || finishing_ || !started_) return;
    out_.Clear();
    if (!snapshot_done_) {
      NextSnapshotPart();
      SendLocked();
      return;
    }
    Bus::FeedRead r = bus_.ReadFeed(feed_next_, batch_);
    if (!r.acting) {
      FinishLocked(Refusal(grpc::StatusCode::UNAVAILABLE, "this Message Server stopped acting"));
      return;
    }
    if (r.behind) {
      FinishLocked(Refusal(grpc::StatusCode::ABORTED,
                           "the copy fell behind what the acting server holds for it; copy again"));
      return;
    }
    size_t bytes = 0;
    for (const Bus::FeedEntry& e : r.entries) {
      if (bytes >= kMaxDeliveryBytes) break;
      bytes += e.message.payload.size();
      ToWire(e.channel, e.message, out_.add_messages());
      ++feed_next_;
    }
    if (out_.messages_size() == 0) return;
    SendLocked();
  }

  void Leave() { bus_.StopCopy(wake_.get()); }

 private:
  // One event of the snapshot: a channel's header, or a batch of its messages.
  void NextSnapshotPart() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (channel_ < snapshot_.size()) {
      auto& [name, snap] = snapshot_[channel_];
      if (!header_sent_) {
        mv1::ChannelCopy* c = out_.mutable_channel();
        c->set_name(name);
        for (const auto& [id, first] : snap.histories) {
          c->add_histories(id);
          c->add_history_first_seq(first);
        }
        c->set_next_seq(snap.next_seq);
        header_sent_ = true;
      }
      size_t bytes = 0;
      while (message_ < snap.messages.size() &&
             static_cast<size_t>(out_.messages_size()) < batch_ && bytes < kMaxDeliveryBytes) {
        bytes += snap.messages[message_].payload.size();
        ToWire(name, snap.messages[message_++], out_.add_messages());
      }
      if (message_ < snap.messages.size()) return;
      snap.messages.clear();
      ++channel_;
      message_ = 0;
      header_sent_ = false;
      return;
    }
    out_.set_snapshot_done(true);
    snapshot_done_ = true;
    snapshot_.clear();
  }

  Bus& bus_;
  const size_t batch_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::pair<std::string, ChannelSnapshot>> snapshot_ ABSL_GUARDED_BY(mu_);
  size_t channel_ ABSL_GUARDED_BY(mu_) = 0;
  size_t message_ ABSL_GUARDED_BY(mu_) = 0;
  bool header_sent_ ABSL_GUARDED_BY(mu_) = false;
  bool snapshot_done_ ABSL_GUARDED_BY(mu_) = false;
  int64_t feed_next_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

net::OperatorCall CallOf(grpc::CallbackServerContext& ctx) {
  net::OperatorCall call;
  call.token = net::CallToken(&ctx);
  call.certificate = net::PeerCertificateName(ctx);
  call.peer = net::PeerAddress(ctx.peer());
  auto it = ctx.client_metadata().find(config::kClaimedMetadataKey);
  if (it != ctx.client_metadata().end())
    call.claimed = std::string(it->second.data(), it->second.size());
  return call;
}

void ToWire(const std::string& channel, const Message& m, mv1::BusMessage* out) {
  out->set_channel(channel);
  out->set_seq(m.seq);
  out->set_history(m.history);
  *out->mutable_published_at() = ToProtoTime(m.at);
  out->set_publisher(m.publisher);
  out->set_payload(m.payload);
}

Message FromWire(const mv1::BusMessage& m) {
  Message out;
  out.seq = m.seq();
  out.history = m.history();
  out.at = FromProtoTime(m.published_at());
  out.publisher = m.publisher();
  out.payload = m.payload();
  return out;
}

BusServiceImpl::BusServiceImpl(Bus& bus, BusAccess& access, BusServiceOptions options,
                               std::function<bool()> copying)
    : bus_(bus), access_(access), options_(std::move(options)), copying_(std::move(copying)) {}

grpc::ServerUnaryReactor* BusServiceImpl::GetInfo(grpc::CallbackServerContext* ctx,
                                                  const mv1::GetBusInfoRequest*,
                                                  mv1::BusInfo* resp) {
  resp->set_application(options_.application);
  resp->set_acting(bus_.acting());
  resp->set_epoch(bus_.epoch());
  resp->set_partner(options_.partner);
  resp->set_copying(copying_ ? copying_() : false);
  for (const Bus::ChannelStats& s : bus_.Stats()) {
    mv1::ChannelInfo* c = resp->add_channels();
    c->set_name(s.name);
    c->set_last_seq(s.last_seq);
    c->set_kept(static_cast<int64_t>(s.kept));
    c->set_kept_bytes(static_cast<int64_t>(s.kept_bytes));
    c->set_subscribers(s.subscribers);
    c->set_history(s.history);
  }
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* BusServiceImpl::Publish(grpc::CallbackServerContext* ctx,
                                                  const mv1::PublishRequest* req,
                                                  mv1::PublishResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  if (req->payload().size() > bus_.max_message_bytes()) {
    reactor->Finish(Refusal(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("the message is ", req->payload().size(), " bytes, the limit is ",
                     bus_.max_message_bytes(), " ([channels] max_message_bytes): split it")));
    return reactor;
  }
  if (absl::Status st = CheckChannelName(req->channel()); !st.ok()) {
    reactor->Finish(net::ToGrpc(st));
    return reactor;
  }
  if (!bus_.acting()) {
    reactor->Finish(
        Refusal(grpc::StatusCode::FAILED_PRECONDITION,
                absl::StrCat(options_.application, " is its pair's backup: publish to its partner ",
                             options_.partner)));
    return reactor;
  }
  access_.Check(CallOf(*ctx), "execute",
                [this, reactor, req, resp](absl::StatusOr<std::string> who) {
                  if (!who.ok()) {
                    reactor->Finish(net::ToGrpc(who.status()));
                    return;
                  }
                  absl::StatusOr<Bus::Published> p =
                      bus_.Publish(req->channel(), *std::move(who), req->payload());
                  if (!p.ok()) {
                    reactor->Finish(net::ToGrpc(p.status()));
                    return;
                  }
                  resp->set_seq(p->seq);
                  resp->set_history(p->history);
                  reactor->Finish(grpc::Status::OK);
                });
  return reactor;
}

grpc::ServerWriteReactor<mv1::Delivery>* BusServiceImpl::Subscribe(
    grpc::CallbackServerContext* ctx, const mv1::SubscribeRequest* req) {
  auto* r = new SubscribeReactor(bus_, *req, options_.batch);
  grpc::Status early;
  if (absl::Status st = CheckChannelName(req->channel()); !st.ok()) {
    early = net::ToGrpc(st);
  } else if (req->from_seq() < 0) {
    early = Refusal(grpc::StatusCode::INVALID_ARGUMENT, "from_seq: must not be negative");
  } else if (!bus_.acting()) {
    early =
        Refusal(grpc::StatusCode::FAILED_PRECONDITION,
                absl::StrCat(options_.application,
                             " is its pair's backup: subscribe at its partner ", options_.partner));
  }
  if (!early.ok()) {
    r->Begin(net::FromGrpc(early));
    return r;
  }
  access_.Check(CallOf(*ctx), "read",
                [r](absl::StatusOr<std::string> who) { r->Begin(std::move(who)); });
  return r;
}

grpc::ServerWriteReactor<mv1::CopyEvent>* BusServiceImpl::Copy(grpc::CallbackServerContext* ctx,
                                                               const mv1::CopyRequest*) {
  auto* r = new CopyReactor(bus_, options_.batch);
  const std::string cert = net::PeerCertificateName(*ctx);
  grpc::Status refused;
  if (options_.partner.empty()) {
    refused = Refusal(grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat(options_.application, " has no partner to copy it"));
  } else if (options_.check_partner_certificate && cert != options_.partner) {
    spdlog::warn("bus: refused a copy to {} ({}): only the partner {} may copy",
                 net::PeerAddress(ctx->peer()), cert.empty() ? "no certificate" : cert,
                 options_.partner);
    refused =
        Refusal(grpc::StatusCode::PERMISSION_DENIED,
                absl::StrCat("only ", options_.partner,
                             " (the pair's other server, by its client certificate) may copy ",
                             options_.application));
  } else if (!bus_.acting()) {
    refused = Refusal(grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat(options_.application, " is not acting: nothing to copy"));
  }
  r->Begin(refused);
  return r;
}

}  // namespace tandem::msg
