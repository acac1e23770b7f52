#include "csproxy/master_link.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/backoff.h"
#include "common/logging.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "config/object_types.h"
#include "spdlog/spdlog.h"

namespace tandem::csproxy {
namespace {

// Retries of the same master without backoff after a reload-type answer.
constexpr int kMaxQuickRetries = 3;

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", t, absl::UTCTimeZone());
}

absl::Status Context(const absl::Status& st, absl::string_view what) {
  return absl::Status(st.code(), absl::StrCat(what, ": ", st.message()));
}

bool IsReloadAnswer(const absl::Status& st) {
  return st.code() == absl::StatusCode::kOutOfRange ||
         st.code() == absl::StatusCode::kFailedPrecondition ||
         st.code() == absl::StatusCode::kAborted;
}

}  // namespace

MasterLink::MasterLink(MasterLinkOptions options, ConfigCopy& copy)
    : options_(std::move(options)), copy_(copy) {
  status_.limited_since = options_.clock->Now();
  status_.detail = "starting";
}

MasterLink::~MasterLink() { Stop(); }

void MasterLink::Start() {
  thread_ = std::thread([this] { Run(); });
}

void MasterLink::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (watch_stop_ != nullptr) *watch_stop_ = true;
  }
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

MasterConnectionPtr MasterLink::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

LinkStatus MasterLink::Status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

std::string MasterLink::LimitedMessage() const {
  absl::Time since;
  {
    absl::MutexLock lock(&mu_);
    since = status_.limited_since;
  }
  if (since == absl::InfinitePast()) since = options_.clock->Now();
  return absl::StrCat("limited mode: no master reachable since ", FormatUtc(since),
                      "; the change was not applied");
}

void MasterLink::SetMode(v1::ProxyMode mode, const std::string& master, const std::string& detail,
                         MasterConnectionPtr connection) {
  MasterConnectionPtr old;
  absl::MutexLock lock(&mu_);
  if (mode != status_.mode) {
    spdlog::info("proxy mode {} -> {} (master {}): {}", v1::ProxyMode_Name(status_.mode),
                 v1::ProxyMode_Name(mode), master, detail);
  }
  if (mode == v1::PROXY_MODE_NORMAL) {
    status_.limited_since = absl::InfinitePast();
  } else if (status_.mode == v1::PROXY_MODE_NORMAL) {
    status_.limited_since = options_.clock->Now();
  }
  status_.mode = mode;
  status_.master = master;
  status_.detail = detail;
  old = std::move(current_);
  current_ = mode == v1::PROXY_MODE_NORMAL ? std::move(connection) : nullptr;
}

void MasterLink::SetDetail(const std::string& detail, const std::string& master) {
  absl::MutexLock lock(&mu_);
  status_.detail = detail;
  if (!master.empty()) status_.master = master;
}

void MasterLink::LogAttempt(const std::string& message) {
  const absl::Time now = absl::Now();
  if (message == last_logged_ && now - last_logged_at_ < absl::Minutes(1)) return;
  last_logged_ = message;
  last_logged_at_ = now;
  spdlog::info("{}", message);
}

bool MasterLink::Sleep(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), d);
  return !stopping_;
}

void MasterLink::MarkDiverged(const std::string& why) {
  // The old copy keeps answering reads (it is what this proxy served while
  // no master was there) until the new one is installed, which ends every
  // watch stream: readers never see a gap, watchers resubscribe and reload.
  spdlog::warn(
      "the master's history diverged from this proxy's copy: {}; reloading (the old copy "
      "answers reads until the new one is in)",
      why);
  reload_ = Reload::kDiverged;
  const LinkStatus st = Status();
  SetMode(v1::PROXY_MODE_LOADING, st.master, absl::StrCat("reloading: ", why));
}

void MasterLink::Run() {
  Backoff backoff(options_.initial_backoff, options_.max_backoff);
  const size_t n = options_.masters.size();
  size_t next = 0;
  size_t failures = 0;
  int quick_retries = 0;
  int redirects = 0;
  std::string redirect;
  while (!stop_) {
    std::string address = options_.masters[next % n];
    if (!redirect.empty()) address = std::exchange(redirect, "");
    bool was_live = false;
    std::string named_primary;
    absl::Status st = Session(address, &named_primary, &was_live);
    if (stop_) break;
    const v1::ProxyMode mode = copy_.loaded() ? v1::PROXY_MODE_LIMITED : v1::PROXY_MODE_LOADING;
    SetMode(mode, address, std::string(st.message()));
    if (was_live) {
      spdlog::warn("lost master {}: {}", address, st.message());
      backoff.Reset();
      failures = 0;
      quick_retries = 0;
      redirects = 0;
      continue;  // the same master first
    }
    LogAttempt(std::string(st.message()));
    if (!named_primary.empty() && redirects < 2) {
      ++redirects;
      redirect = named_primary;
      continue;
    }
    redirects = 0;
    if (IsReloadAnswer(st) && quick_retries < kMaxQuickRetries) {
      ++quick_retries;
      continue;
    }
    quick_retries = 0;
    ++next;
    if (++failures >= n) {
      failures = 0;
      const absl::Duration wait = backoff.Next();
      SetDetail(
          absl::StrCat(st.message(), "; next attempt in ", absl::ToInt64Milliseconds(wait), " ms"));
      if (!Sleep(wait)) break;
    }
  }
}

