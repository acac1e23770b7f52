#include "logdb/log_store.h"

#include <sqlite3.h>

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "storage/sqlite/sqlite_db.h"

namespace tandem::logdb {

namespace sq = ::tandem::storage::sqlite;

const char* LevelName(Level level) {
  switch (level) {
    case Level::kAlarm:
      return "alarm";
    case Level::kStandard:
      return "standard";
    case Level::kInteraction:
      return "interaction";
    case Level::kTrace:
      return "trace";
  }
  return "?";
}

absl::StatusOr<Level> ParseLevel(const std::string& name) {
  const std::string n = absl::AsciiStrToLower(name);
  if (n == "alarm") return Level::kAlarm;
  if (n == "standard") return Level::kStandard;
  if (n == "interaction") return Level::kInteraction;
  if (n == "trace") return Level::kTrace;
  if (n == "debug") {
    return absl::InvalidArgumentError(
        "level debug stays in the application's own log and is not sent to the Log Message "
        "Server; use alarm, standard, interaction or trace");
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "level '", name.substr(0, 40), "' is none of alarm, standard, interaction, trace"));
}

int64_t Micros(absl::Time t) {
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  return absl::ToUnixMicros(t);
}

namespace {

// RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF.
bool IsUtf8(const std::string& s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == 0) return false;  // PostgreSQL's text holds no NUL
      ++i;
      continue;
    }
    int len = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (int k = 1; k < len; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xbf)) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace

std::string Invalid(const LogEvent& e, const LogStoreOptions& options) {
  const int level = static_cast<int>(e.level);
  if (e.event_id.empty() || e.event_id.size() > 200) return "its event_id must be 1 to 200 bytes";
  if (level < 1 || level > 4) {
    return absl::StrCat("its level ", level, " is none of alarm, standard, interaction, trace");
  }
  if (e.text.size() > options.max_text_bytes) {
    return absl::StrCat("its text is ", e.text.size(), " bytes, the limit is ",
                        options.max_text_bytes);
  }
  if (e.application.size() > 200 || e.host.size() > 255) {
    return "its application or host name is too long";
  }
  if (!IsUtf8(e.text) || !IsUtf8(e.event_id) || !IsUtf8(e.application) || !IsUtf8(e.host)) {
    return "it is not UTF-8 text (or holds a NUL byte)";
  }
  return "";
}

absl::Status CheckBatch(const std::vector<LogEvent>& events, const LogStoreOptions& options) {
  for (size_t i = 0; i < events.size(); ++i) {
    if (std::string bad = Invalid(events[i], options); !bad.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("log event ", i, " of the batch (", events[i].application.substr(0, 200),
                       "): ", bad, "; nothing of the batch was stored"));
    }
  }
  return absl::OkStatus();
}

namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS log_events(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL UNIQUE,
  at_us INTEGER NOT NULL,
  application TEXT NOT NULL,
  host TEXT NOT NULL,
  level INTEGER NOT NULL,
  message_id INTEGER NOT NULL,
  text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS log_events_at ON log_events(at_us);
CREATE INDEX IF NOT EXISTS log_events_app ON log_events(application, seq);
CREATE TABLE IF NOT EXISTS alarms(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  condition TEXT NOT NULL,
  category TEXT NOT NULL,
  application TEXT NOT NULL,
  host TEXT NOT NULL,
  text TEXT NOT NULL,
  event_id TEXT NOT NULL,
  raised_us INTEGER NOT NULL,
  last_seen_us INTEGER NOT NULL,
  cleared_us INTEGER NOT NULL,  -- 0 while active
  cleared_by TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alarms_active ON alarms(cleared_us, id);
)sql";

class SqliteLogStore final : public LogStore {
 public:
  SqliteLogStore(std::unique_ptr<sq::Connection> db, LogStoreOptions options, std::string path)
      : db_(std::move(db)), options_(options), path_(std::move(path)) {}

  std::string Describe() const override { return "sqlite " + path_; }

  absl::Status Init() {
    TANDEM_RETURN_IF_ERROR(db_->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"));
    TANDEM_RETURN_IF_ERROR(db_->Exec(kSchema));
    TANDEM_ASSIGN_OR_RETURN(
        insert_, db_->Prepare("INSERT OR IGNORE INTO log_events(event_id, at_us, application, "
                              "host, level, message_id, text) VALUES(?, ?, ?, ?, ?, ?, ?)"));
    return absl::OkStatus();
  }

  absl::StatusOr<Appended> Append(const std::vector<LogEvent>& events) override {
    TANDEM_RETURN_IF_ERROR(CheckBatch(events, options_));
    absl::MutexLock lock(&mu_);
    TANDEM_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
    Appended out;
    for (const LogEvent& e : events) {
      insert_->Reset();
      insert_->BindText(1, e.event_id);
      insert_->Bind(2, Micros(e.at));
      insert_->BindText(3, e.application);
      insert_->BindText(4, e.host);
      insert_->Bind(5, static_cast<int>(e.level));
      insert_->Bind(6, e.message_id);
      insert_->BindText(7, e.text);
      if (absl::Status st = insert_->Run(); !st.ok()) {
        (void)db_->Exec("ROLLBACK");
        return st;
      }
      if (sqlite3_changes(db_->raw()) == 1) {
        ++out.stored;
        out.last_seq = sqlite3_last_insert_rowid(db_->raw());
        out.seqs.push_back(out.last_seq);
      } else {
        ++out.duplicates;
        out.seqs.push_back(0);
      }
    }
    if (absl::Status st = db_->Exec("COMMIT"); !st.ok()) {
      (void)db_->Exec("ROLLBACK");
      return st;
    }
    return out;
  }

  absl::StatusOr<std::vector<StoredEvent>> Find(const LogQuery& q) override {
    std::string sql =
        "SELECT seq, event_id, at_us, application, host, level, message_id, text FROM "
        "log_events WHERE seq > ?1 AND level <= ?2 AND at_us >= ?3 AND at_us <= ?4";
    if (!q.application.empty()) sql += " AND application = ?5";
    if (!q.host.empty()) sql += " AND host = ?6";
    if (q.message_id != 0) sql += " AND message_id = ?7";
    if (!q.text.empty()) sql += " AND instr(text, ?8) > 0";
    if (q.min_message_id != 0) sql += " AND message_id >= ?10";
    if (q.max_message_id != 0) sql += " AND message_id <= ?11";
    sql += " ORDER BY seq LIMIT ?9";
    absl::MutexLock lock(&mu_);
    TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<sq::Statement> st, db_->Prepare(sql));
    st->Bind(1, q.after_seq);
    st->Bind(2, static_cast<int>(q.max_level));
    st->Bind(3, Micros(q.from));
    st->Bind(4, Micros(q.to));
    if (!q.application.empty()) st->BindText(5, q.application);
    if (!q.host.empty()) st->BindText(6, q.host);
    if (q.message_id != 0) st->Bind(7, q.message_id);
    if (!q.text.empty()) st->BindText(8, q.text);
    if (q.min_message_id != 0) st->Bind(10, q.min_message_id);
    if (q.max_message_id != 0) st->Bind(11, q.max_message_id);
    st->Bind(9, std::max(1, std::min(q.limit, 100000)));
    std::vector<StoredEvent> out;
    while (true) {
      TANDEM_ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      StoredEvent s;
      s.seq = st->Int(0);
      s.event.event_id = std::string(st->Blob(1));
      s.event.at = absl::FromUnixMicros(st->Int(2));
      s.event.application = std::string(st->Blob(3));
      s.event.host = std::string(st->Blob(4));
      s.event.level = static_cast<Level>(st->Int(5));
      s.event.message_id = st->Int(6);
      s.event.text = std::string(st->Blob(7));
      out.push_back(std::move(s));
    }
    return out;
  }

  absl::StatusOr<int64_t> Trim(absl::Time now) override {
    absl::MutexLock lock(&mu_);
    int64_t removed = 0;
    TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<sq::Statement> old,
                            db_->Prepare("DELETE FROM log_events WHERE at_us < ?1"));
    old->Bind(1, Micros(now - options_.max_age));
    TANDEM_RETURN_IF_ERROR(old->Run());
    removed += sqlite3_changes(db_->raw());
    TANDEM_ASSIGN_OR_RETURN(int64_t count, CountLocked());
    if (count > options_.max_events) {
      TANDEM_ASSIGN_OR_RETURN(
          std::unique_ptr<sq::Statement> over,
          db_->Prepare("DELETE FROM log_events WHERE seq IN (SELECT seq FROM log_events ORDER BY "
                       "seq LIMIT ?1)"));
      over->Bind(1, count - options_.max_events);
      TANDEM_RETURN_IF_ERROR(over->Run());
      removed += sqlite3_changes(db_->raw());
    }
    return removed;
  }

  absl::StatusOr<int64_t> Count() override {
    absl::MutexLock lock(&mu_);
    return CountLocked();
  }

  absl::StatusOr<int64_t> SaveAlarm(const Alarm& a) override {
    absl::MutexLock lock(&mu_);
    std::unique_ptr<sq::Statement> st;
    if (a.id == 0) {
      TANDEM_ASSIGN_OR_RETURN(
          st, db_->Prepare("INSERT INTO alarms(condition, category, application, host, text, "
                           "event_id, raised_us, last_seen_us, cleared_us, cleared_by) "
                           "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
      st->BindText(1, a.condition);
      st->BindText(2, a.category);
      st->BindText(3, a.application);
      st->BindText(4, a.host);
      st->BindText(5, a.text);
      st->BindText(6, a.event_id);
      st->Bind(7, Micros(a.raised_at));
    } else {
      TANDEM_ASSIGN_OR_RETURN(
          st, db_->Prepare("UPDATE alarms SET last_seen_us = ?8, cleared_us = ?9, cleared_by = "
                           "?10 WHERE id = ?11"));
      st->Bind(11, a.id);
    }
    st->Bind(8, Micros(a.last_seen));
    st->Bind(9, a.active() ? 0 : Micros(a.cleared_at));
    st->BindText(10, a.cleared_by);
    TANDEM_RETURN_IF_ERROR(st->Run());
    return a.id == 0 ? sqlite3_last_insert_rowid(db_->raw()) : a.id;
  }

  absl::StatusOr<std::vector<Alarm>> Alarms(bool all, int limit) override {
    absl::MutexLock lock(&mu_);
    TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<sq::Statement> st,
                            db_->Prepare(absl::StrCat(
                                "SELECT id, condition, category, application, host, text, "
                                "event_id, raised_us, last_seen_us, cleared_us, cleared_by FROM "
                                "alarms",
                                all ? "" : " WHERE cleared_us = 0", " ORDER BY id DESC LIMIT ?1")));
    st->Bind(1, std::max(1, std::min(limit, 100000)));
    std::vector<Alarm> out;
    while (true) {
      TANDEM_ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      Alarm a;
      a.id = st->Int(0);
      a.condition = std::string(st->Blob(1));
      a.category = std::string(st->Blob(2));
      a.application = std::string(st->Blob(3));
      a.host = std::string(st->Blob(4));
      a.text = std::string(st->Blob(5));
      a.event_id = std::string(st->Blob(6));
      a.raised_at = absl::FromUnixMicros(st->Int(7));
      a.last_seen = absl::FromUnixMicros(st->Int(8));
      if (st->Int(9) != 0) a.cleared_at = absl::FromUnixMicros(st->Int(9));
      a.cleared_by = std::string(st->Blob(10));
      out.push_back(std::move(a));
    }
    return out;
  }

 private:
  absl::StatusOr<int64_t> CountLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<sq::Statement> st,
                            db_->Prepare("SELECT count(*) FROM log_events"));
    TANDEM_ASSIGN_OR_RETURN(bool row, st->Step());
    return row ? st->Int(0) : 0;
  }

  absl::Mutex mu_;
  std::unique_ptr<sq::Connection> db_ ABSL_GUARDED_BY(mu_);
  const LogStoreOptions options_;
  const std::string path_;
  std::unique_ptr<sq::Statement> insert_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<LogStore>> LogStore::OpenSqlite(const std::string& path,
                                                               LogStoreOptions options) {
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<sq::Connection> db, sq::Connection::Open(path, true));
  auto store = std::make_unique<SqliteLogStore>(std::move(db), options, path);
  TANDEM_RETURN_IF_ERROR(store->Init());
  return store;
}

}  // namespace tandem::logdb
