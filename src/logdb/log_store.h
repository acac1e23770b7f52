// The Log Database (issue 13): network log events, stored durably in
// batches before they are acknowledged, found again by application, host,
// level, time, message id and text, kept by age and count. SQLite (one
// host: both servers of a Log Message Server pair on it share the file) or
// PostgreSQL (the pair shares the database; streaming replication carries it
// to region 2 like the Configuration Database). The Log Message Server
// batches into it (src/msg/log_service.h).
//
// An event is identified by the id its sender gave it (libtandem: the
// application, its start and a counter): a batch sent again after a lost
// acknowledgement stores nothing twice, and says how many it skipped.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tandem::logdb {

//! The classic framework's levels, most severe first (Debug stays local).
enum class Level { kAlarm = 1, kStandard = 2, kInteraction = 3, kTrace = 4 };
const char* LevelName(Level level);
//! "alarm", "standard", "interaction", "trace" (any case); INVALID_ARGUMENT
//! naming the four otherwise ("debug" is told it stays local).
absl::StatusOr<Level> ParseLevel(const std::string& name);

struct LogEvent {
  std::string event_id;
  absl::Time at;
  std::string application;
  std::string host;
  Level level = Level::kStandard;
  int64_t message_id = 0;
  std::string text;
};

struct StoredEvent {
  //! The store's own order (1, 2, ...): `--follow` reads onward from it.
  int64_t seq = 0;
  LogEvent event;
};

struct LogStoreOptions {
  //! Events older than this are removed by Trim.
  absl::Duration max_age = absl::Hours(24 * 30);
  //! At most this many events are kept (the oldest go first).
  int64_t max_events = 50'000'000;
  //! Bigger texts are refused (the event, not the batch).
  size_t max_text_bytes = 16 * 1024;
};

struct LogQuery {
  std::string application = {};
  std::string host = {};
  //! Events at this level or more severe (kTrace: every level).
  Level max_level = Level::kTrace;
  absl::Time from = absl::InfinitePast();
  absl::Time to = absl::InfiniteFuture();
  int64_t message_id = 0;  //!< 0: any
  //! A range of message ids (0: open): the audit trail is one.
  int64_t min_message_id = 0;
  int64_t max_message_id = 0;
  std::string text = {};  //!< a substring; empty: any
  int64_t after_seq = 0;  //!< only events stored after this one
  int limit = 1000;
};

//! An alarm raised by an AlarmCondition (or a built-in condition) from the
//! log stream, kept while active and afterwards as history.
struct Alarm {
  int64_t id = 0;  //!< 0 until stored
  std::string condition = {};
  std::string category = "major";  //!< critical, major, minor
  std::string application = {};
  std::string host = {};
  //! The detecting event's text and id.
  std::string text = {};
  std::string event_id = {};
  absl::Time raised_at = absl::UnixEpoch();
  //! The latest detection (a cancel timeout runs from here).
  absl::Time last_seen = absl::UnixEpoch();
  //! InfinitePast while active.
  absl::Time cleared_at = absl::InfinitePast();
  //! "event ID (message 4102)", "timeout after 300s", "person ops".
  std::string cleared_by = {};
  bool active() const { return cleared_at == absl::InfinitePast(); }
};

//! Why `event` cannot be stored (empty: it can): no id or one over 200
//! bytes, an unknown level, a text over the limit or not UTF-8.
std::string Invalid(const LogEvent& event, const LogStoreOptions& options);

class LogStore {
 public:
  //! Opens (creating it and its schema if need be) the SQLite file `path`:
  //! WAL, synchronous=FULL, so that what Append returned survives a crash.
  static absl::StatusOr<std::unique_ptr<LogStore>> OpenSqlite(const std::string& path,
                                                              LogStoreOptions options = {});
  //! Connects to the PostgreSQL database `conninfo` (creating the table if
  //! need be). An append is one statement, committed (and, with a
  //! synchronous standby configured, replicated) before it returns.
  static absl::StatusOr<std::unique_ptr<LogStore>> OpenPostgres(const std::string& conninfo,
                                                                LogStoreOptions options = {});
  virtual ~LogStore() = default;

  struct Appended {
    int64_t stored = 0;
    //! Already there (same event id): not stored again.
    int64_t duplicates = 0;
    //! The seq of the last event stored (0: none).
    int64_t last_seq = 0;
    //! Per event of the batch, in order: its seq, or 0 for a duplicate.
    std::vector<int64_t> seqs;
  };
  //! Stores `events` in one transaction, durably, or none of them: an
  //! event with no id, an unknown level or a text over the limit refuses
  //! the batch with INVALID_ARGUMENT naming it; a full disk is
  //! RESOURCE_EXHAUSTED (nothing stored: the sender keeps its buffer).
  virtual absl::StatusOr<Appended> Append(const std::vector<LogEvent>& events) = 0;
  //! Oldest first.
  virtual absl::StatusOr<std::vector<StoredEvent>> Find(const LogQuery& query) = 0;
  //! Removes what retention no longer keeps as of `now`; how many went.
  virtual absl::StatusOr<int64_t> Trim(absl::Time now) = 0;
  virtual absl::StatusOr<int64_t> Count() = 0;
  //! Stores a new alarm (id 0; returns its id) or the new state of one
  //! (last seen, cleared).
  virtual absl::StatusOr<int64_t> SaveAlarm(const Alarm& alarm) = 0;
  //! Newest first; only the active ones unless `all`.
  virtual absl::StatusOr<std::vector<Alarm>> Alarms(bool all, int limit) = 0;
  //! "sqlite /var/lib/tandem/log.db", "postgres db1:5432/tandem_log".
  virtual std::string Describe() const = 0;
};

//! Every store refuses bad input the same way (Append's contract).
absl::Status CheckBatch(const std::vector<LogEvent>& events, const LogStoreOptions& options);
//! Microseconds since the epoch as the stores keep times (the infinities
//! at int64's ends, for open query ranges).
int64_t Micros(absl::Time t);

}  // namespace tandem::logdb
