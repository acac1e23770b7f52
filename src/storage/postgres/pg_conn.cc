#include "storage/postgres/pg_conn.h"

#include <endian.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/logging.h"
#include "common/tcp_probe.h"
#include "spdlog/spdlog.h"

namespace tandem::storage::pg {
namespace {

// Parameter arrays for libpq, kept alive for the call.
struct ParamArrays {
  explicit ParamArrays(const std::vector<Param>& params) {
    for (const Param& p : params) {
      values.push_back(p.value.data());
      lengths.push_back(static_cast<int>(p.value.size()));
      formats.push_back(p.binary ? 1 : 0);
    }
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
};

absl::StatusCode CodeFor(const char* sqlstate) {
  if (sqlstate == nullptr) return absl::StatusCode::kUnavailable;
  std::string s(sqlstate);
  if (s.rfind("08", 0) == 0 || s == "57P01" || s == "57P02" || s == "57P03") {
    return absl::StatusCode::kUnavailable;  // connection trouble, shutdown
  }
  if (s == "25006") return absl::StatusCode::kFailedPrecondition;  // read-only transaction
  if (s == "TD001" || s == "TD002") {
    return absl::StatusCode::kFailedPrecondition;  // our revision and lease guards
  }
  if (s == "23505") return absl::StatusCode::kAlreadyExists;
  if (s == "53100") return absl::StatusCode::kResourceExhausted;  // disk full
  return absl::StatusCode::kInternal;
}

// Server notices go to the log instead of stderr: warnings (e.g. "canceling
// wait for synchronous replication") at warn, the rest at debug.
void LogNotice(void*, const PGresult* r) {
  std::string msg = absl::StrReplaceAll(absl::StripTrailingAsciiWhitespace(PQresultErrorMessage(r)),
                                        {{"\n", "; "}});
  const char* severity = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity != nullptr && std::string(severity) == "WARNING") {
    spdlog::warn("PostgreSQL: {}", msg);
  } else {
    spdlog::debug("PostgreSQL: {}", msg);
  }
}

}  // namespace

int64_t Result::Int(int row, int col) const {
  const char* p = PQgetvalue(r_, row, col);
  int len = PQgetlength(r_, row, col);
  if (len == 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return static_cast<int64_t>(be64toh(v));
  }
  if (len == 4) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return static_cast<int32_t>(be32toh(v));
  }
  return 0;
}

std::map<std::string, std::string> ConninfoValues(const std::string& conninfo) {
  std::map<std::string, std::string> values;
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    return values;
  }
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) values[o->keyword] = o->val;
  }
  PQconninfoFree(options);
  return values;
}

