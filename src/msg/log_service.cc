#include "msg/log_service.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
#include "net/status_convert.h"
#include "spdlog/spdlog.h"

namespace tandem::msg {
namespace {

constexpr size_t kMaxReplyBytes = 4 << 20;
constexpr char kApplicationPrefix[] = "application ";
// How the master names a caller while authentication is off.
constexpr char kClaimedSuffix[] = " (claimed)";

}  // namespace

logdb::LogEvent FromWire(const mv1::LogEvent& e) {
  logdb::LogEvent out;
  out.event_id = e.event_id();
  out.at = e.has_at() ? FromProtoTime(e.at()) : absl::UnixEpoch();
  out.application = e.application();
  out.host = e.host();
  out.level = static_cast<logdb::Level>(e.level());
  out.message_id = e.message_id();
  out.text = e.text();
  return out;
}

void ToWire(const logdb::StoredEvent& s, mv1::LogEvent* out) {
  out->set_seq(s.seq);
  out->set_event_id(s.event.event_id);
  *out->mutable_at() = ToProtoTime(s.event.at);
  out->set_application(s.event.application);
  out->set_host(s.event.host);
  out->set_level(static_cast<mv1::LogLevel>(s.event.level));
  out->set_message_id(s.event.message_id);
  out->set_text(s.event.text);
}

void ToWire(const logdb::Alarm& a, mv1::Alarm* out) {
  out->set_id(a.id);
  out->set_condition(a.condition);
  out->set_category(a.category);
  out->set_application(a.application);
  out->set_host(a.host);
  out->set_text(a.text);
  out->set_event_id(a.event_id);
  *out->mutable_raised_at() = ToProtoTime(a.raised_at);
  *out->mutable_last_seen() = ToProtoTime(a.last_seen);
  out->set_active(a.active());
  if (!a.active()) *out->mutable_cleared_at() = ToProtoTime(a.cleared_at);
  out->set_cleared_by(a.cleared_by);
}

LogServiceImpl::LogServiceImpl(logdb::LogStore& store, BusAccess& access, LogServiceOptions options,
                               std::function<bool()> acting, Clock& clock)
    : store_(store),
      access_(access),
      options_(std::move(options)),
      acting_(std::move(acting)),
      clock_(clock) {
  committer_ = std::thread([this] { Commit(); });
}

LogServiceImpl::~LogServiceImpl() { Stop(); }

void LogServiceImpl::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (committer_.joinable()) committer_.join();
  reader_.Stop();
}

bool LogServiceImpl::Admit(const std::string& application, int64_t n, int64_t dropped,
                           int64_t rejected) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto [it, fresh] = apps_.try_emplace(application);
  AppStats& a = it->second;
  const double burst = 2.0 * static_cast<double>(options_.rate_per_app);
  if (fresh) {
    a.tokens = burst;
    a.refilled = now;
  }
  a.tokens = std::min(burst, a.tokens + absl::ToDoubleSeconds(now - a.refilled) *
                                            static_cast<double>(options_.rate_per_app));
  a.refilled = now;
  a.rejected += rejected;
  if (dropped > 0) {
    a.dropped_by_sender += dropped;
    spdlog::warn("log: {} dropped {} events from its full buffer ({} so far)", application, dropped,
                 a.dropped_by_sender);
  }
  // Allowance may go into debt by one request, so a batch bigger than the
  // burst still passes, and the sender then waits for the debt to clear.
  if (a.tokens <= 0) {
    ++a.rate_limited;
    if (now - a.last_warned >= absl::Seconds(10)) {
      a.last_warned = now;
      spdlog::warn(
          "log: {} sends more than {} events/s ([logdb] rate_per_app): its requests are refused "
          "until it slows down; its events wait in its own buffer ({} requests refused so far)",
          application, options_.rate_per_app, a.rate_limited);
    }
    return false;
  }
  a.tokens -= static_cast<double>(n);
  return true;
}

std::vector<mv1::ApplicationLogStats> LogServiceImpl::ApplicationStats() {
  std::vector<mv1::ApplicationLogStats> out;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, a] : apps_) {
    mv1::ApplicationLogStats& s = out.emplace_back();
    s.set_application(name);
    s.set_stored(a.stored);
    s.set_rate_limited(a.rate_limited);
    s.set_dropped_by_sender(a.dropped_by_sender);
    s.set_rejected(a.rejected);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& x, const auto& y) { return x.application() < y.application(); });
  return out;
}

