// The master Configuration Server's view of its Configuration Database: the
// whole configuration in memory (loaded at open), writes through the
// group-committing Committer, history and watches. Implements
// config::Backend for the network front end.
#pragma once

#include <memory>

#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "confserv/committer.h"
#include "confserv/config_state.h"
#include "confserv/watch_hub.h"
#include "tandem/config/backend.h"
#include "tandem/storage/storage.h"

namespace tandem::confserv {

struct DatabaseOptions {
  CommitterOptions committer;
  std::string application_name = "confserv";
  Clock* clock = &Clock::Real();
};

class ConfigDatabase final : public config::Backend {
 public:
  //! Loads the configuration from storage and starts the committer (unless
  //! `start_committer` is false: a backup master, which calls TakeOver later).
  static absl::StatusOr<std::unique_ptr<ConfigDatabase>> Open(storage::StoragePtr storage,
                                                              DatabaseOptions options,
                                                              bool start_committer = true);

  //! Backup: applies one change streamed from the primary or read from the
  //! database's history. It must be the next revision and continue the hash
  //! chain; watchers of this server see it.
  absl::Status ApplyReplicated(const v1::Change& change);
  //! Backup: applies what the database's history holds beyond this copy.
  absl::Status CatchUpFromStorage();
  //! Backup becoming primary (after taking the lease): catches up from the
  //! database, checks it ends at the stored revision and hash, takes the
  //! stored DBID high-water marks and starts the committer.
  absl::Status TakeOver();
  storage::Storage& storage() { return *storage_; }
  ~ConfigDatabase() override;

  absl::StatusOr<v1::GetResponse> Get(const v1::GetRequest& request) override;
  absl::StatusOr<config::ListSnapshot> List(const v1::ListRequest& request) override;
  void Write(config::WriteRequest request) override;
  absl::StatusOr<config::HistoryPage> History(int64_t since_revision, int64_t limit) override;
  int64_t Subscribe(config::ChangeSubscriber* subscriber) override;
  void Unsubscribe(config::ChangeSubscriber* subscriber) override;
  v1::ServerInfo Info() override;
  int64_t FindApplication(const std::string& name) override;

  //! Finishes queued writes, ends watch streams, stops the committer.
  void Stop();
  int64_t revision() const;

 private:
  ConfigDatabase(storage::StoragePtr storage, DatabaseOptions options, const storage::Meta& meta);
  absl::Status Load();

  const storage::StoragePtr storage_;
  const DatabaseOptions options_;
  const std::string history_id_;
  const absl::Time started_at_;
  mutable absl::Mutex mu_;
  ConfigState state_;  // guarded by mu_ (written only by the committer)
  WatchHub hub_;
  Committer committer_;
};

}  // namespace tandem::confserv
