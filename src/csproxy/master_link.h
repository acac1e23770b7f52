// Follows a master: finds one (skipping backups), loads the whole
// configuration into the ConfigCopy or catches up from history, then applies
// its Watch stream; on any break it reconnects with jittered backoff,
// resolving the master's name again on every attempt. Decides the proxy's
// mode: normal while the feed is live, limited (serve reads, refuse writes)
// while no master serves it, loading while it has no copy it may serve.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "csproxy/config_copy.h"
#include "csproxy/master_connection.h"

namespace tandem::csproxy {

struct MasterLinkOptions {
  std::vector<std::string> masters;
  //! Registered with the master for the feed (the proxy's own name).
  std::string application = "csproxy";
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  absl::Duration reload_stagger_max = absl::Seconds(2);
  //! Deadline of GetServerInfo and Register when connecting.
  absl::Duration connect_timeout = absl::Seconds(5);
  //! TLS to the masters: the proxy's certificate is its identity there.
  TlsFiles tls;
  Clock* clock = &Clock::Real();
};

struct LinkStatus {
  v1::ProxyMode mode = v1::PROXY_MODE_LOADING;
  //! Since when no master has been serving (normal mode: InfinitePast).
  absl::Time limited_since = absl::InfinitePast();
  std::string master;  // the master followed or being tried
  std::string detail;  // what the link is doing, one sentence
  //! The newest revision the master sent, and how long after its commit at
  //! the master this proxy applied it (the lag of the last change).
  int64_t master_revision = 0;
  absl::Duration last_apply_delay = absl::ZeroDuration();
  int64_t changes_applied = 0;
};

class MasterLink {
 public:
  MasterLink(MasterLinkOptions options, ConfigCopy& copy);
  ~MasterLink();
  MasterLink(const MasterLink&) = delete;
  MasterLink& operator=(const MasterLink&) = delete;

  void Start();
  //! Ends the feed and joins the thread.
  void Stop();

  //! The master connection while in normal mode, else null (limited mode).
  MasterConnectionPtr Current() const;
  LinkStatus Status() const;
  //! "limited mode: no master reachable since <UTC time>; the change was not applied".
  std::string LimitedMessage() const;

 private:
  enum class Reload { kNone, kExpired, kDiverged };
  //! What a full load has gathered before it is installed.
  struct PendingLoad {
    std::unique_ptr<confserv::ConfigState> state;
    std::string history_id;
    std::map<int, int64_t> listed_at;  // type -> revision of its List snapshot
    int64_t target = 0;                // install once the state reaches it
  };

  void Run();
  //! One session with the master at `address`, until it breaks. Sets
  //! *redirect to the primary a backup names; *was_live when it got live.
  absl::Status Session(const std::string& address, std::string* redirect, bool* was_live);
  //! GetServerInfo, then a List of every type (the state is at the info's
  //! revision for the hash; each type at its own listing's revision).
  absl::StatusOr<PendingLoad> LoadSnapshot(config::ConfigClient& feed);
  //! Applies one Watch message; sets *live once the copy is current.
  absl::Status OnWatch(const v1::WatchResponse& response, std::unique_ptr<PendingLoad>& pending,
                       int64_t live_at, bool* live);
  void SetMode(v1::ProxyMode mode, const std::string& master, const std::string& detail,
               MasterConnectionPtr connection = nullptr);
  void SetDetail(const std::string& detail, const std::string& master = "");
  //! Logs a failed attempt, but the same message at most once a minute.
  void LogAttempt(const std::string& message);
  //! Sleeps up to d; false if stopping.
  bool Sleep(absl::Duration d);
  void MarkDiverged(const std::string& why);

  const MasterLinkOptions options_;
  ConfigCopy& copy_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  Reload reload_ = Reload::kNone;  // link thread only
  std::string last_logged_;        // link thread only
  absl::Time last_logged_at_;      // link thread only

  mutable absl::Mutex mu_;
  LinkStatus status_ ABSL_GUARDED_BY(mu_);
  MasterConnectionPtr current_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  //! The running Watch's stop flag, so that Stop() can end it.
  std::atomic<bool>* watch_stop_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace tandem::csproxy