grpc::ServerUnaryReactor* LogServiceImpl::GetLogInfo(grpc::CallbackServerContext* ctx,
                                                     const mv1::GetLogInfoRequest*,
                                                     mv1::LogInfo* resp) {
  auto* reactor = ctx->DefaultReactor();
  access_.Check(CallOf(*ctx), "read", [this, reactor, resp](absl::StatusOr<std::string> who) {
    if (!who.ok()) {
      reactor->Finish(net::ToGrpc(who.status()));
      return;
    }
    reader_.Submit([this, reactor, resp] {
      resp->set_application(options_.application);
      resp->set_acting(acting_());
      resp->set_store(store_.Describe());
      resp->set_rate_per_app(options_.rate_per_app);
      absl::StatusOr<int64_t> n = store_.Count();
      resp->set_events(n.value_or(-1));
      {
        absl::MutexLock lock(&mu_);
        resp->set_last_store_error(n.ok() ? last_store_error_ : std::string(n.status().message()));
      }
      for (mv1::ApplicationLogStats& s : ApplicationStats())
        *resp->add_applications() = std::move(s);
      reactor->Finish(grpc::Status::OK);
    });
  });
  return reactor;
}

grpc::ServerUnaryReactor* LogServiceImpl::Append(grpc::CallbackServerContext* ctx,
                                                 const mv1::AppendRequest* req,
                                                 mv1::AppendResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  if (!acting_()) {
    reactor->Finish(grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        absl::StrCat(options_.application, " is its pair's backup: send log events to ",
                     options_.partner.empty() ? "its partner" : options_.partner)));
    return reactor;
  }
  access_.Check(CallOf(*ctx), "execute",
                [this, req, resp, reactor](absl::StatusOr<std::string> who) {
                  if (!who.ok()) {
                    reactor->Finish(net::ToGrpc(who.status()));
                    return;
                  }
                  Accepted(*who, *req, resp, reactor);
                });
  return reactor;
}

void LogServiceImpl::Accepted(const std::string& who, const mv1::AppendRequest& req,
                              mv1::AppendResponse* resp, grpc::ServerUnaryReactor* reactor) {
  Job job;
  if (absl::StartsWith(who, kApplicationPrefix)) {
    job.application = who.substr(sizeof(kApplicationPrefix) - 1);
  } else if (absl::EndsWith(who, kClaimedSuffix)) {  // authentication is off
    job.application = who.substr(0, who.size() - (sizeof(kClaimedSuffix) - 1));
  } else {
    reactor->Finish(grpc::Status(
        grpc::StatusCode::PERMISSION_DENIED,
        absl::StrCat("log events come from applications (a client certificate naming one); ", who,
                     " may read them with tandemctl logs")));
    return;
  }
  job.resp = resp;
  job.reactor = reactor;
  int64_t rejected = 0;
  const bool for_others =
      options_.speaks_for_others != nullptr && options_.speaks_for_others(job.application);
  for (int i = 0; i < req.events_size(); ++i) {
    logdb::LogEvent e = FromWire(req.events(i));
    // Who the certificate says, not what the event says (an SCS speaks for
    // the applications it controls).
    if (e.application.empty() || !for_others) e.application = job.application;
    if (std::string bad = logdb::Invalid(e, options_.store); !bad.empty()) {
      mv1::RejectedEvent* r = resp->add_rejected();
      r->set_index(i);
      r->set_reason(absl::StrCat("log event ", e.event_id.substr(0, 200), ": ", bad,
                                 "; it is not stored and must not be sent again"));
      ++rejected;
      continue;
    }
    job.events.push_back(std::move(e));
  }
  if (rejected > 0) {
    spdlog::warn("log: {} of {} events from {} refused for good (first: {})", rejected,
                 req.events_size(), job.application, resp->rejected(0).reason());
  }
  if (!Admit(job.application, static_cast<int64_t>(job.events.size()), req.dropped(), rejected)) {
    resp->Clear();
    reactor->Finish(
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                     absl::StrCat(job.application, " sends more than ", options_.rate_per_app,
                                  " log events/s ([logdb] rate_per_app of ", options_.application,
                                  "): keep them buffered and send them again shortly")));
    return;
  }
  if (job.events.empty()) {
    reactor->Finish(grpc::Status::OK);
    return;
  }
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                 options_.application + " is stopping: send to its partner"));
    return;
  }
  queue_.push_back(std::move(job));
}

