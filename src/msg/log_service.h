// LogService (api/tandem/msg/v1/log.proto): the Log Message Server's side.
// Appends from every caller are gathered into group commits on one thread
// (a batch of batches, one durable transaction) and each is answered only
// once its events are stored; events that can never be stored are refused
// one by one, the rest of their batch goes in. Each application may send at
// most `rate_per_app` events per second: a request over it is refused with
// RESOURCE_EXHAUSTED (it stays in the sender's buffer), counted and logged,
// never silently dropped. Queries run on a thread of their own.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/serial_executor.h"
#include "logdb/log_store.h"
#include "msg/alarm_engine.h"
#include "msg/bus_service.h"
#include "tandem/msg/v1/log.grpc.pb.h"

namespace tandem::msg {

struct LogServiceOptions {
  std::string application = {};
  //! This server's host (its own alarms name it).
  std::string host = {};
  //! The pair's other server (appends go there while this one is backup).
  std::string partner = {};
  //! Events per second per application (a burst of two seconds' worth).
  int64_t rate_per_app = 20'000;
  //! At most this many events per group commit.
  size_t max_commit_events = 10'000;
  logdb::LogStoreOptions store = {};
  //! Evaluates what is stored (null: no alarms).
  AlarmEngine* alarms = nullptr;
  //! May this application log on behalf of others (an SCS, for the
  //! applications it controls)? Anyone else's events carry its own name.
  std::function<bool(const std::string&)> speaks_for_others = nullptr;
};

class LogServiceImpl final : public mv1::LogService::CallbackService {
 public:
  //! `store` and `access` outlive the service; `acting` says whether this
  //! server is its pair's acting one (only that one appends).
  LogServiceImpl(logdb::LogStore& store, BusAccess& access, LogServiceOptions options,
                 std::function<bool()> acting, Clock& clock);
  ~LogServiceImpl() override;
  //! Commits what is queued, answers it, and stops the threads; appends
  //! after this are refused as UNAVAILABLE.
  void Stop();
  //! Applies retention (age, count) on the query thread; logs what went.
  void Trim();
  //! Called now and then by the server's loop: while this server acts,
  //! alarm timeouts run; when it stops, its view of the alarms goes (the
  //! engine loads them again from the Log Database when it acts again).
  void Maintain(bool acting);
  //! What each application sent since start (stored, rate limited, dropped
  //! by the sender, rejected), by name: for /metrics.
  std::vector<mv1::ApplicationLogStats> ApplicationStats();

  grpc::ServerUnaryReactor* GetLogInfo(grpc::CallbackServerContext* ctx,
                                       const mv1::GetLogInfoRequest* req,
                                       mv1::LogInfo* resp) override;
  grpc::ServerUnaryReactor* Append(grpc::CallbackServerContext* ctx, const mv1::AppendRequest* req,
                                   mv1::AppendResponse* resp) override;
  grpc::ServerUnaryReactor* Query(grpc::CallbackServerContext* ctx, const mv1::LogQueryRequest* req,
                                  mv1::LogQueryResponse* resp) override;
  grpc::ServerUnaryReactor* ListAlarms(grpc::CallbackServerContext* ctx,
                                       const mv1::ListAlarmsRequest* req,
                                       mv1::ListAlarmsResponse* resp) override;
  grpc::ServerUnaryReactor* ClearAlarm(grpc::CallbackServerContext* ctx,
                                       const mv1::ClearAlarmRequest* req,
                                       mv1::ClearAlarmResponse* resp) override;

 private:
  struct Job {
    std::string application;
    std::vector<logdb::LogEvent> events;
    mv1::AppendResponse* resp = nullptr;
    grpc::ServerUnaryReactor* reactor = nullptr;
  };
  struct AppStats {
    double tokens = 0;
    absl::Time refilled;
    absl::Time last_warned = absl::InfinitePast();
    int64_t stored = 0;
    int64_t rate_limited = 0;
    int64_t dropped_by_sender = 0;
    int64_t rejected = 0;
  };
  //! Takes `n` events from the application's allowance; false if over it.
  bool Admit(const std::string& application, int64_t n, int64_t dropped, int64_t rejected);
  void Accepted(const std::string& who, const mv1::AppendRequest& req, mv1::AppendResponse* resp,
                grpc::ServerUnaryReactor* reactor);
  void Commit();

  logdb::LogStore& store_;
  BusAccess& access_;
  const LogServiceOptions options_;
  const std::function<bool()> acting_;
  Clock& clock_;

  absl::Mutex mu_;
  std::deque<Job> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, AppStats> apps_ ABSL_GUARDED_BY(mu_);
  std::string last_store_error_ ABSL_GUARDED_BY(mu_);
  //! When the committer's append now running began (InfiniteFuture: none).
  absl::Time append_started_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool was_acting_ = false;  // Maintain's caller only
  std::thread committer_;
  SerialExecutor reader_;
};

//! Wire <-> store.
logdb::LogEvent FromWire(const mv1::LogEvent& e);
void ToWire(const logdb::StoredEvent& e, mv1::LogEvent* out);
void ToWire(const logdb::Alarm& a, mv1::Alarm* out);

}  // namespace tandem::msg
