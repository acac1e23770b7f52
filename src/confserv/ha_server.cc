#include "confserv/ha_server.h"

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "metrics/registry.h"
#include "net/config_client.h"
#include "spdlog/spdlog.h"

namespace tandem::confserv {
namespace {

// Sleeps in small steps so that Stop() is prompt; on `clock`'s time (a
// simulated clock moves when its test says so).
void SleepUnless(const std::atomic<bool>& stop, absl::Duration d, Clock& clock) {
  const absl::Time until = clock.Now() + d;
  while (!stop && clock.Now() < until) {
    absl::SleepFor(std::min(until - clock.Now(), absl::Milliseconds(20)));
  }
}

}  // namespace

HaServer::HaServer(ConfigDatabase& db, HaConfig config, TlsFiles tls,
                   std::function<void(const std::string&)> fatal, Clock& clock)
    : db_(db),
      config_(std::move(config)),
      tls_(std::move(tls)),
      fatal_(std::move(fatal)),
      clock_(clock),
      keeper_(config_.lease, clock) {}

HaServer::~HaServer() { Stop(); }

absl::Status HaServer::Start(const std::string& advertise) {
  advertise_ = advertise;
  storage::Storage& storage = db_.storage();
  absl::StatusOr<storage::Lease> got =
      storage.AcquireLease(config_.node, advertise_, config_.lease);
  if (got.ok()) {
    TANDEM_RETURN_IF_ERROR(db_.TakeOver());
    epoch_ = got->epoch;
    role_ = v1::ROLE_PRIMARY;
    spdlog::info("HA: '{}' is the primary (epoch {}), serving at {}", config_.node, got->epoch,
                 advertise_);
  } else if (got.status().code() == absl::StatusCode::kFailedPrecondition) {
    TANDEM_ASSIGN_OR_RETURN(storage::Lease lease, storage.ReadLease());
    {
      absl::MutexLock lock(&mu_);
      primary_address_ = lease.address;
      primary_node_ = lease.holder;
    }
    epoch_ = lease.epoch;
    role_ = v1::ROLE_BACKUP;
    spdlog::info("HA: '{}' is the backup; the primary is '{}' at {} (epoch {})", config_.node,
                 lease.holder, lease.address, lease.epoch);
    follow_thread_ = std::thread([this] { FollowLoop(); });
  } else {
    return got.status();
  }
  lease_thread_ = std::thread([this] { LeaseLoop(); });
  return absl::OkStatus();
}

void HaServer::Stop() {
  stop_ = true;
  stop_follow_ = true;
  stream_stop_ = true;
  if (lease_thread_.joinable()) lease_thread_.join();
  if (follow_thread_.joinable()) follow_thread_.join();
}

void HaServer::Release() {
  if (role_ != v1::ROLE_PRIMARY || failed_) return;
  // Expiring it now: the backup's next look (poll_ms) takes it.
  absl::Status st = db_.storage().RenewLease(absl::ZeroDuration()).status();
  if (st.ok()) {
    spdlog::info("HA: released the master lease (epoch {})", epoch_.load());
  } else {
    spdlog::warn("HA: could not release the master lease: {}", st.message());
  }
}

void HaServer::Fail(const std::string& why) {
  if (failed_.exchange(true)) return;
  role_ = v1::ROLE_UNSPECIFIED;
  spdlog::critical("HA: {}", why);
  fatal_(why);
}

std::string HaServer::PrimaryAddress() const {
  absl::MutexLock lock(&mu_);
  return primary_address_;
}

void HaServer::LeaseLoop() {
  storage::Storage& storage = db_.storage();
  keeper_.Granted(clock_.Now());
  while (!stop_ && !failed_) {
    if (role_ == v1::ROLE_PRIMARY) {
      const absl::Time start = clock_.Now();
      absl::StatusOr<storage::Lease> renewed = storage.RenewLease(config_.lease);
      const LeaseKeeper::Decision d = keeper_.Renewed(start, renewed.status());
      if (d.verdict == LeaseKeeper::Verdict::kStepDown) {
        Fail(d.why);
        return;
      }
      if (d.verdict == LeaseKeeper::Verdict::kRetry) spdlog::warn("HA: {}", d.why);
      SleepUnless(stop_, keeper_.renew_every(), clock_);
      continue;
    }
    // Backup: watch the lease; take it when it lapses.
    absl::StatusOr<storage::Lease> lease = storage.ReadLease();
    if (!lease.ok()) {
      spdlog::warn("HA: cannot read the master lease (will retry): {}", lease.status().message());
    } else if (lease->expired() || lease->holder == config_.node) {
      const int64_t lapsed_ms = (lease->now_us - lease->expires_at_us) / 1000;
      absl::StatusOr<storage::Lease> got =
          storage.AcquireLease(config_.node, advertise_, config_.lease);
      if (got.ok()) {
        spdlog::warn(
            "HA: the primary's lease (holder '{}', epoch {}) lapsed {} ms ago: taking over",
            lease->holder, lease->epoch, lapsed_ms);
        const absl::Time taken = clock_.Now();
        if (!TakeOver(*got)) return;
        keeper_.Granted(taken);
        continue;
      }
    } else {
      absl::MutexLock lock(&mu_);
      primary_address_ = lease->address;
      primary_node_ = lease->holder;
      epoch_ = lease->epoch;
    }
    SleepUnless(stop_, config_.poll, clock_);
  }
}

bool HaServer::TakeOver(const storage::Lease& lease) {
  const absl::Time t0 = absl::Now();
  stop_follow_ = true;
  stream_stop_ = true;
  if (follow_thread_.joinable()) follow_thread_.join();
  const int64_t warm = db_.revision();
  absl::Status st = db_.TakeOver();
  if (!st.ok()) {
    Fail(absl::StrCat("cannot take over as the primary: ", st.message()));
    return false;
  }
  epoch_ = lease.epoch;
  {
    absl::MutexLock lock(&mu_);
    primary_address_ = advertise_;
    primary_node_ = config_.node;
  }
  role_ = v1::ROLE_PRIMARY;
  metrics::Registry::Default()
      .Counter("tandem_master_takeovers_total", "Times this master took the lease over.")
      .With()
      ->Increment();
  spdlog::warn(
      "HA: '{}' is the primary now (epoch {}), at revision {} ({} changes read from the "
      "database after the warm copy), {} ms after taking the lease",
      config_.node, lease.epoch, db_.revision(), db_.revision() - warm,
      absl::ToInt64Milliseconds(absl::Now() - t0));
  return true;
}

// Backup: follows the primary's change stream into the warm copy. Whatever
// the stream misses (a reconnect, a gap) is read from the database first.
void HaServer::FollowLoop() {
  while (true) {
    stream_stop_ = false;
    if (stop_follow_) break;
    const std::string address = PrimaryAddress();
    if (absl::Status st = db_.CatchUpFromStorage(); !st.ok()) {
      spdlog::warn("HA: backup copy cannot catch up from the database: {}", st.message());
    }
    if (address.empty() || address == advertise_) {
      SleepUnless(stop_follow_, config_.poll, clock_);
      continue;
    }
    config::ClientOptions options;
    options.server = address;
    options.application_name = absl::StrCat("confserv-backup-", config_.node);
    options.client_version = absl::StrCat("tandemd/", TANDEM_VERSION);
    options.timeout = config_.lease;
    options.tls = tls_;
    config::ConfigClientPtr client = net::NewGrpcConfigClient(options);
    absl::Status st = client->Register().status();
    if (st.ok()) {
      v1::WatchRequest request;
      request.set_from_revision(db_.revision());
      absl::Status apply_error;
      st = client->Watch(
          request,
          [&](const v1::WatchResponse& response) {
            for (const v1::Change& change : response.changes()) {
              if (!apply_error.ok()) return;
              apply_error = db_.ApplyReplicated(change);
              if (!apply_error.ok()) stream_stop_ = true;
            }
          },
          stream_stop_);
      if (!apply_error.ok()) st = apply_error;
    }
    if (!stop_follow_) {
      spdlog::debug("HA: backup stream from {} ended: {}", address, st.message());
      SleepUnless(stop_follow_, config_.poll, clock_);
    }
  }
}

void HaServer::Write(config::WriteRequest request) {
  if (absl::Status st = Serving(); !st.ok()) {
    request.done(st);
    return;
  }
  db_.Write(std::move(request));
}

absl::Status HaServer::Serving() {
  const v1::Role role = role_;
  if (role == v1::ROLE_PRIMARY) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  if (role == v1::ROLE_BACKUP) {
    return absl::UnavailableError(absl::StrCat(
        "this configuration server ('", config_.node, "') is the backup; the primary is '",
        primary_node_, "' at ", primary_address_.empty() ? "(unknown)" : primary_address_));
  }
  return absl::UnavailableError(
      absl::StrCat("this configuration server ('", config_.node,
                   "') is not serving: it is starting, or stepping down"));
}

v1::ServerInfo HaServer::Info() {
  v1::ServerInfo info = db_.Info();
  const v1::Role role = role_;
  info.set_role(role == v1::ROLE_UNSPECIFIED ? v1::ROLE_BACKUP : role);
  info.set_node(config_.node);
  info.set_epoch(epoch_);
  info.set_primary_address(PrimaryAddress());
  return info;
}

}  // namespace tandem::confserv