void LogServiceImpl::Commit() {
  while (true) {
    std::vector<Job> jobs;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](LogServiceImpl* s)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) { return s->stopping_ || !s->queue_.empty(); },
          this));
      if (queue_.empty()) return;  // stopping, nothing left
      size_t n = 0;
      while (!queue_.empty() &&
             (jobs.empty() || n + queue_.front().events.size() <= options_.max_commit_events)) {
        n += queue_.front().events.size();
        jobs.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      append_started_ = clock_.Now();
    }
    std::vector<logdb::LogEvent> batch;
    for (Job& j : jobs) {
      for (logdb::LogEvent& e : j.events) batch.push_back(std::move(e));
    }
    absl::StatusOr<logdb::LogStore::Appended> a = store_.Append(batch);
    if (!a.ok()) {
      const std::string error =
          absl::StrCat("the Log Database (", store_.Describe(), ") could not store ", batch.size(),
                       " events: ", a.status().message());
      spdlog::error("log: {}; the senders keep them buffered and send them again", error);
      {
        absl::MutexLock lock(&mu_);
        last_store_error_ = error;
        append_started_ = absl::InfiniteFuture();
      }
      if (options_.alarms != nullptr) {
        options_.alarms->StoreFailed(options_.application, options_.host, error);
      }
      for (Job& j : jobs) {
        j.resp->Clear();
        j.reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                       error + ": keep them buffered and send them again"));
      }
      continue;
    }
    if (options_.alarms != nullptr) {
      options_.alarms->StoreOk();
      std::vector<logdb::LogEvent> fresh;
      for (size_t k = 0; k < batch.size(); ++k) {
        if (a->seqs[k] != 0) fresh.push_back(batch[k]);
      }
      options_.alarms->OnEvents(fresh);
    }
    size_t at = 0;
    absl::MutexLock lock(&mu_);
    last_store_error_.clear();
    append_started_ = absl::InfiniteFuture();
    for (Job& j : jobs) {
      int64_t stored = 0;
      for (size_t k = 0; k < j.events.size(); ++k) stored += a->seqs[at + k] != 0 ? 1 : 0;
      at += j.events.size();
      j.resp->set_stored(stored);
      j.resp->set_duplicates(static_cast<int64_t>(j.events.size()) - stored);
      apps_[j.application].stored += stored;
      j.reactor->Finish(grpc::Status::OK);
    }
  }
}

grpc::ServerUnaryReactor* LogServiceImpl::Query(grpc::CallbackServerContext* ctx,
                                                const mv1::LogQueryRequest* req,
                                                mv1::LogQueryResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  if (req->limit() < 0 || req->limit() > 10'000) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 "limit must be 1 to 10000 (0: 1000); page with after_seq"));
    return reactor;
  }
  if (req->max_level() < 0 || req->max_level() > mv1::TRACE) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 "max_level is none of alarm, standard, interaction, trace"));
    return reactor;
  }
  access_.Check(CallOf(*ctx), "read", [this, req, resp, reactor](absl::StatusOr<std::string> who) {
    if (!who.ok()) {
      reactor->Finish(net::ToGrpc(who.status()));
      return;
    }
    reader_.Submit([this, req, resp, reactor] {
      logdb::LogQuery q;
      q.application = req->application();
      q.host = req->host();
      if (req->max_level() != mv1::LOG_LEVEL_UNSPECIFIED) {
        q.max_level = static_cast<logdb::Level>(req->max_level());
      }
      if (req->has_from()) q.from = FromProtoTime(req->from());
      if (req->has_to()) q.to = FromProtoTime(req->to());
      q.message_id = req->message_id();
      q.min_message_id = req->min_message_id();
      q.max_message_id = req->max_message_id();
      q.text = req->text();
      q.after_seq = req->after_seq();
      q.limit = req->limit() == 0 ? 1000 : req->limit();
      absl::StatusOr<std::vector<logdb::StoredEvent>> found = store_.Find(q);
      if (!found.ok()) {
        reactor->Finish(
            grpc::Status(grpc::StatusCode::UNAVAILABLE,
                         absl::StrCat("the Log Database (", store_.Describe(),
                                      ") cannot be read now: ", found.status().message())));
        return;
      }
      size_t bytes = 0;
      for (const logdb::StoredEvent& e : *found) {
        bytes += e.event.text.size() + e.event.event_id.size() + e.event.application.size() + 64;
        if (bytes > kMaxReplyBytes && resp->events_size() > 0) {
          resp->set_more(true);
          break;
        }
        ToWire(e, resp->add_events());
      }
      if (static_cast<int>(found->size()) == q.limit) resp->set_more(true);
      reactor->Finish(grpc::Status::OK);
    });
  });
  return reactor;
}

