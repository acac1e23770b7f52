// The master Configuration Server as one of an HA pair: primary or backup,
// decided by the master lease in the Configuration Database (see
// storage::Storage::AcquireLease). Serves clients as the primary; as the
// backup it answers only GetServerInfo (naming the primary), keeps a warm
// copy by following the primary's change stream, and takes over when the
// primary's lease lapses. A primary that loses its lease steps down by
// stopping the process (`fatal`), to rejoin as the backup on restart.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "confserv/config_database.h"
#include "confserv/lease_keeper.h"
#include "confserv/server_config.h"
#include "tandem/config/backend.h"

namespace tandem::confserv {

class HaServer final : public config::Backend {
 public:
  //! `db` was opened without its committer. `fatal` is called (once, from
  //! a background thread) when this server must stop: it lost the lease.
  //! `tls`: how the backup reaches the primary (its certificate is its
  //! identity there).
  //! `clock`: the lease timers' time (tests pass a SimClock).
  HaServer(ConfigDatabase& db, HaConfig config, TlsFiles tls,
           std::function<void(const std::string&)> fatal, Clock& clock = Clock::Real());
  ~HaServer() override;
  HaServer(const HaServer&) = delete;
  HaServer& operator=(const HaServer&) = delete;

  //! Takes the lease if it is free (primary) or becomes the backup; then
  //! keeps renewing or watching it. `advertise` is where clients reach us.
  absl::Status Start(const std::string& advertise);
  void Stop();
  //! Gives the lease up (a clean shutdown lets the backup take over at once).
  void Release();
  bool primary() const { return role_ == v1::ROLE_PRIMARY; }

  absl::StatusOr<v1::GetResponse> Get(const v1::GetRequest& request) override {
    return db_.Get(request);
  }
  absl::StatusOr<config::ListSnapshot> List(const v1::ListRequest& request) override {
    return db_.List(request);
  }
  void Write(config::WriteRequest request) override;
  absl::StatusOr<config::HistoryPage> History(int64_t since_revision, int64_t limit) override {
    return db_.History(since_revision, limit);
  }
  int64_t Subscribe(config::ChangeSubscriber* s) override { return db_.Subscribe(s); }
  void Unsubscribe(config::ChangeSubscriber* s) override { db_.Unsubscribe(s); }
  v1::ServerInfo Info() override;
  int64_t FindApplication(const std::string& name) override { return db_.FindApplication(name); }
  absl::Status Serving() override;

 private:
  void LeaseLoop();
  void FollowLoop();
  // Backup → primary; false (after `fatal`) if the copy cannot be completed.
  bool TakeOver(const storage::Lease& lease);
  void Fail(const std::string& why);
  std::string PrimaryAddress() const;

  ConfigDatabase& db_;
  const HaConfig config_;
  const TlsFiles tls_;
  const std::function<void(const std::string&)> fatal_;
  Clock& clock_;
  LeaseKeeper keeper_;  // lease thread only
  std::string advertise_;
  std::atomic<v1::Role> role_{v1::ROLE_UNSPECIFIED};
  std::atomic<int64_t> epoch_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> stop_follow_{false};
  //! Ends the current stream from the primary (takeover, stop, bad change).
  std::atomic<bool> stream_stop_{false};
  std::atomic<bool> failed_{false};
  mutable absl::Mutex mu_;
  std::string primary_address_ ABSL_GUARDED_BY(mu_);
  std::string primary_node_ ABSL_GUARDED_BY(mu_);
  std::thread lease_thread_;
  std::thread follow_thread_;
};

}  // namespace tandem::confserv
