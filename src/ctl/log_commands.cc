// tandemctl logs: network log events from the Log Database, through a Log
// Message Server (`tandemd msgserver` with [logdb]): filters, --follow,
// -o json. The caller needs the read right on the Log Message Server pair's
// first Application.
#include <csignal>
#include <deque>
#include <functional>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/host_port.h"
#include "common/proto_time.h"
#include "common/tcp_probe.h"
#include "config/refs.h"
#include "ctl/commands.h"
#include "ctl/help.h"
#include "ctl/lookup.h"
#include "ctl/table_printer.h"
#include "grpcpp/client_context.h"
#include "net/channel.h"
#include "net/status_convert.h"
#include "nlohmann/json.hpp"
#include "tandem/client/log_client.h"
#include "tandem/config/client.h"
#include "tandem/msg/v1/log.grpc.pb.h"

namespace tandem::ctl {
namespace {

namespace mv1 = ::tandem::msg::v1;
using config::RefDbid;

struct LogsArgs {
  std::string from;
  std::string application;
  std::string host;
  std::string level;
  std::string since;
  std::string until;
  int64_t message_id = 0;
  std::string grep;
  int limit = 100;
  bool follow = false;
  bool audit = false;
};

volatile std::sig_atomic_t interrupted = 0;

//! "2026-12-01T10:00:00Z" (RFC 3339), or how long ago: "90s", "15m", "2h",
//! "7d".
absl::StatusOr<absl::Time> ParseWhen(const std::string& flag, const std::string& text) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &err)) return t;
  absl::Duration ago;
  if (!text.empty() && text.back() == 'd') {
    int64_t days = 0;
    if (absl::SimpleAtoi(text.substr(0, text.size() - 1), &days) && days >= 0) {
      return absl::Now() - absl::Hours(24 * days);
    }
  } else if (absl::ParseDuration(text, &ago) && ago >= absl::ZeroDuration()) {
    return absl::Now() - ago;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(flag, " '", text.substr(0, 60),
                   "' is neither a time (2026-12-01T10:00:00Z) nor an age (90s, 15m, 2h, 7d)"));
}

const char* LevelText(mv1::LogLevel l) {
  switch (l) {
    case mv1::ALARM:
      return "alarm";
    case mv1::STANDARD:
      return "standard";
    case mv1::INTERACTION:
      return "interaction";
    case mv1::TRACE:
      return "trace";
    default:
      return "?";
  }
}

nlohmann::json ToJson(const mv1::LogEvent& e) {
  return {{"seq", e.seq()},
          {"event_id", e.event_id()},
          {"at", absl::FormatTime(absl::RFC3339_full, FromProtoTime(e.at()), absl::UTCTimeZone())},
          {"application", e.application()},
          {"host", e.host()},
          {"level", LevelText(e.level())},
          {"message_id", e.message_id()},
          {"text", e.text()}};
}

//! The Log Message Server pair `--from` names, called with failover: a
//! refusal that another server cannot mend returns at once.
class LogServers {
 public:
  using Call = std::function<grpc::Status(mv1::LogService::Stub&, grpc::ClientContext&)>;

  static absl::StatusOr<LogServers> Connect(CommandContext& ctx, const std::string& from) {
    absl::StatusOr<std::vector<NamedAddress>> pair = MessageServerPair(
        ctx, from, "the Log Message Server (a MessageServer Application with [logdb])",
        "read logs from");
    if (!pair.ok()) return pair.status();
    std::vector<std::string> servers;
    for (const NamedAddress& s : *pair) servers.push_back(s.address);
    absl::StatusOr<TlsFiles> tls = ClientTls(ctx.options());
    if (!tls.ok()) return tls.status();
    LogServers out;
    net::ChannelOptions co;
    co.tls = *tls;
    for (const std::string& s : servers) {
      out.stubs_.push_back(mv1::LogService::NewStub(net::MakeChannel(s, co)));
    }
    out.servers_ = servers;
    out.token_ = SessionToken();
    out.claimed_ = absl::StrCat(ctx.options().app, " (", ctx.options().os_user, "@",
                                ctx.options().os_host, ")");
    out.timeout_ = absl::Seconds(ctx.options().timeout_s);
    return out;
  }

