// Operator queries against PostgreSQL (see include/tandem/storage/pg_admin.h).
// Every value is read as text (or int8) so the binary result format needs
// no per-type decoding.
#include "tandem/storage/pg_admin.h"

#include <arpa/inet.h>

#include <algorithm>
#include <bit>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "storage/postgres/pg_conn.h"
#include "tandem/storage/storage.h"

namespace tandem::storage::pgadmin {
namespace {

using pg::Connection;
using pg::Param;

absl::StatusOr<std::unique_ptr<Connection>> Connect(const std::string& conninfo) {
  auto c = Connection::Open(conninfo);
  if (!c.ok()) {
    return absl::Status(c.status().code(),
                        absl::StrReplaceAll(c.status().message(),
                                            {{"check [storage] conninfo", "check the conninfo"}}));
  }
  return c;
}

std::string Text(const pg::Result& r, int row, int col) {
  return r.IsNull(row, col) ? std::string() : std::string(r.Bytes(row, col));
}

std::optional<double> Seconds(const std::string& s) {
  double v;
  if (s.empty() || !absl::SimpleAtod(s, &v)) return std::nullopt;
  return v;
}

// "255.255.255.0" -> 24 (contiguous masks only; -1 otherwise).
int PrefixLength(const std::string& netmask) {
  unsigned char buf[16];
  int bits = 0;
  size_t len;
  if (inet_pton(AF_INET, netmask.c_str(), buf) == 1) {
    len = 4;
  } else if (inet_pton(AF_INET6, netmask.c_str(), buf) == 1) {
    len = 16;
  } else {
    return -1;
  }
  for (size_t i = 0; i < len; ++i) bits += std::popcount(static_cast<unsigned>(buf[i]));
  return bits;
}

absl::Status ValidSettingName(const std::string& name) {
  if (name.empty() ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789.") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", name, "' is not a setting name"));
  }
  return absl::OkStatus();
}

absl::Status ReadStandbySide(Connection& c, ServerState& s) {
  TANDEM_ASSIGN_OR_RETURN(
      pg::Result r, c.Query("SELECT COALESCE(status, ''), COALESCE(sender_host, ''), "
                            "COALESCE(sender_port::text, ''), COALESCE(received_tli, 0)::int8 "
                            "FROM pg_stat_wal_receiver"));
  if (r.rows() > 0) {
    s.receiver_status = Text(r, 0, 0);
    s.upstream = absl::StrCat(Text(r, 0, 1), ":", Text(r, 0, 2));
    if (s.timeline == 0) s.timeline = r.Int(0, 3);
  }
  return absl::OkStatus();
}

absl::Status ReadPrimarySide(Connection& c, ServerState& s) {
  TANDEM_ASSIGN_OR_RETURN(
      pg::Result r,
      c.Query("SELECT COALESCE(application_name, ''), COALESCE(host(client_addr), 'local'), "
              "COALESCE(state, ''), COALESCE(sync_state, ''), COALESCE(replay_lsn::text, ''), "
              "COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::int8, "
              "COALESCE(extract(epoch FROM replay_lag)::text, '') "
              "FROM pg_stat_replication ORDER BY application_name, client_addr"));
  for (int i = 0; i < r.rows(); ++i) {
    Standby st;
    st.application_name = Text(r, i, 0);
    st.client_addr = Text(r, i, 1);
    st.state = Text(r, i, 2);
    st.sync_state = Text(r, i, 3);
    st.replay_lsn = Text(r, i, 4);
    st.lag_bytes = r.Int(i, 5);
    st.replay_lag_s = Seconds(Text(r, i, 6));
    s.standbys.push_back(std::move(st));
  }
  for (const std::string& name : SyncStandbyNames(s.synchronous_standby_names)) {
    bool found = false;
    for (const Standby& st : s.standbys) {
      if (st.state == "streaming" && st.sync_state != "async" &&
          (name == "*" || absl::EqualsIgnoreCase(name, st.application_name))) {
        found = true;
      }
    }
    if (!found) s.missing_sync_standbys.push_back(name);
  }
  return absl::OkStatus();
}