void LogServiceImpl::Maintain(bool acting) {
  if (options_.alarms == nullptr) return;
  const bool stopped = !acting && was_acting_;
  was_acting_ = acting;
  if (stopped) options_.alarms->Forget();
  if (!acting) return;
  // An append that does not return (PostgreSQL waiting for a synchronous
  // standby that is gone, a DBMS that stopped answering) is an outage too:
  // nothing is acknowledged meanwhile.
  absl::Time started;
  {
    absl::MutexLock lock(&mu_);
    started = append_started_;
  }
  const absl::Duration running = clock_.Now() - started;
  if (running >= AlarmEngine::kStoreAlarmAfter) {
    options_.alarms->StoreFailed(
        options_.application, options_.host,
        absl::StrCat("an append to the Log Database (", store_.Describe(),
                     ") has not returned for ", absl::ToInt64Seconds(running),
                     " s: a synchronous standby that does not stream, or a DBMS that does not "
                     "answer"),
        started);
  }
  reader_.Submit([this] { options_.alarms->Tick(); });
}

grpc::ServerUnaryReactor* LogServiceImpl::ListAlarms(grpc::CallbackServerContext* ctx,
                                                     const mv1::ListAlarmsRequest* req,
                                                     mv1::ListAlarmsResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  if (req->limit() < 0 || req->limit() > 100'000) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "limit must be 1 to 100000 (0: 1000)"));
    return reactor;
  }
  access_.Check(CallOf(*ctx), "read", [this, req, resp, reactor](absl::StatusOr<std::string> who) {
    if (!who.ok()) {
      reactor->Finish(net::ToGrpc(who.status()));
      return;
    }
    const int limit = req->limit() == 0 ? 1000 : req->limit();
    reader_.Submit([this, req, resp, reactor, limit] {
      // The acting server's own view of what is active (it may hold one the
      // Log Database could not take); history and the backup's view: stored.
      if (!req->all() && options_.alarms != nullptr && acting_()) {
        std::vector<logdb::Alarm> active = options_.alarms->Active();
        for (size_t i = 0; i < active.size() && static_cast<int>(i) < limit; ++i) {
          ToWire(active[i], resp->add_alarms());
        }
        reactor->Finish(grpc::Status::OK);
        return;
      }
      absl::StatusOr<std::vector<logdb::Alarm>> stored = store_.Alarms(req->all(), limit);
      if (!stored.ok()) {
        reactor->Finish(
            grpc::Status(grpc::StatusCode::UNAVAILABLE,
                         absl::StrCat("the Log Database (", store_.Describe(),
                                      ") cannot be read now: ", stored.status().message())));
        return;
      }
      for (const logdb::Alarm& a : *stored) ToWire(a, resp->add_alarms());
      reactor->Finish(grpc::Status::OK);
    });
  });
  return reactor;
}

grpc::ServerUnaryReactor* LogServiceImpl::ClearAlarm(grpc::CallbackServerContext* ctx,
                                                     const mv1::ClearAlarmRequest* req,
                                                     mv1::ClearAlarmResponse*) {
  auto* reactor = ctx->DefaultReactor();
  if (options_.alarms == nullptr) {
    reactor->Finish(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                 options_.application + " evaluates no alarms"));
    return reactor;
  }
  if (!acting_()) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                     absl::StrCat(options_.application, " is its pair's backup: clear alarms at ",
                                  options_.partner.empty() ? "its partner" : options_.partner)));
    return reactor;
  }
  access_.Check(CallOf(*ctx), "execute", [this, req, reactor](absl::StatusOr<std::string> who) {
    if (!who.ok()) {
      reactor->Finish(net::ToGrpc(who.status()));
      return;
    }
    reader_.Submit([this, id = req->id(), who = *who, reactor] {
      reactor->Finish(net::ToGrpc(options_.alarms->Clear(id, who)));
    });
  });
  return reactor;
}

void LogServiceImpl::Trim() {
  reader_.Submit([this] {
    absl::StatusOr<int64_t> removed = store_.Trim(clock_.Now());
    if (!removed.ok()) {
      spdlog::warn("log: retention could not trim the Log Database: {}",
                   std::string(removed.status().message()));
    } else if (*removed > 0) {
      spdlog::info("log: retention removed {} events from the Log Database", *removed);
    }
  });
}

}  // namespace tandem::msg