absl::Status MasterLink::Session(const std::string& address, std::string* redirect,
                                 bool* was_live) {
  SetDetail(absl::StrCat("connecting to master ", address), address);
  auto connection = std::make_shared<MasterConnection>(address, options_.tls);
  config::ConfigClientPtr feed =
      connection->NewClient(options_.application, options_.connect_timeout);
  auto info = feed->GetServerInfo();
  if (!info.ok())
    return Context(info.status(), absl::StrCat("master ", address, " does not answer"));
  if (info->role() == v1::ROLE_BACKUP) {
    *redirect = info->primary_address();
    return absl::UnavailableError(
        absl::StrCat("master ", address, " is a backup",
                     info->primary_address().empty()
                         ? " and does not know its primary yet"
                         : absl::StrCat("; its primary is ", info->primary_address())));
  }
  if (info->role() == v1::ROLE_PROXY) {
    return absl::FailedPreconditionError(absl::StrCat(
        address, " is a Configuration Server Proxy, not a master: fix [proxy] masters"));
  }
  auto registered = feed->Register();
  if (!registered.ok()) {
    return Context(registered.status(), absl::StrCat("master ", address, " refused to register"));
  }

  if (copy_.loaded() && reload_ == Reload::kNone) {
    if (info->history_id() != copy_.history_id()) {
      MarkDiverged(absl::StrCat("master ", address, " has history id ", info->history_id(),
                                ", this copy came from history id ", copy_.history_id()));
    } else if (info->revision() < copy_.revision()) {
      MarkDiverged(absl::StrCat("master ", address, " is at revision ", info->revision(),
                                ", behind this copy's revision ", copy_.revision()));
    } else if (info->revision() == copy_.revision() &&
               info->revision_hash() != copy_.revision_hash()) {
      MarkDiverged(
          absl::StrCat("master ", address, " has another hash at revision ", info->revision()));
    } else if (copy_.revision() == 0) {
      reload_ = Reload::kExpired;  // a watch from 0 means "only new changes"
    }
  }

  std::unique_ptr<PendingLoad> pending;
  int64_t from = 0;
  int64_t live_at = info->revision();
  if (!copy_.loaded() || reload_ != Reload::kNone) {
    if (reload_ != Reload::kNone && options_.reload_stagger_max > absl::ZeroDuration()) {
      Backoff random(absl::ZeroDuration(), absl::ZeroDuration());
      const absl::Duration wait = random.Uniform(options_.reload_stagger_max);
      SetDetail(absl::StrCat("full reload from master ", address, " in ",
                             absl::ToInt64Milliseconds(wait), " ms (staggered)"));
      if (!Sleep(wait)) return absl::CancelledError("stopping");
    }
    SetDetail(absl::StrCat("loading the configuration from master ", address));
    const absl::Time t0 = absl::Now();
    TANDEM_ASSIGN_OR_RETURN(PendingLoad load, LoadSnapshot(*feed));
    spdlog::info("listed {} objects from master {} in {} ms (revisions {}..{})",
                 load.state->ObjectCount(), address, absl::ToInt64Milliseconds(absl::Now() - t0),
                 load.state->Revision(), load.target);
    pending = std::make_unique<PendingLoad>(std::move(load));
    from = pending->state->Revision();
    live_at = std::max(live_at, pending->target);
  } else {
    from = copy_.revision();
  }

  std::atomic<bool> watch_stop{false};
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::CancelledError("stopping");
    watch_stop_ = &watch_stop;
  }
  absl::Status error;
  bool live = false;
  if (pending != nullptr && pending->state->Revision() >= pending->target) {
    // Nothing to catch up: install before the first message.
    v1::WatchResponse none;
    error = OnWatch(none, pending, live_at, &live);
  }
  v1::WatchRequest request;
  request.set_from_revision(from);
  absl::Status ended = feed->Watch(
      request,
      [&](const v1::WatchResponse& response) {
        if (!error.ok()) return;
        error = OnWatch(response, pending, live_at, &live);
        if (live && !*was_live) {
          *was_live = true;
          SetMode(v1::PROXY_MODE_NORMAL, address,
                  absl::StrCat("following master ", address, " at revision ", copy_.revision()),
                  connection);
        }
        if (!error.ok()) watch_stop = true;
      },
      watch_stop);
  {
    absl::MutexLock lock(&mu_);
    watch_stop_ = nullptr;
  }
  if (stop_) return absl::CancelledError("stopping");
  absl::Status result = error;
  if (result.ok()) {
    result = ended.ok() ? absl::UnavailableError("the master closed the watch stream")
                        : Context(ended, absl::StrCat("watch stream from master ", address));
  }
  if (result.code() == absl::StatusCode::kFailedPrecondition && pending == nullptr &&
      reload_ == Reload::kNone) {
    MarkDiverged(std::string(result.message()));
  } else if (result.code() == absl::StatusCode::kOutOfRange && reload_ == Reload::kNone) {
    spdlog::info("master {}: {}; the proxy reloads", address, result.message());
    reload_ = Reload::kExpired;
  }
  return result;
}