absl::Status ReadHba(Connection& c, ServerState& s) {
  TANDEM_ASSIGN_OR_RETURN(
      pg::Result r, c.Query("SELECT COALESCE(address, ''), COALESCE(netmask, ''), "
                            "COALESCE(auth_method, ''), COALESCE(error, ''), line_number::int8 "
                            "FROM pg_hba_file_rules ORDER BY line_number"));
  for (int i = 0; i < r.rows(); ++i) {
    const std::string error = Text(r, i, 3);
    if (!error.empty()) {
      s.hba_errors.push_back(absl::StrCat("line ", r.Int(i, 4), ": ", error));
      continue;
    }
    if (Text(r, i, 2) != "reject") continue;
    std::string address = Text(r, i, 0);
    if (address.empty()) continue;  // "local" (Unix socket) rules
    const int prefix = PrefixLength(Text(r, i, 1));
    if (prefix >= 0) address = absl::StrCat(address, "/", prefix);
    bool seen = false;
    for (const std::string& a : s.hba_rejected) seen |= a == address;
    if (!seen) s.hba_rejected.push_back(address);
  }
  return absl::OkStatus();
}

absl::Status ReadConfigDatabase(Connection& c, ConfigDatabase& db) {
  TANDEM_ASSIGN_OR_RETURN(pg::Result t, c.Query("SELECT (to_regclass('meta') IS NOT NULL)::text"));
  if (Text(t, 0, 0) != "true") return absl::OkStatus();
  TANDEM_ASSIGN_OR_RETURN(
      pg::Result r,
      c.Query("SELECT key, value FROM meta WHERE key IN ('application', 'schema_version', "
              "'revision', 'history_id')"));
  std::string application;
  for (int i = 0; i < r.rows(); ++i) {
    const std::string key = Text(r, i, 0), value = Text(r, i, 1);
    if (key == "application") application = value;
    if (key == "schema_version") (void)absl::SimpleAtoi(value, &db.schema_version);
    if (key == "revision") (void)absl::SimpleAtoi(value, &db.revision);
    if (key == "history_id") db.history_id = value;
  }
  db.present = application == kApplicationTag;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<uint64_t> ParseLsn(const std::string& lsn) {
  std::pair<std::string, std::string> parts = absl::StrSplit(lsn, absl::MaxSplits('/', 1));
  uint64_t hi, lo;
  if (parts.first.empty() || parts.second.empty() || !absl::SimpleHexAtoi(parts.first, &hi) ||
      !absl::SimpleHexAtoi(parts.second, &lo) || hi > 0xffffffffu || lo > 0xffffffffu) {
    return absl::InvalidArgumentError(absl::StrCat("'", lsn, "' is not a WAL position (X/Y)"));
  }
  return hi << 32 | lo;
}

std::vector<std::string> SyncStandbyNames(const std::string& value) {
  std::string v(absl::StripAsciiWhitespace(value));
  if (v.empty()) return {};
  // FIRST n (...), ANY n (...), n (...): the list is inside the parentheses.
  const size_t open = v.find('(');
  if (open != std::string::npos && v.back() == ')') v = v.substr(open + 1, v.size() - open - 2);
  std::vector<std::string> names;
  for (absl::string_view part : absl::StrSplit(v, ',', absl::SkipWhitespace())) {
    std::string name(absl::StripAsciiWhitespace(part));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
    }
    if (!name.empty()) names.push_back(name);
  }
  return names;
}

std::string ConninfoValue(const std::string& conninfo, const std::string& key) {
  const std::map<std::string, std::string> values = pg::ConninfoValues(conninfo);
  auto it = values.find(key);
  return it == values.end() ? "" : it->second;
}

std::string ConninfoLabel(const std::string& conninfo) {
  const std::map<std::string, std::string> values = pg::ConninfoValues(conninfo);
  auto get = [&](const char* key, const char* def) {
    auto it = values.find(key);
    return it == values.end() || it->second.empty() ? std::string(def) : it->second;
  };
  return absl::StrCat(get("host", "localhost"), ":", get("port", "5432"), "/",
                      get("dbname", get("user", "postgres").c_str()));
}

