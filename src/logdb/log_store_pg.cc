// The Log Database on PostgreSQL: the same table as SQLite's, an append one
// INSERT over arrays (one round trip, its own transaction: when it returns
// the batch is committed and, with a synchronous standby configured,
// replicated), queries on a pool of connections.
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "logdb/log_store.h"
#include "storage/connection_pool.h"
#include "storage/postgres/pg_conn.h"

namespace tandem::logdb {
namespace {

namespace pg = ::tandem::storage::pg;

// One script, so one implicit transaction; the advisory lock serializes the
// two servers of a pair starting together (concurrent CREATE TABLE IF NOT
// EXISTS can fail on pg_type's unique index).
constexpr char kSchema[] = R"sql(
SELECT pg_advisory_xact_lock(7437101);
CREATE TABLE IF NOT EXISTS log_events(
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id text NOT NULL UNIQUE,
  at_us bigint NOT NULL,
  application text NOT NULL,
  host text NOT NULL,
  level integer NOT NULL,
  message_id bigint NOT NULL,
  text text NOT NULL);
CREATE INDEX IF NOT EXISTS log_events_at ON log_events(at_us);
CREATE INDEX IF NOT EXISTS log_events_app ON log_events(application, seq);
CREATE TABLE IF NOT EXISTS alarms(
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  condition text NOT NULL,
  category text NOT NULL,
  application text NOT NULL,
  host text NOT NULL,
  text text NOT NULL,
  event_id text NOT NULL,
  raised_us bigint NOT NULL,
  last_seen_us bigint NOT NULL,
  cleared_us bigint NOT NULL,  -- 0 while active
  cleared_by text NOT NULL);
CREATE INDEX IF NOT EXISTS alarms_active ON alarms(cleared_us, id);
)sql";

// The rows of a batch travel as array parameters, whose text form quotes
// every element: {"a","b \"c\""}.
template <typename T, typename F>
std::string ArrayOf(const std::vector<T>& items, F element) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : element(items[i])) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

class PostgresLogStore final : public LogStore {
 public:
  PostgresLogStore(std::string conninfo, LogStoreOptions options)
      : conninfo_(std::move(conninfo)),
        options_(options),
        pool_([this] { return pg::Connection::Open(conninfo_); }, 4) {}