namespace {

// libpq tries the hosts of a list in order, and each one that is down costs
// the whole connect_timeout (2 s at least). When the first host does not
// accept a TCP connection within 300 ms, the hosts that do not are moved to
// the end, so that after a DBMS failover the live one is tried first;
// target_session_attrs still decides which one is taken. Returns the "host"
// and "port" values to use instead, or nothing to change (one host, a
// hostaddr, the first host up, or all down).
std::optional<std::pair<std::string, std::string>> LiveHostsFirst(const std::string& conninfo) {
  std::map<std::string, std::string> values = ConninfoValues(conninfo);
  const std::string host = values["host"], port = values["port"];
  if (!values["hostaddr"].empty() || host.find(',') == std::string::npos) return std::nullopt;
  const std::vector<std::string> hosts = absl::StrSplit(host, ',');
  std::vector<std::string> ports = absl::StrSplit(port, ',');
  if (port.empty()) ports = {"5432"};
  if (ports.size() == 1) ports.resize(hosts.size(), ports[0]);
  if (ports.size() != hosts.size()) return std::nullopt;  // libpq will say what is wrong
  std::vector<std::pair<std::string, std::string>> probe;
  std::vector<size_t> probed;
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (hosts[i].empty() || hosts[i][0] == '/' || hosts[i][0] == '@') continue;  // sockets
    probe.push_back({hosts[i], ports[i].empty() ? "5432" : ports[i]});
    probed.push_back(i);
  }
  // The usual case costs one quick connect: the first host answers, and
  // libpq tries it first anyway.
  if (probed.empty() || probed[0] != 0 ||
      TcpAnswers(probe[0].first, probe[0].second, absl::Milliseconds(300))) {
    return std::nullopt;
  }
  // The first is down; the others, at once.
  const std::vector<bool> answers =
      TcpAnswerAll(std::vector<std::pair<std::string, std::string>>(probe.begin() + 1, probe.end()),
                   absl::Milliseconds(300));
  std::vector<bool> up(hosts.size(), true);
  up[0] = false;
  for (size_t k = 1; k < probed.size(); ++k) up[probed[k]] = answers[k - 1];
  if (std::all_of(up.begin(), up.end(), [](bool b) { return b; }) ||
      std::none_of(up.begin(), up.end(), [](bool b) { return b; })) {
    return std::nullopt;
  }
  std::vector<std::string> h, p;
  for (bool want : {true, false}) {
    for (size_t i = 0; i < hosts.size(); ++i) {
      if (up[i] != want) continue;
      h.push_back(hosts[i]);
      p.push_back(ports[i]);
    }
  }
  return std::make_pair(absl::StrJoin(h, ","), absl::StrJoin(p, ","));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& conninfo) {
  // Defaults first: the operator's conninfo (expanded from "dbname") overrides.
  // idle_in_transaction_session_timeout: a client that stalls inside a
  // transaction (a hung or cut-off primary) must not hold its row locks —
  // the master lease's among them — for longer than a few seconds.
  // After dbname, "host" and "port" override the conninfo's (live hosts first).
  const std::optional<std::pair<std::string, std::string>> reordered = LiveHostsFirst(conninfo);
  const char* keys[] = {"connect_timeout",
                        "keepalives",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "tcp_user_timeout",
                        "application_name",
                        "options",
                        "dbname",
                        reordered ? "host" : nullptr,
                        "port",
                        nullptr};
  const char* values[] = {"5",
                          "1",
                          "5",
                          "2",
                          "3",
                          "10000",
                          "tandemd",
                          "-c idle_in_transaction_session_timeout=5000",
                          conninfo.c_str(),
                          reordered ? reordered->first.c_str() : nullptr,
                          reordered ? reordered->second.c_str() : nullptr,
                          nullptr};
  PGconn* c = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (c == nullptr) return absl::ResourceExhaustedError("libpq could not allocate a connection");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(c);
    return absl::UnavailableError(
        absl::StrCat("cannot connect to PostgreSQL (", msg,
                     "); check [storage] conninfo, that the DBMS runs, and that it accepts "
                     "this host"));
  }
  PQsetNoticeReceiver(c, LogNotice, nullptr);
  return std::unique_ptr<Connection>(new Connection(c));
}

std::string Connection::Describe() const {
  return absl::StrCat(PQhost(conn_) ? PQhost(conn_) : "?", ":", PQport(conn_) ? PQport(conn_) : "?",
                      "/", PQdb(conn_) ? PQdb(conn_) : "?");
}

absl::Status Connection::Error(absl::string_view what, const PGresult* r) const {
  std::string msg = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  if (PQstatus(conn_) != CONNECTION_OK) state = "08000";
  return absl::Status(CodeFor(state), absl::StrCat(what, ": ", msg, " (", Describe(), ")"));
}

absl::Status Connection::Exec(const std::string& sql) { return Query(sql).status(); }

void Connection::RollbackIfOpen() {
  if (PQtransactionStatus(conn_) == PQTRANS_INTRANS ||
      PQtransactionStatus(conn_) == PQTRANS_INERROR) {
    (void)Exec("ROLLBACK");
  }
}