std::string RedactedConninfo(const std::string& conninfo) {
  std::map<std::string, std::string> values = pg::ConninfoValues(conninfo);
  auto pw = values.find("password");
  if (pw == values.end()) return conninfo;
  pw->second = "***";
  std::vector<std::string> words;
  for (const auto& [key, value] : values) {
    // libpq's quoting: 'value' with \\ and \' escaped.
    words.push_back(
        absl::StrCat(key, "='", absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"'", "\\'"}}), "'"));
  }
  return absl::StrJoin(words, " ");
}

std::string QuoteLiteral(const std::string& text) {
  return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "''"}}), "'");
}

std::optional<int64_t> RevisionsBehind(const ServerState& standby, const ServerState& primary) {
  if (!standby.in_recovery || primary.in_recovery || !standby.config.present ||
      !primary.config.present || standby.config.history_id != primary.config.history_id) {
    return std::nullopt;
  }
  return primary.config.revision - standby.config.revision;
}

absl::StatusOr<ServerState> Probe(const std::string& conninfo) {
  TANDEM_ASSIGN_OR_RETURN(auto c, Connect(conninfo));
  ServerState s;
  s.endpoint = c->Describe();
  TANDEM_ASSIGN_OR_RETURN(
      pg::Result r,
      c->Query("SELECT current_setting('server_version'), pg_is_in_recovery()::text, "
               "CASE WHEN pg_is_in_recovery() THEN COALESCE(pg_last_wal_replay_lsn()::text, '') "
               "ELSE pg_current_wal_lsn()::text END, "
               "COALESCE(pg_last_wal_receive_lsn()::text, ''), "
               "CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused()::text "
               "ELSE 'false' END, "
               "COALESCE(extract(epoch FROM now() - pg_last_xact_replay_timestamp())::text, ''), "
               "current_setting('synchronous_standby_names'), "
               "CASE WHEN pg_is_in_recovery() THEN 0 ELSE "
               "('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int8 "
               "END"));
  s.server_version = Text(r, 0, 0);
  s.in_recovery = Text(r, 0, 1) == "true";
  s.wal_lsn = Text(r, 0, 2);
  s.receive_lsn = Text(r, 0, 3);
  s.replay_paused = Text(r, 0, 4) == "true";
  s.last_replay_age_s = Seconds(Text(r, 0, 5));
  s.synchronous_standby_names = Text(r, 0, 6);
  s.timeline = r.Int(0, 7);
  if (s.in_recovery) {
    TANDEM_RETURN_IF_ERROR(ReadStandbySide(*c, s));
  } else {
    TANDEM_RETURN_IF_ERROR(ReadPrimarySide(*c, s));
  }
  // pg_hba_file_rules needs a superuser; without one the fences stay unknown.
  if (absl::Status st = ReadHba(*c, s); !st.ok()) {
    s.hba_errors.push_back(absl::StrCat("cannot read pg_hba_file_rules: ", st.message()));
  }
  TANDEM_RETURN_IF_ERROR(ReadConfigDatabase(*c, s.config));
  return s;
}

