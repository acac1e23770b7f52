// libtandem's TandemClient (include/tandem/client/tandem_client.h): one
// thread follows a server (List per type, then Watch from the revision it
// has), a second checks the server's mode; the cache is guarded by mu_.
#include "tandem/client/tandem_client.h"

#include <atomic>
#include <map>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/backoff.h"
#include "common/hash.h"
#include "google/protobuf/util/message_differencer.h"
#include "net/config_client.h"

namespace tandem::client {
namespace {

using Key = std::pair<int, int64_t>;                    // type, dbid
using NameKey = std::tuple<int, int64_t, std::string>;  // type, tenant, name

std::string Utc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", t, absl::UTCTimeZone());
}

class ClientImpl final : public TandemClient {
 public:
  ClientImpl(ClientOptions options, ChangeCallback on_change, StateCallback on_state)
      : options_(std::move(options)),
        on_change_(std::move(on_change)),
        on_state_(std::move(on_state)) {
    if (options_.types.empty()) {
      for (int t = v1::ObjectType_MIN + 1; t <= v1::ObjectType_MAX; ++t) {
        if (v1::ObjectType_IsValid(t)) options_.types.push_back(static_cast<v1::ObjectType>(t));
      }
    }
  }
  ~ClientImpl() override { Stop(); }

  void Begin() {
    follow_ = std::thread([this] { FollowLoop(); });
    health_ = std::thread([this] { HealthLoop(); });
  }

  void Stop() override {
    if (stop_.exchange(true)) return;
    stream_stop_ = true;
    if (follow_.joinable()) follow_.join();
    if (health_.joinable()) health_.join();
    absl::MutexLock lock(&mu_);
    state_.health = Health::kStopped;
  }

