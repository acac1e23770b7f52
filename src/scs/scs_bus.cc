#include "scs/scs_bus.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "net/status_convert.h"
#include "spdlog/spdlog.h"

namespace tandem::scs {

namespace cv1 = ::tandem::control::v1;

namespace {
constexpr size_t kSeenCommands = 1000;
constexpr size_t kMaxQueuedCommands = 100;
}  // namespace

ScsBus::ScsBus(ScsBusOptions options, Acting acting, Picture picture, Execute execute, IsScs is_scs,
               Clock& clock)
    : options_(std::move(options)),
      acting_(std::move(acting)),
      picture_(std::move(picture)),
      execute_(std::move(execute)),
      is_scs_(std::move(is_scs)),
      clock_(clock),
      publisher_(options_.bus) {}

ScsBus::~ScsBus() { Stop(); }

void ScsBus::Start() {
  subscriber_ = client::BusSubscriber::Start(
      options_.bus, kScsChannel, {"", 0}, [this](const client::BusDelivery& d) { OnDelivery(d); },
      [this](const std::string& s) { spdlog::info("scs: bus: {}", s); });
  publish_thread_ = std::thread([this] { PublishLoop(); });
  command_thread_ = std::thread([this] { CommandLoop(); });
}

void ScsBus::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (subscriber_ != nullptr) subscriber_->Stop();
  if (publish_thread_.joinable()) publish_thread_.join();
  if (command_thread_.joinable()) command_thread_.join();
}

bool ScsBus::connected() const { return subscriber_ != nullptr && subscriber_->connected(); }

absl::Status ScsBus::Send(const cv1::ScsBusMessage& m) {
  absl::StatusOr<client::BusPublisher::Published> p =
      publisher_.Publish(kScsChannel, m.SerializeAsString());
  return p.ok() ? absl::OkStatus() : p.status();
}

void ScsBus::PublishLoop() {
  std::string last_error;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.period);
      if (stopping_) return;
    }
    if (!acting_()) continue;  // the partner speaks
    cv1::ScsBusMessage m;
    *m.mutable_state() = picture_();
    absl::Status st = Send(m);
    const std::string error(st.message());
    if (!st.ok() && error != last_error) {
      spdlog::warn("scs: cannot publish this SCS's state on the Message Server: {}", error);
    } else if (st.ok() && !last_error.empty()) {
      spdlog::info("scs: publishing this SCS's state on the Message Server again");
    }
    last_error = error;
  }
}

void ScsBus::OnDelivery(const client::BusDelivery& d) {
  if (d.has_notice && d.notice.kind != client::BusNotice::Kind::kStarted) {
    // Pictures come again every second; a lost command times out at its sender.
    spdlog::info("scs: bus: {}", d.notice.text);
  }
  for (const client::BusMessage& bm : d.messages) {
    cv1::ScsBusMessage m;
    if (!m.ParseFromString(bm.payload)) {
      spdlog::warn("scs: bus: an unreadable message from {} on {} (seq {}) is ignored",
                   bm.publisher, kScsChannel, bm.seq);
      continue;
    }
    if (m.has_state()) {
      const std::string& who = m.state().info().application();
      // Its own pair's pictures are its own hosts (warm on the backup).
      if (who.empty() || who == options_.me || who == options_.partner) continue;
      absl::MutexLock lock(&mu_);
      remotes_[who] = Remote{m.state(), clock_.Now(), false};
    } else if (m.has_command()) {
      const std::string& to = m.command().to();
      if (to != options_.me && (options_.partner.empty() || to != options_.partner)) continue;
      if (!is_scs_(bm.publisher)) {
        spdlog::warn("scs: bus: a command from {} is ignored: only an SCS forwards commands",
                     bm.publisher);
        continue;
      }
      absl::MutexLock lock(&mu_);
      if (commands_.size() >= kMaxQueuedCommands) {
        spdlog::warn("scs: bus: {} forwarded commands are waiting; {}'s is dropped (it times out)",
                     commands_.size(), m.command().from());
        continue;
      }
      commands_.emplace_back(bm.publisher, m.command());
    } else if (m.has_reply() && m.reply().to() == options_.me) {
      absl::MutexLock lock(&mu_);
      auto it = pending_.find(m.reply().id());
      if (it != pending_.end()) it->second = Pending{true, m.reply()};
    }
  }
}