  //! `call` at the server that answered last, then the other.
  absl::Status Run(const Call& call) {
    std::vector<std::string> failures;
    for (size_t k = 0; k < stubs_.size(); ++k) {
      const size_t i = (preferred_ + k) % stubs_.size();
      // A server whose host is down costs 0.5 s, not the whole timeout,
      // before its partner is asked (the last one is asked anyway: its
      // error is the one to show).
      if (k + 1 < stubs_.size() && !Answers(i)) {
        failures.push_back(absl::StrCat(servers_[i], ": does not accept connections"));
        continue;
      }
      grpc::ClientContext ctx;
      net::AddCallerMetadata(ctx, token_, claimed_);
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
      grpc::Status st = call(*stubs_[i], ctx);
      if (st.ok()) {
        preferred_ = i;
        return absl::OkStatus();
      }
      const grpc::StatusCode c = st.error_code();
      if (c == grpc::StatusCode::PERMISSION_DENIED || c == grpc::StatusCode::UNAUTHENTICATED ||
          c == grpc::StatusCode::INVALID_ARGUMENT || c == grpc::StatusCode::NOT_FOUND) {
        return net::FromGrpc(st);
      }
      if (c == grpc::StatusCode::UNIMPLEMENTED) {
        failures.push_back(
            absl::StrCat(servers_[i], ": a Message Server without a Log Database ([logdb])"));
      } else {
        failures.push_back(absl::StrCat(servers_[i], ": ", st.error_message()));
      }
    }
    return absl::UnavailableError(
        absl::StrCat("no Log Message Server answered (", absl::StrJoin(failures, "; "), ")"));
  }

 private:
  bool Answers(size_t i) {
    if (answers_.empty()) answers_.assign(servers_.size(), -1);
    if (answers_[i] < 0) answers_[i] = AddressAnswers(servers_[i], absl::Milliseconds(500)) ? 1 : 0;
    return answers_[i] == 1;
  }

  std::vector<std::string> servers_;
  std::vector<int> answers_;  // per server: -1 not probed, 0 no, 1 yes
  std::vector<std::unique_ptr<mv1::LogService::Stub>> stubs_;
  std::string token_;
  std::string claimed_;
  absl::Duration timeout_;
  size_t preferred_ = 0;
};

absl::StatusOr<mv1::LogLevel> LevelFlag(const std::string& text) {
  const std::string l = absl::AsciiStrToLower(text);
  if (l == "alarm") return mv1::ALARM;
  if (l == "standard") return mv1::STANDARD;
  if (l == "interaction") return mv1::INTERACTION;
  if (l == "trace") return mv1::TRACE;
  return absl::InvalidArgumentError(
      absl::StrCat("--level '", text.substr(0, 40),
                   "' is none of alarm, standard, interaction, trace (debug stays in each "
                   "application's own log)"));
}