  bool WaitReady(absl::Duration timeout) override {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&ready_), timeout);
  }

  bool WaitForRevision(int64_t revision, absl::Duration timeout) override {
    absl::MutexLock lock(&mu_);
    auto reached = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return ready_ && told_revision_ >= revision;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }

  std::optional<v1::ConfigObject> Find(v1::ObjectType type, const std::string& name,
                                       int64_t tenant_dbid) const override {
    absl::MutexLock lock(&mu_);
    auto n = names_.find(NameKey{type, tenant_dbid, name});
    if (n == names_.end()) return std::nullopt;
    auto o = objects_.find(Key{type, n->second});
    if (o == objects_.end()) return std::nullopt;
    return o->second;
  }

  std::optional<v1::ConfigObject> Get(v1::ObjectType type, int64_t dbid) const override {
    absl::MutexLock lock(&mu_);
    auto o = objects_.find(Key{type, dbid});
    if (o == objects_.end()) return std::nullopt;
    return o->second;
  }

  std::vector<v1::ConfigObject> All(v1::ObjectType type) const override {
    absl::MutexLock lock(&mu_);
    std::vector<v1::ConfigObject> out;
    for (auto it = objects_.lower_bound(Key{type, 0});
         it != objects_.end() && it->first.first == type; ++it) {
      out.push_back(it->second);
    }
    return out;
  }

  ClientState state() const override {
    absl::MutexLock lock(&mu_);
    return state_;
  }

 private:
  config::ConfigClientPtr Connect(const std::string& server) const {
    config::ClientOptions o;
    o.server = server;
    o.application_name = options_.application;
    o.client_version = absl::StrCat("libtandem/", TANDEM_VERSION);
    o.timeout = options_.call_timeout;
    o.tls = options_.tls;
    return net::NewGrpcConfigClient(o);  // a new channel: the name is resolved again
  }

  // Updates the state under mu_ and tells the application if it changed.
  void SetState(Health health, const std::string& server, const std::string& detail) {
    ClientState copy;
    {
      absl::MutexLock lock(&mu_);
      if (state_.health == Health::kStopped) return;
      if (state_.health == health && state_.server == server && state_.detail == detail) return;
      state_.health = health;
      state_.server = server;
      state_.detail = detail;
      copy = state_;
    }
    if (on_state_) on_state_(copy);
  }

  // Every type, each List a snapshot at its own revision; the cache then
  // continues from the lowest of them (re-applying a change is harmless).
  absl::Status FullLoad(config::ConfigClient& client, const std::string& history_id) {
    std::map<Key, v1::ConfigObject> objects;
    int64_t from = INT64_MAX;
    for (v1::ObjectType type : options_.types) {
      v1::ListRequest req;
      req.set_type(type);
      int64_t revision = -1;
      absl::Status st = client.List(req, [&](const v1::ListResponse& page) {
        revision = page.revision();
        for (const v1::ConfigObject& o : page.objects()) objects[Key{o.type(), o.dbid()}] = o;
        return absl::OkStatus();
      });
      if (!st.ok()) return st;
      if (revision >= 0) from = std::min(from, revision);
    }
    if (from == INT64_MAX) from = 0;
    // A reload replaces what the application was told: what differs is
    // reported as changes (e.g. after a failover that lost revisions the
    // cache had, and brought others), so it never silently keeps old values.
    std::vector<ObjectChange> changes;
    {
      absl::MutexLock lock(&mu_);
      if (ready_) {
        for (const auto& [key, o] : objects) {
          auto old = objects_.find(key);
          if (old == objects_.end()) {
            changes.push_back({from, v1::CHANGE_KIND_CREATED, o});
          } else if (!google::protobuf::util::MessageDifferencer::Equals(old->second, o)) {
            changes.push_back({from, v1::CHANGE_KIND_UPDATED, o});
          }
        }
        for (const auto& [key, o] : objects_) {
          if (objects.find(key) == objects.end()) {
            changes.push_back({from, v1::CHANGE_KIND_DELETED, o});
          }
        }
      }
      objects_ = std::move(objects);
      names_.clear();
      for (const auto& [key, o] : objects_)
        names_[NameKey{o.type(), o.tenant_dbid(), o.name()}] = o.dbid();
      history_id_ = history_id;
      state_.revision = from;
      if (ready_ && !again_) ++state_.reloads;
      again_ = false;
      ready_ = true;
    }
    Told(changes, from);
    return absl::OkStatus();
  }

  // The application is told, then WaitForRevision may return: a caller that
  // waited for a revision finds its callbacks for it already run.
  void Told(const std::vector<ObjectChange>& changes, int64_t revision) {
    if (on_change_) {
      for (const ObjectChange& c : changes) on_change_(c);
    }
    absl::MutexLock lock(&mu_);
    told_revision_ = revision;
  }

  void Apply(const v1::WatchResponse& response) {
    std::vector<ObjectChange> changes;
    int64_t reached = 0;
    {
      absl::MutexLock lock(&mu_);
      if (again_) return;  // answers still in flight: the load that follows replaces them
      if (from_zero_) {
        from_zero_ = false;
        if (response.revision() > 0) {
          // The snapshot was of an empty configuration (revision 0), and a
          // watch from 0 means "only new changes": what was committed before
          // the server took the watch would be missed. Load again (the same
          // reload, not counted twice), then watch from that revision.
          history_id_.clear();
          again_ = true;
          stream_stop_ = true;
          return;
        }
      }
      for (const v1::Change& c : response.changes()) {
        if (c.revision() <= state_.revision) continue;  // seen (after a reload)
        const Key key{c.type(), c.dbid()};
        ObjectChange change{c.revision(), c.kind(), {}};
        auto old = objects_.find(key);
        if (old != objects_.end()) {
          names_.erase(NameKey{old->second.type(), old->second.tenant_dbid(), old->second.name()});
        }
        if (c.kind() == v1::CHANGE_KIND_DELETED) {
          change.object = c.before();
          objects_.erase(key);
        } else {
          change.object = c.after();
          objects_[key] = c.after();
          names_[NameKey{c.type(), c.after().tenant_dbid(), c.after().name()}] = c.dbid();
        }
        state_.revision = c.revision();
        changes.push_back(std::move(change));
      }
      state_.revision = std::max(state_.revision, response.revision());
      reached = state_.revision;
    }
    Told(changes, reached);
  }

  void FollowLoop() {
    Backoff backoff(absl::Milliseconds(100), options_.max_backoff);
    size_t next = 0;
    absl::Time lost_since = absl::Now();
    while (!stop_) {
      const std::string server = options_.servers[next % options_.servers.size()];
      config::ConfigClientPtr client = Connect(server);
      absl::StatusOr<v1::RegisterResponse> reg = client->Register();
      absl::Status st = reg.status();
      if (st.ok() && reg->server().role() == v1::ROLE_BACKUP) {
        st = absl::UnavailableError(absl::StrCat(server, " is a backup master"));
      }
      bool reload = false;
      if (st.ok()) {
        {
          absl::MutexLock lock(&mu_);
          current_ = server;
          state_.server = server;  // before WaitReady can return
          reload = !ready_ || history_id_ != reg->server().history_id() ||
                   reg->server().revision() < state_.revision;
        }
        if (reload) st = FullLoad(*client, reg->server().history_id());
      }
      if (st.ok()) {
        backoff.Reset();
        SetState(reg->server().proxy_mode() == v1::PROXY_MODE_LIMITED ? Health::kLimited
                                                                      : Health::kHealthy,
                 server, "");
        v1::WatchRequest req;
        for (v1::ObjectType t : options_.types) req.add_types(t);
        {
          absl::MutexLock lock(&mu_);
          req.set_from_revision(state_.revision);
          from_zero_ = state_.revision == 0;
        }
        stream_stop_ = stop_.load();
        st = client->Watch(
            req, [this](const v1::WatchResponse& r) { Apply(r); }, stream_stop_);
        if (stop_) break;
        {
          absl::MutexLock lock(&mu_);
          if (again_) continue;  // the same server at once, to load again
        }
        if (st.code() == absl::StatusCode::kOutOfRange ||
            st.code() == absl::StatusCode::kFailedPrecondition) {
          // History expired or diverged: the next connection loads anew.
          absl::MutexLock lock(&mu_);
          history_id_.clear();
        }
        lost_since = absl::Now();
        absl::MutexLock lock(&mu_);
        ++state_.reconnects;
      }
      if (stop_) break;
      ++next;  // the other server next
      SetState(ReadyHealth(), server,
               absl::StrCat("no configuration server reachable since ", Utc(lost_since), " (last: ",
                            server, ": ", st.message(), "); serving the cached configuration"));
      const absl::Time until = absl::Now() + backoff.Next();
      while (!stop_ && absl::Now() < until) absl::SleepFor(absl::Milliseconds(20));
    }
  }

  Health ReadyHealth() const {
    absl::MutexLock lock(&mu_);
    return ready_ ? Health::kReconnecting : Health::kConnecting;
  }

  // The server's mode while connected: a proxy that lost its master says so.
  void HealthLoop() {
    while (!stop_) {
      const absl::Time until = absl::Now() + options_.health_interval;
      while (!stop_ && absl::Now() < until) absl::SleepFor(absl::Milliseconds(20));
      std::string server;
      Health health;
      {
        absl::MutexLock lock(&mu_);
        server = current_;
        health = state_.health;
      }
      if (stop_ || server.empty() || (health != Health::kHealthy && health != Health::kLimited)) {
        continue;
      }
      auto info = Connect(server)->GetServerInfo();
      if (!info.ok()) continue;  // the follow loop notices a lost server
      if (info->proxy_mode() == v1::PROXY_MODE_LIMITED) {
        SetState(Health::kLimited, server,
                 absl::StrCat("limited mode: the proxy ", server,
                              " has no master; reads are served, changes wait (",
                              info->proxy_detail(), ")"));
      } else {
        SetState(Health::kHealthy, server, "");
      }
    }
  }

  ClientOptions options_;
  const ChangeCallback on_change_;
  const StateCallback on_state_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> stream_stop_{false};
  std::thread follow_, health_;
  mutable absl::Mutex mu_;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  ClientState state_ ABSL_GUARDED_BY(mu_);
  // state_.revision once its changes were handed to on_change_ (only the
  // follow thread moves either).
  int64_t told_revision_ ABSL_GUARDED_BY(mu_) = 0;
  std::string current_ ABSL_GUARDED_BY(mu_);
  std::string history_id_ ABSL_GUARDED_BY(mu_);
  // The watch started from revision 0: its first answer tells whether the
  // server moved on meanwhile (then again_: load once more, uncounted).
  bool from_zero_ ABSL_GUARDED_BY(mu_) = false;
  bool again_ ABSL_GUARDED_BY(mu_) = false;
  std::map<Key, v1::ConfigObject> objects_ ABSL_GUARDED_BY(mu_);
  std::map<NameKey, int64_t> names_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

const char* HealthName(Health health) {
  switch (health) {
    case Health::kConnecting:
      return "connecting";
    case Health::kHealthy:
      return "healthy";
    case Health::kLimited:
      return "limited";
    case Health::kReconnecting:
      return "reconnecting";
    case Health::kStopped:
      return "stopped";
  }
  return "?";
}

absl::StatusOr<std::unique_ptr<TandemClient>> TandemClient::Start(ClientOptions options,
                                                                  ChangeCallback on_change,
                                                                  StateCallback on_state) {
  if (options.servers.empty()) {
    return absl::InvalidArgumentError("give at least one server (host:port)");
  }
  for (const std::string& s : options.servers) {
    if (s.find(':') == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("server '", s, "' must be host:port"));
    }
  }
  if (options.application.empty()) {
    return absl::InvalidArgumentError("give the application name this program runs as");
  }
  auto c =
      std::make_unique<ClientImpl>(std::move(options), std::move(on_change), std::move(on_state));
  c->Begin();
  return std::unique_ptr<TandemClient>(std::move(c));
}

}  // namespace tandem::client