absl::Status Connection::ExecScript(const std::string& sql) {
  PGresult* r = PQexec(conn_, sql.c_str());
  ExecStatusType st = PQresultStatus(r);
  absl::Status status = (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
                            ? absl::OkStatus()
                            : Error("SQL script failed", r);
  PQclear(r);
  return status;
}

absl::StatusOr<Result> Connection::Query(const std::string& sql, const std::vector<Param>& params) {
  ParamArrays a(params);
  PGresult* r = PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                             a.values.data(), a.lengths.data(), a.formats.data(), /*binary=*/1);
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    absl::Status err = Error(absl::StrCat("SQL failed [", sql.substr(0, 60), "]"), r);
    PQclear(r);
    return err;
  }
  return Result(r);
}

absl::Status Connection::Pipeline(const Statements& statements) {
  return PipelineUntil(statements, absl::InfiniteFuture()).status;
}

PipelineResult Connection::PipelineUntil(const Statements& statements, absl::Time deadline) {
  PipelineResult out;
  if (PQenterPipelineMode(conn_) != 1) {
    out.status = Error("cannot enter pipeline mode");
    return out;
  }
  absl::Status& first = out.status;
  std::vector<ParamArrays> keep;
  keep.reserve(statements.size());
  for (const auto& [sql, params] : statements) {
    keep.emplace_back(params);
    const ParamArrays& a = keep.back();
    if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                          a.values.data(), a.lengths.data(), a.formats.data(), 1) != 1) {
      first = Error("cannot send statement");
      break;
    }
  }
  if (PQpipelineSync(conn_) != 1 && first.ok()) first = Error("cannot sync pipeline");
  // Read every result up to the sync point, waiting for input only until the
  // deadline (then cancelling, and repeating the cancel while it goes unheard).
  absl::Time next_cancel = deadline;
  while (true) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      if (first.ok()) first = Error("connection lost");
      break;
    }
    if (PQisBusy(conn_)) {
      absl::StatusOr<bool> readable = WaitReadable(next_cancel);
      if (!readable.ok()) {
        if (first.ok()) first = readable.status();
        break;
      }
      if (!*readable) {
        out.cancelled = true;
        (void)Cancel();
        next_cancel = absl::Now() + absl::Seconds(1);
        continue;
      }
      if (PQconsumeInput(conn_) != 1) {
        if (first.ok()) first = Error("connection lost");
        break;
      }
      continue;
    }
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) continue;  // end of one statement's results
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      break;
    }
    if (st == PGRES_TUPLES_OK) {
      out.rows.push_back(PQntuples(r));
    } else if (st == PGRES_COMMAND_OK) {
      out.rows.push_back(std::atoll(PQcmdTuples(r)));
    } else if (first.ok()) {
      first = Error("pipelined statement failed", r);
    }
    PQclear(r);
  }
  PQexitPipelineMode(conn_);
  return out;
}

absl::StatusOr<bool> Connection::WaitReadable(absl::Time until) const {
  pollfd pfd{.fd = PQsocket(conn_), .events = POLLIN, .revents = 0};
  while (true) {
    int timeout_ms = -1;
    if (until != absl::InfiniteFuture()) {
      timeout_ms = static_cast<int>(std::max<int64_t>(
          0, absl::ToInt64Milliseconds(absl::Ceil(until - absl::Now(), absl::Milliseconds(1)))));
    }
    int n = poll(&pfd, 1, timeout_ms);
    if (n > 0) return true;  // readable, hung up or failed: PQconsumeInput tells
    if (n == 0) return false;
    if (errno != EINTR) {
      return absl::UnavailableError(absl::StrCat(
          "waiting for PostgreSQL failed: ", std::strerror(errno), " (", Describe(), ")"));
    }
  }
}

bool Connection::Cancel() const {
  PGcancel* cancel = PQgetCancel(conn_);
  if (cancel == nullptr) return false;
  char err[256];
  const bool sent = PQcancel(cancel, err, sizeof err) == 1;
  PQfreeCancel(cancel);
  return sent;
}

}  // namespace tandem::storage::pg
