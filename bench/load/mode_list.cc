#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "load/client.h"
#include "load/modes.h"
#include "load/stream_reader.h"

namespace tandem::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct ListRun {
  int64_t objects = 0;
  int64_t messages = 0;
  int64_t bytes = 0;
  bool revisions_agree = true;
  double first_byte_ms = 0;
  double last_byte_ms = 0;
  grpc::Status status;
};

ListRun ListOnce(LoadClient& client) {
  ListRun run;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int64_t revision = -1;
  auto context = client.NewContext(std::chrono::seconds(120));
  v1::ListRequest request;
  request.set_type(v1::OBJECT_TYPE_APPLICATION);
  // Global objects (every object tandem-load creates is global). -1 ("any tenant") would
  // be the general form, but tandemd 0.1.0 treats it as a tenant DBID and lists nothing.
  request.set_tenant_dbid(0);
  auto started = Clock::now();
  auto ms_since = [&] {
    return std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  };
  StreamReader<v1::ListResponse> reader(
      [&](const v1::ListResponse& r) {
        if (run.messages++ == 0) run.first_byte_ms = ms_since();
        run.objects += r.objects_size();
        run.bytes += static_cast<int64_t>(r.ByteSizeLong());
        if (revision == -1) revision = r.revision();
        if (r.revision() != revision) run.revisions_agree = false;
      },
      [&](const grpc::Status& status) {
        run.last_byte_ms = ms_since();
        std::lock_guard lock(mu);
        run.status = status;
        done = true;
        cv.notify_all();
      });
  client.stub().async()->List(context.get(), &request, &reader);
  reader.Begin();
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return done; });
  return run;
}

}  // namespace

absl::StatusOr<Report> RunList(const LoadOptions& options) {
  auto clients = MakeClients(options, 1);
  if (!clients.ok()) return clients.status();
  LoadClient& client = *(*clients)[0];
  std::vector<int64_t> times_ns;
  Report report("list");
  ListRun last;
  for (int i = 0; i < std::max(1, options.repeat); ++i) {
    last = ListOnce(client);
    if (!last.status.ok()) return absl::UnavailableError("List: " + Describe(last.status));
    if (options.count > 0 && last.objects != options.count) {
      return absl::DataLossError(
          absl::StrCat("List returned ", last.objects, " Applications, expected ", options.count));
    }
    if (!last.revisions_agree) {
      return absl::DataLossError("List chunks carried different revisions");
    }
    times_ns.push_back(static_cast<int64_t>(last.last_byte_ms * 1e6));
    report.Set(absl::StrCat("run", i + 1, "_ms"), last.last_byte_ms);
  }
  report.Set("objects", last.objects);
  report.Set("verified", options.count > 0);
  report.Set("messages", last.messages);
  report.Set("payload_mb", static_cast<double>(last.bytes) / 1e6);
  report.Set("first_byte_ms", last.first_byte_ms);
  LatencySummary s = Summarize(times_ns);
  report.Set("runs", s.count);
  report.Set("last_byte_p50_ms", s.p50_ms);
  report.Set("last_byte_max_ms", s.max_ms);
  report.Set("objects_per_s",
             s.p50_ms > 0 ? static_cast<double>(last.objects) / s.p50_ms * 1e3 : 0.0);
  return report;
}

}  // namespace tandem::bench
