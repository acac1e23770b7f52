// watch and history: committed changes, live or from the history.
#include <algorithm>
#include <csignal>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "config/object_types.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/object_printer.h"

namespace tandem::ctl {
namespace {

//! Set by SIGINT/SIGTERM while watching: ends the watch with exit code 0.
std::atomic<bool> g_stop_watch = false;
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void OnStopSignal(int) { g_stop_watch.store(true); }

constexpr absl::Duration kMinBackoff = absl::Milliseconds(500);
constexpr absl::Duration kMaxBackoff = absl::Seconds(10);
constexpr int64_t kHistoryPage = 1000;

struct WatchArgs {
  std::string type;
  int64_t from = 0;
  std::vector<int64_t> dbids;
};

struct HistoryArgs {
  int64_t since = 0;
  bool since_given = false;  // else the last kRecent changes
  int64_t limit = 0;
};

//! What `history` shows without --since.
constexpr int64_t kRecent = 20;

//! Errors that reconnecting cannot fix.
bool IsPermanent(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnimplemented:
      return true;
    default:
      return false;
  }
}

std::string Reason(const absl::Status& status) {
  if (status.ok()) return "the server closed it";
  return ShortReason(status);
}

//! Sleeps up to `d`, waking early when a stop was requested.
void SleepUnlessStopped(absl::Duration d) {
  absl::Time until = absl::Now() + d;
  while (!g_stop_watch.load() && absl::Now() < until) {
    absl::SleepFor(std::min(absl::Milliseconds(50), until - absl::Now()));
  }
}

absl::Status RunWatch(CommandContext& ctx, const WatchArgs& args) {
  v1::WatchRequest request;
  if (!args.type.empty()) {
    TANDEM_ASSIGN_OR_RETURN(v1::ObjectType type, ParseTypeArg(args.type));
    request.add_types(type);
  }
  if (args.from < 0) return UsageError("--since must not be negative");
  for (int64_t dbid : args.dbids) request.add_dbids(dbid);
  TANDEM_ASSIGN_OR_RETURN(config::ConfigClient * client, ctx.Client());

  // "Only new changes" is pinned to the current revision, so that a
  // reconnect before the first message resumes without a gap.
  auto info = client->GetServerInfo();
  if (!info.ok()) return ctx.Describe(info.status(), "read server info");
  std::string history_id = info->history_id();
  int64_t from = args.from != 0 ? args.from : info->revision();

  g_stop_watch = false;
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  absl::Duration backoff = kMinBackoff;
  // `client` is null while no server could be reached; the loop keeps
  // trying, with backoff, until one answers or the operator stops it.
  while (!g_stop_watch.load()) {
    if (client != nullptr) {
      request.set_from_revision(from);
      bool received = false;
      absl::Status status = client->Watch(
          request,
          [&](const v1::WatchResponse& response) {
            received = true;
            for (const auto& change : response.changes()) {
              ctx.out() << FormatChange(change, ctx.options().output) << "\n";
              from = std::max(from, change.revision());
            }
            ctx.out().flush();
            // A heartbeat says every change up to its revision was delivered.
            if (response.changes().empty()) from = std::max(from, response.revision());
          },
          g_stop_watch);
      if (g_stop_watch.load()) break;
      if (IsPermanent(status)) {
        return ctx.Describe(status, absl::StrCat("watch from revision ", from));
      }
      if (received) backoff = kMinBackoff;
      ctx.err() << "tandemctl: watch stream broken (" << Reason(status)
                << "); reconnecting from revision " << from << " in "
                << absl::FormatDuration(backoff) << "\n";
    }
    SleepUnlessStopped(backoff);
    if (g_stop_watch.load()) break;
    backoff = std::min(backoff * 2, kMaxBackoff);
    // A fresh channel: gRPC's own reconnect backoff can lag far behind a
    // restarted server, which may also have forgotten the session.
    auto registered = ctx.Reconnect();
    if (!registered.ok()) {
      client = nullptr;
      ctx.err() << "tandemctl: cannot reach " << ctx.options().server << " ("
                << ShortReason(registered.status()) << "); retrying from revision " << from
                << " in " << absl::FormatDuration(backoff) << "\n";
      continue;
    }
    client = ctx.CurrentClient();
    if (!registered->server().history_id().empty() &&
        registered->server().history_id() != history_id) {
      ctx.err() << "tandemctl: warning: the server's history changed (history id "
                << registered->server().history_id() << ", was " << history_id
                << "); it is a different database, revisions may not line up\n";
      history_id = registered->server().history_id();
    }
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  return absl::OkStatus();
}

absl::Status RunHistory(CommandContext& ctx, const HistoryArgs& args) {
  if (args.since < 0) return UsageError("--since must not be negative");
  if (args.limit < 0) return UsageError("--limit must not be negative");
  TANDEM_ASSIGN_OR_RETURN(config::ConfigClient * client, ctx.Client());
  int64_t since = args.since;
  if (!args.since_given) {
    auto info = client->GetServerInfo();
    if (!info.ok()) return ctx.Describe(info.status(), "read server info");
    since = std::max<int64_t>({0, info->revision() - kRecent, info->oldest_revision() - 1});
  }
  int64_t printed = 0;
  while (args.limit == 0 || printed < args.limit) {
    v1::HistoryRequest request;
    request.set_since_revision(since);
    int64_t page = kHistoryPage;
    if (args.limit > 0) page = std::min(page, args.limit - printed);
    request.set_limit(page);
    auto response = client->History(request);
    if (!response.ok()) {
      return ctx.Describe(response.status(), absl::StrCat("read history since revision ", since));
    }
    for (const auto& change : response->changes()) {
      if (args.limit > 0 && printed >= args.limit) break;
      ctx.out() << FormatChange(change, ctx.options().output) << "\n";
      since = std::max(since, change.revision());
      ++printed;
    }
    if (!response->more()) break;
    if (response->changes().empty()) {
      return absl::InternalError(absl::StrCat("the server says more history follows revision ",
                                              since, " but sent none; report this server bug"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

void AddChangeCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto watch_args = std::make_shared<WatchArgs>();
  CLI::App* watch = app.add_subcommand(
      "watch", "Print each committed change as it happens, one line each, until Ctrl-C");
  watch->add_option("TYPE", watch_args->type, "only changes of this type");
  watch->add_option("--since,--from", watch_args->from,
                    "first replay the changes after this revision (0 = only new changes)");
  watch->add_option("--dbid", watch_args->dbids, "only changes of this DBID (repeatable)");
  watch->footer(
      "Reconnects by itself when the server goes away, resuming after the last revision it\n"
      "printed: no change is skipped or printed twice.\n"
      "Examples:\n  tandemctl watch\n  tandemctl watch app --since 120 -o json\n"
      "  tandemctl watch host --dbid 3");
  watch->callback([&ctx, action, watch_args] {
    *action = [&ctx, watch_args] { return RunWatch(ctx, *watch_args); };
  });

  auto history_args = std::make_shared<HistoryArgs>();
  CLI::App* history = app.add_subcommand("history", "Print committed changes from the history");
  CLI::Option* since = history->add_option("--since,--from", history_args->since,
                                           "changes after this revision (default: the last 20)");
  history->add_option("--limit", history_args->limit, "at most N changes (0 = all)");
  history->footer(
      "Examples:\n  tandemctl history                     (the last 20 changes)\n"
      "  tandemctl history --since 0 --limit 50\n  tandemctl history --since 120 -o json");
  history->callback([&ctx, action, history_args, since] {
    history_args->since_given = since->count() > 0;
    *action = [&ctx, history_args] { return RunHistory(ctx, *history_args); };
  });
}

}  // namespace tandem::ctl