absl::Status RunLogs(CommandContext& ctx, LogsArgs args) {
  mv1::LogQueryRequest q;
  q.set_application(args.application);
  q.set_host(args.host);
  q.set_message_id(args.message_id);
  q.set_text(args.grep);
  if (args.audit) {
    q.set_min_message_id(client::framework_message::kAuditFirst);
    q.set_max_message_id(client::framework_message::kAuditLast);
  }
  if (!args.level.empty()) {
    absl::StatusOr<mv1::LogLevel> l = LevelFlag(args.level);
    if (!l.ok()) return l.status();
    q.set_max_level(*l);
  }
  if (!args.since.empty()) {
    absl::StatusOr<absl::Time> t = ParseWhen("--since", args.since);
    if (!t.ok()) return t.status();
    *q.mutable_from() = ToProtoTime(*t);
  }
  if (!args.until.empty()) {
    absl::StatusOr<absl::Time> t = ParseWhen("--until", args.until);
    if (!t.ok()) return t.status();
    *q.mutable_to() = ToProtoTime(*t);
  }
  absl::StatusOr<LogServers> servers = LogServers::Connect(ctx, args.from);
  if (!servers.ok()) return servers.status();
  // One page from whichever server answers.
  auto page = [&](mv1::LogQueryResponse* out) -> absl::Status {
    return servers->Run([&](mv1::LogService::Stub& stub, grpc::ClientContext& call) {
      out->Clear();
      return stub.Query(&call, q, out);
    });
  };
  const bool json = ctx.options().output == OutputFormat::kJson;
  // The text is the last column and what one reads: never cut.
  TablePrinter table({"TIME", "LEVEL", "APPLICATION", "HOST", "MSGID", "TEXT"}, 64 * 1024);
  auto row = [](const mv1::LogEvent& e) -> std::vector<std::string> {
    return {absl::FormatTime("%Y-%m-%d %H:%M:%E3S", FromProtoTime(e.at()), absl::LocalTimeZone()),
            LevelText(e.level()),
            e.application(),
            e.host(),
            e.message_id() == 0 ? "" : std::to_string(e.message_id()),
            e.text()};
  };
  if (!args.follow) {
    // The newest `limit` events matching, oldest first: pages until the end.
    std::deque<mv1::LogEvent> kept;
    while (true) {
      mv1::LogQueryResponse r;
      q.set_limit(10'000);
      if (absl::Status st = page(&r); !st.ok()) return st;
      for (const mv1::LogEvent& e : r.events()) {
        kept.push_back(e);
        if (static_cast<int>(kept.size()) > args.limit) kept.pop_front();
      }
      if (r.events_size() == 0 || !r.more()) break;
      q.set_after_seq(r.events(r.events_size() - 1).seq());
    }
    if (json) {
      nlohmann::json j = nlohmann::json::array();
      for (const mv1::LogEvent& e : kept) j.push_back(ToJson(e));
      ctx.out() << j.dump(2) << "\n";
    } else {
      for (const mv1::LogEvent& e : kept) table.AddRow(row(e));
      table.Print(ctx.out());
    }
    return absl::OkStatus();
  }
  // --follow: the last `limit` events, then new ones as they are stored,
  // one line (one JSON object with -o json) each, until interrupted.
  interrupted = 0;
  std::signal(SIGINT, [](int) { interrupted = 1; });
  std::signal(SIGTERM, [](int) { interrupted = 1; });
  bool first = true;
  absl::Status last = absl::OkStatus();
  while (interrupted == 0) {
    mv1::LogQueryResponse r;
    q.set_limit(10'000);
    absl::Status st = page(&r);
    if (!st.ok()) {
      if (st.code() != absl::StatusCode::kUnavailable) return st;
      if (st.message() != last.message())
        ctx.err() << "tandemctl: " << st.message() << "; still trying\n";
      last = st;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    last = absl::OkStatus();
    int from = 0;
    if (first && !r.more()) from = std::max(0, r.events_size() - args.limit);
    for (int i = from; i < r.events_size(); ++i) {
      const mv1::LogEvent& e = r.events(i);
      if (json) {
        ctx.out() << ToJson(e).dump() << "\n";
      } else {
        ctx.out() << absl::StrJoin(row(e), "  ") << "\n";
      }
    }
    ctx.out().flush();
    if (r.events_size() > 0) q.set_after_seq(r.events(r.events_size() - 1).seq());
    if (r.more()) continue;  // catching up
    first = false;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return absl::OkStatus();
}

std::string When(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", FromProtoTime(t), absl::LocalTimeZone());
}

nlohmann::json ToJson(const mv1::Alarm& a) {
  nlohmann::json j = {
      {"id", a.id()},
      {"condition", a.condition()},
      {"category", a.category()},
      {"application", a.application()},
      {"host", a.host()},
      {"text", a.text()},
      {"event_id", a.event_id()},
      {"raised_at",
       absl::FormatTime(absl::RFC3339_full, FromProtoTime(a.raised_at()), absl::UTCTimeZone())},
      {"last_seen",
       absl::FormatTime(absl::RFC3339_full, FromProtoTime(a.last_seen()), absl::UTCTimeZone())},
      {"active", a.active()}};
  if (!a.active()) {
    j["cleared_at"] =
        absl::FormatTime(absl::RFC3339_full, FromProtoTime(a.cleared_at()), absl::UTCTimeZone());
    j["cleared_by"] = a.cleared_by();
  }
  return j;
}

struct AlarmsArgs {
  std::string from;
  bool all = false;
  int limit = 1000;
  int64_t clear_id = 0;
};

absl::Status RunAlarms(CommandContext& ctx, const AlarmsArgs& args) {
  absl::StatusOr<LogServers> servers = LogServers::Connect(ctx, args.from);
  if (!servers.ok()) return servers.status();
  mv1::ListAlarmsRequest req;
  req.set_all(args.all);
  req.set_limit(args.limit);
  mv1::ListAlarmsResponse resp;
  absl::Status st = servers->Run([&](mv1::LogService::Stub& stub, grpc::ClientContext& call) {
    resp.Clear();
    return stub.ListAlarms(&call, req, &resp);
  });
  if (!st.ok()) return st;
  if (ctx.options().output == OutputFormat::kJson) {
    nlohmann::json j = nlohmann::json::array();
    for (const mv1::Alarm& a : resp.alarms()) j.push_back(ToJson(a));
    ctx.out() << j.dump(2) << "\n";
    return absl::OkStatus();
  }
  if (resp.alarms_size() == 0) {
    ctx.out() << (args.all ? "no alarms\n" : "no active alarms\n");
    return absl::OkStatus();
  }
  std::vector<std::string> columns = {"ID",   "CATEGORY", "CONDITION", "APPLICATION",
                                      "HOST", "RAISED",   "TEXT"};
  if (args.all) columns.insert(columns.begin() + 6, "CLEARED");
  TablePrinter t(columns, 64 * 1024);
  for (const mv1::Alarm& a : resp.alarms()) {
    std::vector<std::string> row = {
        std::to_string(a.id()), a.category(), a.condition(), a.application(), a.host(),
        When(a.raised_at()),    a.text()};
    if (args.all) {
      row.insert(row.begin() + 6,
                 a.active() ? "active" : When(a.cleared_at()) + " (" + a.cleared_by() + ")");
    }
    t.AddRow(row);
  }
  t.Print(ctx.out());
  return absl::OkStatus();
}

absl::Status RunClearAlarm(CommandContext& ctx, const AlarmsArgs& args) {
  absl::StatusOr<LogServers> servers = LogServers::Connect(ctx, args.from);
  if (!servers.ok()) return servers.status();
  mv1::ClearAlarmRequest req;
  req.set_id(args.clear_id);
  mv1::ClearAlarmResponse resp;
  absl::Status st = servers->Run([&](mv1::LogService::Stub& stub, grpc::ClientContext& call) {
    return stub.ClearAlarm(&call, req, &resp);
  });
  if (!st.ok()) return st;
  if (ctx.options().output == OutputFormat::kJson) {
    ctx.out() << nlohmann::json({{"action", "cleared"}, {"id", args.clear_id}}).dump(2) << "\n";
  } else {
    ctx.out() << "cleared alarm " << args.clear_id << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

void AddLogCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto args = std::make_shared<LogsArgs>();
  CLI::App* logs = app.add_subcommand(
      "logs", "Network log events from the Log Database (through a Log Message Server)");
  logs->add_option("--from", args->from,
                   "the Log Message Server (NAME|DBID of its Application; its partner is "
                   "tried too)")
      ->type_name("NAME");
  logs->add_option("--app", args->application, "events of this Application only")
      ->type_name("NAME");
  logs->add_option("--host", args->host, "events from this host only")->type_name("NAME");
  logs->add_option("--level", args->level,
                   "this level and the more severe: alarm, standard, interaction, trace")
      ->type_name("LEVEL");
  logs->add_option("--since", args->since,
                   "from this time (2026-12-01T10:00:00Z) or age (90s, 15m, 2h, 7d)")
      ->type_name("WHEN");
  logs->add_option("--until", args->until, "up to this time or age")->type_name("WHEN");
  logs->add_option("--message-id", args->message_id, "events with this message id")->type_name("N");
  logs->add_option("--grep", args->grep, "events whose text holds this")->type_name("TEXT");
  logs->add_option("--limit", args->limit, "the newest N events (with --follow: to start with)")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  logs->add_flag("--audit", args->audit,
                 "the audit trail only: configuration changes and refused calls (from the "
                 "masters' [audit] log_servers), control actions (from the SCSs' log_servers)");
  logs->add_flag("--follow,-f", args->follow,
                 "then print new events as they are stored, until interrupted (Ctrl-C)");
  logs->footer(
      "Needs the read right on the Log Message Server pair's first Application.\n"
      "Examples:\n"
      "  tandemctl logs --from lms-r1 --level alarm --since 1h\n"
      "  tandemctl logs --from lms-r1 --app billing --grep timeout -f\n"
      "  tandemctl logs --from lms-r1 --audit --since 1d\n"
      "  tandemctl -o json logs --from lms-r1 --message-id 4101 --limit 10");
  logs->callback([&ctx, action, args] { *action = [&ctx, args] { return RunLogs(ctx, *args); }; });

  auto alarm_args = std::make_shared<AlarmsArgs>();
  CLI::App* alarms = app.add_subcommand(
      "alarms", "Active alarms (raised from the log stream by AlarmConditions), and clear");
  alarms
      ->add_option("--from", alarm_args->from,
                   "the Log Message Server (NAME|DBID of its Application; its partner is "
                   "tried too)")
      ->type_name("NAME");
  alarms->add_flag("--all", alarm_args->all, "the cleared ones too (history), newest first");
  alarms->add_option("--limit", alarm_args->limit, "at most N")
      ->check(CLI::Range(1, 100'000))
      ->capture_default_str();
  alarms->footer(
      "An AlarmCondition's detect_log_event_id raises an alarm for the application and host\n"
      "that logged it; its cancel_log_event_id from them, cancel_timeout_s without a new\n"
      "detection, or `alarms clear` clears it. Needs the read right on the Log Message\n"
      "Server pair's first Application (clear: execute).\n"
      "Examples:\n  tandemctl alarms --from lms-r1\n  tandemctl alarms --from lms-r1 --all -o "
      "json\n"
      "  tandemctl alarms clear 17 --from lms-r1");
  alarms->callback([&ctx, action, alarm_args, alarms] {
    if (alarms->get_subcommands().empty()) {
      *action = [&ctx, alarm_args] { return RunAlarms(ctx, *alarm_args); };
    }
  });
  CLI::App* clear = alarms->add_subcommand("clear", "Clear an active alarm by its id");
  clear->add_option("ID", alarm_args->clear_id, "the alarm's id (tandemctl alarms)")
      ->required()
      ->check(CLI::PositiveNumber);
  clear->add_option("--from", alarm_args->from, "the Log Message Server")->type_name("NAME");
  clear->callback([&ctx, action, alarm_args] {
    *action = [&ctx, alarm_args] { return RunClearAlarm(ctx, *alarm_args); };
  });
}

}  // namespace tandem::ctl