  absl::Status Init() {
    TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<pg::Connection> c, pool_.Borrow());
    TANDEM_RETURN_IF_ERROR(c->ExecScript(kSchema));
    label_ = c->Describe();
    pool_.Return(std::move(c));
    return absl::OkStatus();
  }

  //! The server the appends go to now (after a failover of the DBMS, the
  //! promoted one), else the one the store was opened on.
  //! (Never waits for an append: its own lock, not the writer's.)
  std::string Describe() const override {
    absl::MutexLock lock(&label_mu_);
    return "postgres " + (writer_label_.empty() ? label_ : writer_label_);
  }

  absl::StatusOr<Appended> Append(const std::vector<LogEvent>& events) override {
    TANDEM_RETURN_IF_ERROR(CheckBatch(events, options_));
    Appended out;
    if (events.empty()) return out;
    std::vector<pg::Param> params = {
        pg::Param::Text(ArrayOf(events, [](const LogEvent& e) { return e.event_id; })),
        pg::Param::Text(
            ArrayOf(events, [](const LogEvent& e) { return std::to_string(Micros(e.at)); })),
        pg::Param::Text(ArrayOf(events, [](const LogEvent& e) { return e.application; })),
        pg::Param::Text(ArrayOf(events, [](const LogEvent& e) { return e.host; })),
        pg::Param::Text(ArrayOf(
            events, [](const LogEvent& e) { return std::to_string(static_cast<int>(e.level)); })),
        pg::Param::Text(
            ArrayOf(events, [](const LogEvent& e) { return std::to_string(e.message_id); })),
        pg::Param::Text(ArrayOf(events, [](const LogEvent& e) { return e.text; })),
    };
    // ORDER BY the position, so that seqs follow the batch's order.
    static const char kInsert[] =
        "INSERT INTO log_events(event_id, at_us, application, host, level, message_id, text) "
        "SELECT e, a, ap, h, l, m, t FROM unnest($1::text[], $2::bigint[], $3::text[], "
        "$4::text[], $5::int[], $6::bigint[], $7::text[]) WITH ORDINALITY AS "
        "u(e, a, ap, h, l, m, t, n) ORDER BY n ON CONFLICT (event_id) DO NOTHING "
        "RETURNING seq, event_id";
    std::map<std::string, int64_t, std::less<>> fresh;
    {
      // One writer: appends are serialized, so seqs are committed in order
      // and `--follow` (onward from a seq) never skips one.
      absl::MutexLock lock(&writer_mu_);
      if (writer_ == nullptr || !writer_->ok()) {
        TANDEM_ASSIGN_OR_RETURN(writer_, pg::Connection::Open(conninfo_));
        absl::MutexLock label_lock(&label_mu_);
        writer_label_ = writer_->Describe();
      }
      absl::StatusOr<pg::Result> r = writer_->Query(kInsert, params);
      if (!r.ok()) {
        // A new connection for the next batch whatever went wrong: a broken
        // one, and also a server that became a standby (read-only): the
        // conninfo's target_session_attrs=read-write then finds the
        // promoted one.
        writer_.reset();
        return r.status();
      }
      for (int i = 0; i < r->rows(); ++i) {
        fresh.emplace(std::string(r->Bytes(i, 1)), r->Int(i, 0));
      }
    }
    for (const LogEvent& e : events) {
      auto it = fresh.find(e.event_id);
      if (it == fresh.end()) {  // stored before, or earlier in this batch
        ++out.duplicates;
        out.seqs.push_back(0);
        continue;
      }
      ++out.stored;
      out.last_seq = std::max(out.last_seq, it->second);
      out.seqs.push_back(it->second);
      fresh.erase(it);
    }
    return out;
  }

  // A query on a pooled connection; once more on a new one if the pooled
  // one had broken (the server restarted, the session was terminated).
  absl::StatusOr<pg::Result> Read(const std::string& sql, const std::vector<pg::Param>& params) {
    for (int attempt = 0;; ++attempt) {
      TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<pg::Connection> c, pool_.Borrow());
      absl::StatusOr<pg::Result> r = c->Query(sql, params);
      const bool broken = !c->ok();
      if (!broken) pool_.Return(std::move(c));
      if (r.ok() || !broken || attempt == 1) return r;
    }
  }

  absl::StatusOr<std::vector<StoredEvent>> Find(const LogQuery& q) override {
    std::vector<pg::Param> params = {pg::Param::Int(q.after_seq),
                                     pg::Param::Int(static_cast<int>(q.max_level)),
                                     pg::Param::Int(Micros(q.from)), pg::Param::Int(Micros(q.to))};
    std::string sql =
        "SELECT seq, event_id, at_us, application, host, level::bigint, message_id, text FROM "
        "log_events WHERE seq > $1 AND level <= $2 AND at_us >= $3 AND at_us <= $4";
    auto add = [&](const char* condition, pg::Param p) {
      params.push_back(std::move(p));
      absl::StrAppend(&sql, " AND ", condition, "$", params.size());
      if (condition[0] == 's') sql += ") > 0";
    };
    if (!q.application.empty()) add("application = ", pg::Param::Text(q.application));
    if (!q.host.empty()) add("host = ", pg::Param::Text(q.host));
    if (q.message_id != 0) add("message_id = ", pg::Param::Int(q.message_id));
    if (!q.text.empty()) add("strpos(text, ", pg::Param::Text(q.text));
    if (q.min_message_id != 0) add("message_id >= ", pg::Param::Int(q.min_message_id));
    if (q.max_message_id != 0) add("message_id <= ", pg::Param::Int(q.max_message_id));
    params.push_back(pg::Param::Int(std::max(1, std::min(q.limit, 100000))));
    absl::StrAppend(&sql, " ORDER BY seq LIMIT $", params.size());
    absl::StatusOr<pg::Result> r = Read(sql, params);
    if (!r.ok()) return r.status();
    std::vector<StoredEvent> out;
    out.reserve(r->rows());
    for (int i = 0; i < r->rows(); ++i) {
      StoredEvent s;
      s.seq = r->Int(i, 0);
      s.event.event_id = std::string(r->Bytes(i, 1));
      s.event.at = absl::FromUnixMicros(r->Int(i, 2));
      s.event.application = std::string(r->Bytes(i, 3));
      s.event.host = std::string(r->Bytes(i, 4));
      s.event.level = static_cast<Level>(r->Int(i, 5));
      s.event.message_id = r->Int(i, 6);
      s.event.text = std::string(r->Bytes(i, 7));
      out.push_back(std::move(s));
    }
    return out;
  }

  absl::StatusOr<int64_t> Trim(absl::Time now) override {
    TANDEM_ASSIGN_OR_RETURN(pg::Result old,
                            Read("WITH d AS (DELETE FROM log_events WHERE at_us < $1 RETURNING 1) "
                                 "SELECT count(*) FROM d",
                                 {pg::Param::Int(Micros(now - options_.max_age))}));
    // Over the count: the oldest go (seqs are not dense: duplicates use some).
    TANDEM_ASSIGN_OR_RETURN(
        pg::Result over,
        Read("WITH d AS (DELETE FROM log_events WHERE seq <= (SELECT seq FROM log_events "
             "ORDER BY seq DESC OFFSET $1 LIMIT 1) RETURNING 1) SELECT count(*) FROM d",
             {pg::Param::Int(options_.max_events)}));
    return old.Int(0, 0) + over.Int(0, 0);
  }

  absl::StatusOr<int64_t> SaveAlarm(const Alarm& a) override {
    const std::string cleared = std::to_string(a.active() ? 0 : Micros(a.cleared_at));
    if (a.id == 0) {
      TANDEM_ASSIGN_OR_RETURN(
          pg::Result r,
          Read("INSERT INTO alarms(condition, category, application, host, text, event_id, "
               "raised_us, last_seen_us, cleared_us, cleared_by) VALUES($1, $2, $3, $4, $5, $6, "
               "$7, $8, $9, $10) RETURNING id",
               {pg::Param::Text(a.condition), pg::Param::Text(a.category),
                pg::Param::Text(a.application), pg::Param::Text(a.host), pg::Param::Text(a.text),
                pg::Param::Text(a.event_id), pg::Param::Int(Micros(a.raised_at)),
                pg::Param::Int(Micros(a.last_seen)), pg::Param::Text(cleared),
                pg::Param::Text(a.cleared_by)}));
      return r.Int(0, 0);
    }
    TANDEM_ASSIGN_OR_RETURN(
        pg::Result r,
        Read("UPDATE alarms SET last_seen_us = $1, cleared_us = $2, cleared_by = $3 WHERE id = $4",
             {pg::Param::Int(Micros(a.last_seen)), pg::Param::Text(cleared),
              pg::Param::Text(a.cleared_by), pg::Param::Int(a.id)}));
    return a.id;
  }

  absl::StatusOr<std::vector<Alarm>> Alarms(bool all, int limit) override {
    TANDEM_ASSIGN_OR_RETURN(
        pg::Result r,
        Read(absl::StrCat("SELECT id, condition, category, application, host, text, event_id, "
                          "raised_us, last_seen_us, cleared_us, cleared_by FROM alarms",
                          all ? "" : " WHERE cleared_us = 0", " ORDER BY id DESC LIMIT $1"),
             {pg::Param::Int(std::max(1, std::min(limit, 100000)))}));
    std::vector<Alarm> out;
    for (int i = 0; i < r.rows(); ++i) {
      Alarm a;
      a.id = r.Int(i, 0);
      a.condition = std::string(r.Bytes(i, 1));
      a.category = std::string(r.Bytes(i, 2));
      a.application = std::string(r.Bytes(i, 3));
      a.host = std::string(r.Bytes(i, 4));
      a.text = std::string(r.Bytes(i, 5));
      a.event_id = std::string(r.Bytes(i, 6));
      a.raised_at = absl::FromUnixMicros(r.Int(i, 7));
      a.last_seen = absl::FromUnixMicros(r.Int(i, 8));
      if (r.Int(i, 9) != 0) a.cleared_at = absl::FromUnixMicros(r.Int(i, 9));
      a.cleared_by = std::string(r.Bytes(i, 10));
      out.push_back(std::move(a));
    }
    return out;
  }

  absl::StatusOr<int64_t> Count() override {
    TANDEM_ASSIGN_OR_RETURN(pg::Result r, Read("SELECT count(*) FROM log_events", {}));
    return r.Int(0, 0);
  }

 private:
  const std::string conninfo_;
  const LogStoreOptions options_;
  std::string label_;
  storage::ConnectionPool<pg::Connection> pool_;
  absl::Mutex writer_mu_;
  mutable absl::Mutex label_mu_;
  std::string writer_label_ ABSL_GUARDED_BY(label_mu_);
  std::unique_ptr<pg::Connection> writer_ ABSL_GUARDED_BY(writer_mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<LogStore>> LogStore::OpenPostgres(const std::string& conninfo,
                                                                 LogStoreOptions options) {
  auto store = std::make_unique<PostgresLogStore>(conninfo, options);
  TANDEM_RETURN_IF_ERROR(store->Init());
  return store;
}

}  // namespace tandem::logdb