absl::StatusOr<PromoteResult> Promote(const std::string& conninfo, const PromoteOptions& options) {
  TANDEM_ASSIGN_OR_RETURN(auto c, Connect(conninfo));
  PromoteResult result;
  TANDEM_ASSIGN_OR_RETURN(pg::Result r, c->Query("SELECT pg_is_in_recovery()::text, "
                                                 "current_setting('synchronous_standby_names')"));
  if (Text(r, 0, 0) != "true") {
    result.already_primary = true;
    return result;
  }
  // A new primary has no standby yet: inherited synchronous_standby_names
  // would make every commit wait. ALTER SYSTEM works during recovery.
  const std::string sync_names = Text(r, 0, 1);
  if (!sync_names.empty() && !options.keep_sync) {
    TANDEM_RETURN_IF_ERROR(c->Exec("ALTER SYSTEM SET synchronous_standby_names = ''"));
    TANDEM_RETURN_IF_ERROR(c->Exec("SELECT pg_reload_conf()"));
    result.cleared_sync_standby_names = sync_names;
  }
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + options.timeout;
  TANDEM_ASSIGN_OR_RETURN(pg::Result promoted, c->Query("SELECT pg_promote(false)::text"));
  if (Text(promoted, 0, 0) != "true") {
    return absl::InternalError(absl::StrCat(c->Describe(), " did not accept the promote request"));
  }
  while (true) {
    TANDEM_ASSIGN_OR_RETURN(pg::Result rec, c->Query("SELECT pg_is_in_recovery()::text"));
    if (Text(rec, 0, 0) != "true") break;
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          c->Describe(), " is still in recovery ", absl::FormatDuration(options.timeout),
          " after the promote request; see its server log"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  result.promote_time = absl::Now() - start;
  // The first write: a transaction that gets an ID and commits (locally:
  // a kept synchronous_standby_names must not make this wait).
  TANDEM_RETURN_IF_ERROR(c->Exec("SET synchronous_commit TO local"));
  while (true) {
    absl::StatusOr<pg::Result> w = c->Query("SELECT pg_current_xact_id()::text");
    if (w.ok()) break;
    if (absl::Now() > deadline) return w.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  result.first_write_time = absl::Now() - start;
  return result;
}

absl::Status SetSystemSetting(const std::string& conninfo, const std::string& name,
                              const std::optional<std::string>& value) {
  TANDEM_RETURN_IF_ERROR(ValidSettingName(name));
  TANDEM_ASSIGN_OR_RETURN(auto c, Connect(conninfo));
  TANDEM_RETURN_IF_ERROR(c->Exec(
      value.has_value() ? absl::StrCat("ALTER SYSTEM SET ", name, " = ", QuoteLiteral(*value))
                        : absl::StrCat("ALTER SYSTEM RESET ", name)));
  return c->Exec("SELECT pg_reload_conf()");
}

absl::Status Checkpoint(const std::string& conninfo) {
  TANDEM_ASSIGN_OR_RETURN(auto c, Connect(conninfo));
  return c->Exec("CHECKPOINT");
}

absl::StatusOr<std::string> ShowSetting(const std::string& conninfo, const std::string& name) {
  TANDEM_RETURN_IF_ERROR(ValidSettingName(name));
  TANDEM_ASSIGN_OR_RETURN(auto c, Connect(conninfo));
  TANDEM_ASSIGN_OR_RETURN(pg::Result r,
                          c->Query("SELECT current_setting($1)", {Param::Text(name)}));
  return Text(r, 0, 0);
}

absl::StatusOr<std::vector<std::string>> ReloadConfiguration(const std::string& conninfo) {
  TANDEM_ASSIGN_OR_RETURN(auto c, Connect(conninfo));
  // pg_hba_file_rules reads the file as it is on disk now: check before
  // reloading, so a bad file is never loaded.
  ServerState s;
  TANDEM_RETURN_IF_ERROR(ReadHba(*c, s));
  if (!s.hba_errors.empty()) return s.hba_errors;
  TANDEM_RETURN_IF_ERROR(c->Exec("SELECT pg_reload_conf()"));
  return std::vector<std::string>{};
}

namespace {

// Sessions (other than this one) from within the CIDRs: counted, or ended.
absl::StatusOr<int64_t> SessionsFrom(const std::string& conninfo,
                                     const std::vector<std::string>& cidrs, bool terminate) {
  if (cidrs.empty()) return 0;
  TANDEM_ASSIGN_OR_RETURN(auto c, Connect(conninfo));
  TANDEM_ASSIGN_OR_RETURN(
      pg::Result r,
      c->Query(absl::StrCat("SELECT count(*)",
                            terminate ? " FILTER (WHERE pg_terminate_backend(pid))" : "",
                            "::int8 FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND "
                            "client_addr <<= ANY($1::inet[])"),
               {Param::Text(absl::StrCat("{", absl::StrJoin(cidrs, ","), "}"))}));
  return r.Int(0, 0);
}

}  // namespace

absl::StatusOr<int64_t> TerminateSessionsFrom(const std::string& conninfo,
                                              const std::vector<std::string>& cidrs) {
  return SessionsFrom(conninfo, cidrs, /*terminate=*/true);
}

absl::StatusOr<int64_t> CountSessionsFrom(const std::string& conninfo,
                                          const std::vector<std::string>& cidrs) {
  return SessionsFrom(conninfo, cidrs, /*terminate=*/false);
}

absl::StatusOr<std::string> WaitForStandby(const std::string& primary_conninfo,
                                           const std::string& application_name,
                                           absl::Duration timeout, bool synchronous) {
  TANDEM_ASSIGN_OR_RETURN(auto c, Connect(primary_conninfo));
  const absl::Time deadline = absl::Now() + timeout;
  std::string last_state = "not connected";
  while (true) {
    TANDEM_ASSIGN_OR_RETURN(
        pg::Result r, c->Query("SELECT COALESCE(state, ''), COALESCE(sync_state, '') FROM "
                               "pg_stat_replication WHERE lower(application_name) = lower($1)",
                               {Param::Text(application_name)}));
    if (r.rows() > 0) {
      last_state = Text(r, 0, 0);
      const std::string sync_state = Text(r, 0, 1);
      if (last_state == "streaming" &&
          (!synchronous || sync_state == "sync" || sync_state == "quorum")) {
        return sync_state;
      }
      if (last_state == "streaming") last_state = "streaming but " + sync_state;
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "standby '", application_name, "' is ", last_state, " on ", c->Describe(), " after ",
          absl::FormatDuration(timeout), "; look at the standby's server log"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

namespace {

// revision -> "committed_at_us:md5(data)" for the revisions in (from, to].
absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> HistoryDigests(Connection& c,
                                                                            int64_t from,
                                                                            int64_t to) {
  TANDEM_ASSIGN_OR_RETURN(
      pg::Result r,
      c.Query(
          "SELECT revision::text AS rev, committed_at_us::text || ':' || md5(data) FROM history "
          "WHERE revision > $1::int8 AND revision <= $2::int8 ORDER BY revision",
          {Param::Text(absl::StrCat(from)), Param::Text(absl::StrCat(to))}));
  std::vector<std::pair<int64_t, std::string>> out;
  for (int i = 0; i < r.rows(); ++i) {
    int64_t rev = 0;
    if (absl::SimpleAtoi(Text(r, i, 0), &rev)) out.push_back({rev, Text(r, i, 1)});
  }
  return out;
}

}  // namespace

absl::StatusOr<HistoryComparison> CompareHistories(const std::string& a_conninfo,
                                                   const std::string& b_conninfo, int64_t window) {
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Connection> a, Connect(a_conninfo));
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Connection> b, Connect(b_conninfo));
  ConfigDatabase da, db;
  TANDEM_RETURN_IF_ERROR(ReadConfigDatabase(*a, da));
  TANDEM_RETURN_IF_ERROR(ReadConfigDatabase(*b, db));
  if (!da.present || !db.present) {
    return absl::FailedPreconditionError(absl::StrCat("no Tandem Configuration Database behind ",
                                                      !da.present ? a_conninfo : b_conninfo));
  }
  if (da.history_id != db.history_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("the two Configuration Databases have different histories (", da.history_id,
                     " and ", db.history_id, "): they were not replicated from one another"));
  }
  HistoryComparison out;
  out.a_revision = da.revision;
  out.b_revision = db.revision;
  const int64_t top = std::min(da.revision, db.revision);
  const int64_t from = std::max<int64_t>(0, top - window);
  TANDEM_ASSIGN_OR_RETURN(auto ha, HistoryDigests(*a, from, top));
  TANDEM_ASSIGN_OR_RETURN(auto hb, HistoryDigests(*b, from, top));
  // Walk down from the top: the first revision both hold identically is the
  // fork (the hash chain makes everything below it equal too).
  out.common_revision = from;
  out.beyond_window = true;
  size_t i = ha.size(), j = hb.size();
  while (i > 0 && j > 0) {
    const auto& x = ha[i - 1];
    const auto& y = hb[j - 1];
    if (x.first > y.first) {
      --i;
    } else if (y.first > x.first) {
      --j;
    } else if (x.second == y.second) {
      out.common_revision = x.first;
      out.beyond_window = false;
      break;
    } else {
      --i;
      --j;
    }
  }
  if (ha.empty() && hb.empty() && top == from) out.beyond_window = false;  // both empty
  out.only_in_a = da.revision - out.common_revision;
  out.only_in_b = db.revision - out.common_revision;
  return out;
}

absl::Status CheckReachable(const std::string& conninfo) { return Connect(conninfo).status(); }

}  // namespace tandem::storage::pgadmin