void ScsBus::CommandLoop() {
  while (true) {
    std::pair<std::string, cv1::ForwardedControl> next;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || !commands_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      next = std::move(commands_.front());
      commands_.pop_front();
    }
    RunCommand(std::move(next.first), std::move(next.second));
  }
}

void ScsBus::RunCommand(std::string publisher, cv1::ForwardedControl command) {
  // Only the acting member of the pair answers (the other would refuse).
  if (!acting_()) return;
  {
    absl::MutexLock lock(&mu_);
    for (const std::string& id : seen_commands_) {
      if (id == command.id()) return;  // delivered twice (a resubscription): done once
    }
    seen_commands_.push_back(command.id());
    if (seen_commands_.size() > kSeenCommands) seen_commands_.pop_front();
  }
  net::OperatorCall call;
  call.token = command.token();
  call.certificate = command.certificate();
  call.claimed = command.claimed();
  call.peer = absl::StrCat(command.peer().empty() ? "?" : command.peer(), " via ", command.from());
  absl::StatusOr<cv1::ControlResponse> r = execute_(call, command.request());
  cv1::ScsBusMessage m;
  cv1::ForwardedReply* reply = m.mutable_reply();
  reply->set_id(command.id());
  reply->set_to(command.from());
  reply->set_from(options_.me);
  reply->set_code(static_cast<int>(r.status().code()));
  reply->set_message(std::string(r.status().message()));
  if (r.ok()) *reply->mutable_response() = *r;
  spdlog::info("scs: carried out a command forwarded by {} ({}): {}", command.from(), publisher,
               r.ok() ? r->message() : std::string(r.status().message()));
  if (absl::Status st = Send(m); !st.ok()) {
    spdlog::warn("scs: cannot send the reply to {}: {}", command.from(), std::string(st.message()));
  }
}

std::map<std::string, ScsBus::Remote> ScsBus::Remotes() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  for (auto& [name, r] : remotes_) r.stale = now - r.received > options_.stale_after;
  return remotes_;
}

absl::StatusOr<cv1::ControlResponse> ScsBus::Forward(const std::string& owner,
                                                     const net::OperatorCall& call,
                                                     const cv1::ControlRequest& request) {
  std::string id;
  {
    absl::MutexLock lock(&mu_);
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    id = absl::StrFormat("%s-%d-%016x", options_.me, ++next_id_, rng());
    pending_[id] = Pending{};
  }
  cv1::ScsBusMessage m;
  cv1::ForwardedControl* c = m.mutable_command();
  c->set_id(id);
  c->set_from(options_.me);
  c->set_to(owner);
  *c->mutable_request() = request;
  c->set_token(call.token);
  c->set_certificate(call.certificate);
  c->set_claimed(call.claimed);
  c->set_peer(call.peer);
  absl::Status sent = Send(m);
  absl::MutexLock lock(&mu_);
  if (!sent.ok()) {
    pending_.erase(id);
    return absl::UnavailableError(
        absl::StrCat("cannot forward the command to ", owner,
                     " (which owns the host) over the Message Server: ", sent.message()));
  }
  auto done = [this, &id]()
                  ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || pending_[id].done; };
  mu_.AwaitWithTimeout(absl::Condition(&done), options_.forward_timeout);
  Pending p = pending_[id];
  pending_.erase(id);
  if (!p.done) {
    return absl::UnavailableError(absl::StrCat(
        "no reply from the SCS pair of ", owner, " (which owns the host) within ",
        absl::FormatDuration(options_.forward_timeout),
        ": neither of it is acting on the Message Server now; retry, or ask it directly"));
  }
  if (p.reply.code() != 0) {
    return absl::Status(static_cast<absl::StatusCode>(p.reply.code()),
                        absl::StrCat(p.reply.from(), ": ", p.reply.message()));
  }
  return p.reply.response();
}

}  // namespace tandem::scs
