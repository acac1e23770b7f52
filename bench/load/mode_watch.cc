#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "load/client.h"
#include "load/modes.h"
#include "load/stream_reader.h"

namespace tandem::bench {
namespace {

using Clock = std::chrono::steady_clock;

//! What the watchers have seen; every field is guarded by `mu`.
struct Shared {
  std::mutex mu;
  std::condition_variable cv;
  int live = 0;
  int finished = 0;
  //! Deliveries of the watched Host's changes, over all watchers.
  int64_t deliveries = 0;
};

struct Watcher {
  LoadClientPtr client;
  std::unique_ptr<grpc::ClientContext> context;
  v1::WatchRequest request;
  std::unique_ptr<StreamReader<v1::WatchResponse>> reader;
  //! (revision, receive time) of each change of the watched Host; written only by
  //! this watcher's stream callbacks, read after the stream is done.
  std::vector<std::pair<int64_t, Clock::time_point>> received;
  //! Receive time minus the change's committed_at (same machine, same wall clock).
  std::vector<int64_t> from_commit_ns;
  bool got_first = false;
  grpc::Status status;
};

int64_t Ns(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

}  // namespace

absl::StatusOr<Report> RunWatchFanout(const LoadOptions& options) {
  const int watchers_n = options.clients;
  const int64_t updates = options.count > 0 ? options.count : 20;
  auto writers = MakeClients(options, 1);
  if (!writers.ok()) return writers.status();
  LoadClient& writer = *(*writers)[0];
  auto created = CreateInBatches(writer, {MakeHost(absl::StrCat("load-w-", RunTag()), 0)}, 1);
  if (!created.ok()) return created.status();
  v1::ConfigObject host = (*created)[0];
  const int64_t host_dbid = host.dbid();

  auto setup_started = Clock::now();
  auto clients = MakeClients(options, watchers_n);
  if (!clients.ok()) return clients.status();
  Shared shared;
  std::vector<Watcher> watchers(watchers_n);
  for (int i = 0; i < watchers_n; ++i) {
    Watcher& w = watchers[i];
    w.client = std::move((*clients)[i]);
    w.context = w.client->NewContext(std::chrono::seconds(600));
    w.reader = std::make_unique<StreamReader<v1::WatchResponse>>(
        [&w, &shared, host_dbid](const v1::WatchResponse& r) {
          auto now = Clock::now();
          int64_t wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
          int64_t mine = 0;
          for (const auto& c : r.changes()) {
            if (c.type() == v1::OBJECT_TYPE_HOST && c.dbid() == host_dbid) {
              w.received.emplace_back(c.revision(), now);
              int64_t committed_ns =
                  c.committed_at().seconds() * 1'000'000'000 + c.committed_at().nanos();
              if (committed_ns > 0) w.from_commit_ns.push_back(wall_ns - committed_ns);
              ++mine;
            }
          }
          bool first = !w.got_first;
          w.got_first = true;
          if (first || mine > 0) {
            std::lock_guard lock(shared.mu);
            if (first) ++shared.live;
            shared.deliveries += mine;
            shared.cv.notify_all();
          }
        },
        [&w, &shared](const grpc::Status& status) {
          std::lock_guard lock(shared.mu);
          w.status = status;
          ++shared.finished;
          shared.cv.notify_all();
        });
    w.client->stub().async()->Watch(w.context.get(), &w.request, w.reader.get());
    w.reader->Begin();
  }
  bool all_live;
  {
    std::unique_lock lock(shared.mu);
    all_live = shared.cv.wait_for(lock, std::chrono::seconds(60),
                                  [&] { return shared.live + shared.finished >= watchers_n; });
    all_live = all_live && shared.live == watchers_n;
  }
  double setup_s = std::chrono::duration<double>(Clock::now() - setup_started).count();

  // Updates one at a time; the next starts when every watcher has the previous one.
  std::map<int64_t, std::pair<Clock::time_point, Clock::time_point>> sent_acked;
  std::vector<int64_t> fanout_complete_ns;
  int64_t update_errors = 0;
  int64_t timeouts = 0;
  int64_t revision = host.revision();
  for (int64_t k = 0; all_live && k < updates; ++k) {
    v1::UpdateRequest request;
    *request.mutable_object() = host;
    (*request.mutable_object()->mutable_properties())["lca_port"].set_int_value(2000 + k);
    request.set_expected_revision(revision);
    v1::UpdateResponse response;
    auto context = writer.NewContext();
    std::promise<grpc::Status> promise;
    auto sent = Clock::now();
    writer.stub().async()->Update(context.get(), &request, &response,
                                  [&promise](grpc::Status st) { promise.set_value(st); });
    grpc::Status st = promise.get_future().get();
    auto acked = Clock::now();
    if (!st.ok()) {
      ++update_errors;
      revision = 0;
      continue;
    }
    revision =
        response.object().revision() != 0 ? response.object().revision() : response.revision();
    sent_acked[revision] = {sent, acked};
    std::unique_lock lock(shared.mu);
    int64_t want = static_cast<int64_t>(sent_acked.size()) * watchers_n;
    if (!shared.cv.wait_for(lock, std::chrono::seconds(10),
                            [&] { return shared.deliveries >= want || shared.finished > 0; })) {
      ++timeouts;
    }
    fanout_complete_ns.push_back(Ns(Clock::now() - sent));
    if (shared.finished > 0) break;
  }

  for (auto& w : watchers) w.context->TryCancel();
  {
    std::unique_lock lock(shared.mu);
    shared.cv.wait_for(lock, std::chrono::seconds(30),
                       [&] { return shared.finished >= watchers_n; });
    if (shared.finished < watchers_n) {
      // Readers still referenced by gRPC must not be destroyed: leak them deliberately.
      for (auto& w : watchers) {
        (void)w.reader.release();
        (void)w.context.release();
      }
      return absl::DeadlineExceededError("watch streams did not end after cancel");
    }
  }

  std::vector<int64_t> from_ack_ns;
  std::vector<int64_t> from_send_ns;
  std::vector<int64_t> from_commit_ns;
  int64_t before_ack = 0;
  int64_t unexpected = 0;
  int ended_early = 0;
  for (auto& w : watchers) {
    if (w.status.error_code() != grpc::StatusCode::CANCELLED) ++ended_early;
    from_commit_ns.insert(from_commit_ns.end(), w.from_commit_ns.begin(), w.from_commit_ns.end());
    for (const auto& [rev, at] : w.received) {
      auto it = sent_acked.find(rev);
      if (it == sent_acked.end()) {
        ++unexpected;
        continue;
      }
      int64_t lat = Ns(at - it->second.second);
      if (lat < 0) {
        ++before_ack;
        lat = 0;
      }
      from_ack_ns.push_back(lat);
      from_send_ns.push_back(Ns(at - it->second.first));
    }
  }
  Report report("watch-fanout");
  report.Set("watchers", watchers_n);
  report.Set("watchers_live", all_live);
  report.Set("setup_s", setup_s);
  report.Set("updates", static_cast<int64_t>(sent_acked.size()));
  report.Set("update_errors", update_errors);
  report.Set("expected_deliveries", static_cast<int64_t>(sent_acked.size()) * watchers_n);
  report.Set("deliveries", static_cast<int64_t>(from_ack_ns.size()));
  report.Set("unexpected_revisions", unexpected);
  report.Set("delivered_before_ack", before_ack);
  report.Set("wait_timeouts", timeouts);
  report.Set("streams_ended_early", ended_early);
  report.SetLatency("from_ack", Summarize(from_ack_ns));
  report.SetLatency("from_send", Summarize(from_send_ns));
  report.SetLatency("from_commit", Summarize(from_commit_ns));
  report.SetLatency("all_delivered_from_send", Summarize(fanout_complete_ns));
  if (!all_live) {
    return absl::UnavailableError(
        absl::StrCat("only ", shared.live, " of ", watchers_n, " watches went live within 60 s"));
  }
  return report;
}

}  // namespace tandem::bench
