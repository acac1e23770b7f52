#include "tandem/client/control_link.h"

#include <atomic>
#include <cstdlib>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/logging.h"
#include "net/agent_stream.h"
#include "spdlog/spdlog.h"

namespace tandem::client {
namespace {

namespace cv1 = ::tandem::control::v1;

cv1::AppStatus ToProto(AppStatus s) {
  switch (s) {
    case AppStatus::kInitializing:
      return cv1::APP_STATUS_INITIALIZING;
    case AppStatus::kStarted:
      return cv1::APP_STATUS_STARTED;
    case AppStatus::kServiceUnavailable:
      return cv1::APP_STATUS_SERVICE_UNAVAILABLE;
    case AppStatus::kSuspending:
      return cv1::APP_STATUS_SUSPENDING;
    case AppStatus::kSuspended:
      return cv1::APP_STATUS_SUSPENDED;
  }
  return cv1::APP_STATUS_UNSPECIFIED;
}

HaMode FromProto(cv1::HaMode m) {
  switch (m) {
    case cv1::HA_MODE_PRIMARY:
      return HaMode::kPrimary;
    case cv1::HA_MODE_BACKUP:
      return HaMode::kBackup;
    default:
      return HaMode::kUnknown;
  }
}

class ControlLinkImpl : public ControlLink {
 public:
  ControlLinkImpl(ControlOptions options, ModeCallback on_mode)
      : options_(std::move(options)), on_mode_(std::move(on_mode)) {
    reader_ = std::thread([this] { Run(); });
    beater_ = std::thread([this] { Beat(); });
  }
  ~ControlLinkImpl() override { Stop(); }

  void Report(AppStatus status, const std::string& detail) override {
    cv1::AppMessage m;
    m.mutable_status()->set_status(ToProto(status));
    m.mutable_status()->set_detail(detail);
    absl::MutexLock lock(&mu_);
    last_status_ = m;
    WriteLocked(m);
  }
  void Heartbeat() override {
    cv1::AppMessage m;
    m.mutable_heartbeat();
    absl::MutexLock lock(&mu_);
    WriteLocked(m);
  }
  HaMode mode() const override {
    absl::MutexLock lock(&mu_);
    return mode_;
  }
  int64_t epoch() const override {
    absl::MutexLock lock(&mu_);
    return epoch_;
  }
  bool connected() const override {
    absl::MutexLock lock(&mu_);
    return welcomed_;
  }
  void Stop() override {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stopping_ = true;
      if (stream_ != nullptr) stream_->Cancel();
    }
    if (reader_.joinable()) reader_.join();
    if (beater_.joinable()) beater_.join();
  }

 private:
  void WriteLocked(const cv1::AppMessage& m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (stream_ != nullptr && welcomed_) stream_->Write(m);
  }

  // Connects, reads until the stream ends, and again (LCA restarts).
  void Run() {
    absl::Duration backoff = absl::Milliseconds(100);
    while (true) {
      std::shared_ptr<net::AgentStream> stream = net::OpenAgentStream(options_.socket);
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
        stream_ = stream;
      }
      cv1::AppMessage hello;
      hello.mutable_hello()->set_application(options_.application);
      hello.mutable_hello()->set_token(options_.token);
      bool ok = stream->Write(hello);
      cv1::AgentMessage in;
      while (ok && stream->Read(&in)) {
        backoff = absl::Milliseconds(100);
        if (in.has_welcome()) {
          absl::MutexLock lock(&mu_);
          welcomed_ = true;
          period_ = absl::Milliseconds(in.welcome().heartbeat_period_ms());
          if (last_status_.has_value()) stream->Write(*last_status_);
        } else if (in.has_mode()) {
          const HaMode mode = FromProto(in.mode().mode());
          const int64_t epoch = in.mode().epoch();
          if (on_mode_) on_mode_(mode, epoch);
          absl::MutexLock lock(&mu_);
          mode_ = mode;
          epoch_ = epoch;
          cv1::AppMessage confirm;
          confirm.mutable_confirm()->set_mode(in.mode().mode());
          confirm.mutable_confirm()->set_epoch(epoch);
          stream->Write(confirm);
        }
      }
      absl::Status why = stream->Finish();
      {
        absl::MutexLock lock(&mu_);
        welcomed_ = false;
        stream_ = nullptr;
        if (stopping_) return;
      }
      if (absl::IsPermissionDenied(why) || absl::IsInvalidArgument(why)) {
        spdlog::error("libtandem: the LCA refuses this process: {}", why.message());
      }
      absl::MutexLock lock(&mu_);
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stop), backoff);
      if (stopping_) return;
      backoff = std::min(backoff * 2, absl::Seconds(2));
    }
  }

  void Beat() {
    absl::MutexLock lock(&mu_);
    while (!stopping_) {
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      const absl::Duration wait = period_ > absl::ZeroDuration() ? period_ : absl::Seconds(1);
      mu_.AwaitWithTimeout(absl::Condition(&stop), wait);
      if (stopping_ || !options_.auto_heartbeat || period_ <= absl::ZeroDuration()) continue;
      cv1::AppMessage m;
      m.mutable_heartbeat();
      WriteLocked(m);
    }
  }

  const ControlOptions options_;
  const ModeCallback on_mode_;
  mutable absl::Mutex mu_;
  std::shared_ptr<net::AgentStream> stream_ ABSL_GUARDED_BY(mu_);
  bool welcomed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration period_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  std::optional<cv1::AppMessage> last_status_ ABSL_GUARDED_BY(mu_);
  HaMode mode_ ABSL_GUARDED_BY(mu_) = HaMode::kUnknown;
  int64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread reader_;
  std::thread beater_;
};

}  // namespace

const char* HaModeName(HaMode mode) {
  switch (mode) {
    case HaMode::kPrimary:
      return "primary";
    case HaMode::kBackup:
      return "backup";
    default:
      return "unknown";
  }
}

absl::StatusOr<ControlOptions> ControlLink::FromEnvironment() {
  ControlOptions o;
  const char* socket = std::getenv("TANDEM_LCA_SOCKET");
  const char* app = std::getenv("TANDEM_APPLICATION");
  const char* token = std::getenv("TANDEM_LCA_TOKEN");
  if (socket == nullptr || app == nullptr || token == nullptr) {
    return absl::NotFoundError(
        "not started by a Tandem LCA (no TANDEM_LCA_SOCKET, TANDEM_APPLICATION and "
        "TANDEM_LCA_TOKEN in the environment): no heartbeats, status or HA mode");
  }
  o.socket = socket;
  o.application = app;
  o.token = token;
  return o;
}

std::unique_ptr<ControlLink> ControlLink::Start(ControlOptions options, ModeCallback on_mode) {
  return std::make_unique<ControlLinkImpl>(std::move(options), std::move(on_mode));
}

}  // namespace tandem::client