absl::StatusOr<MasterLink::PendingLoad> MasterLink::LoadSnapshot(config::ConfigClient& feed) {
  auto info = feed.GetServerInfo();
  if (!info.ok()) return Context(info.status(), "reading the master's revision");
  PendingLoad load;
  load.state = std::make_unique<confserv::ConfigState>();
  load.state->SetRevision(info->revision(), info->revision_hash());
  load.history_id = info->history_id();
  load.target = info->revision();
  for (v1::ObjectType type : config::AllTypes()) {
    v1::ListRequest request;
    request.set_type(type);
    int64_t at = -1;
    absl::Status st = feed.List(request, [&](const v1::ListResponse& response) {
      for (const v1::ConfigObject& object : response.objects()) {
        load.state->Put({object.type(), object.dbid()}, confserv::MakeStored(object));
      }
      at = response.revision();
      return absl::OkStatus();
    });
    if (!st.ok()) return Context(st, absl::StrCat("listing ", config::TypeName(type)));
    if (stop_) return absl::CancelledError("stopping");
    load.listed_at[type] = at;
    load.target = std::max(load.target, at);
  }
  return load;
}

absl::Status MasterLink::OnWatch(const v1::WatchResponse& response,
                                 std::unique_ptr<PendingLoad>& pending, int64_t live_at,
                                 bool* live) {
  std::vector<v1::Change> changes;
  for (const v1::Change& change : response.changes()) {
    if (pending == nullptr) {
      changes.push_back(change);
      continue;
    }
    // A type's listing already holds the changes up to its own revision.
    auto listed = pending->listed_at.find(change.type());
    const bool apply = listed == pending->listed_at.end() || change.revision() > listed->second;
    TANDEM_RETURN_IF_ERROR(ApplyVerified(*pending->state, change, apply));
    if (pending->state->Revision() >= pending->target) break;
  }
  if (pending != nullptr && pending->state->Revision() >= pending->target) {
    const int64_t revision = pending->state->Revision();
    const int64_t objects = pending->state->ObjectCount();
    for (const v1::Change& change : response.changes()) {
      if (change.revision() > revision) changes.push_back(change);
    }
    copy_.Install(std::move(pending->state), pending->history_id);
    pending.reset();
    reload_ = Reload::kNone;
    {
      absl::MutexLock lock(&mu_);
      status_.master_revision = revision;  // a reload may start another history
    }
    spdlog::info("loaded {} objects at revision {} from the master", objects, revision);
    const LinkStatus st = Status();
    if (st.mode == v1::PROXY_MODE_LOADING) {
      SetMode(v1::PROXY_MODE_LIMITED, st.master, "loaded; catching up with the master");
    }
  }
  if (!changes.empty()) {
    TANDEM_RETURN_IF_ERROR(copy_.Apply(changes));
    const v1::Change& newest = changes.back();
    const absl::Time committed = FromProtoTime(newest.committed_at());
    absl::MutexLock lock(&mu_);
    status_.changes_applied += static_cast<int64_t>(changes.size());
    if (newest.has_committed_at()) {
      status_.last_apply_delay = std::max(absl::ZeroDuration(), options_.clock->Now() - committed);
    }
  }
  if (response.revision() > 0) {
    absl::MutexLock lock(&mu_);
    status_.master_revision = std::max(status_.master_revision, response.revision());
  }
  const int64_t at = pending != nullptr ? pending->state->Revision() : copy_.revision();
  if (response.changes().empty() && response.revision() > at) {
    return absl::AbortedError(absl::StrCat("the master is at revision ", response.revision(),
                                           " but sent no changes after revision ", at,
                                           "; subscribing again"));
  }
  if (pending == nullptr && at >= live_at) *live = true;
  return absl::OkStatus();
}

}  // namespace tandem::csproxy
