#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "load/client.h"
#include "load/modes.h"

namespace tandem::bench {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

absl::StatusOr<Report> RunPopulate(const LoadOptions& options) {
  const int64_t count = options.count > 0 ? options.count : 100000;
  const int streams = std::max(1, std::min(options.clients, 8));
  auto clients = MakeClients(options, streams);
  if (!clients.ok()) return clients.status();
  std::string tag = RunTag();
  auto host = CreateInBatches(*(*clients)[0], {MakeHost(absl::StrCat("load-pop-", tag), 0)}, 1);
  if (!host.ok()) return host.status();
  const int64_t host_dbid = (*host)[0].dbid();

  // Each stream sends its own Transactions one after another, asynchronously.
  const int64_t batches = (count + options.batch - 1) / options.batch;
  std::atomic<int64_t> next_batch{0};
  std::mutex mu;
  std::vector<int64_t> latencies_ns;
  absl::Status first_error;
  auto started = Clock::now();
  auto work = [&](LoadClient& client) {
    for (int64_t b = next_batch++; b < batches; b = next_batch++) {
      v1::TransactionRequest request;
      int64_t begin = b * options.batch;
      int64_t end = std::min(count, begin + options.batch);
      for (int64_t i = begin; i < end; ++i) {
        *request.add_operations()->mutable_create()->mutable_object() =
            MakeApplication(absl::StrCat("load-app-", tag, "-", i), host_dbid, i);
      }
      v1::TransactionResponse response;
      auto context = client.NewContext(std::chrono::seconds(120));
      std::promise<grpc::Status> promise;
      auto t0 = Clock::now();
      client.stub().async()->Transaction(context.get(), &request, &response,
                                         [&promise](grpc::Status st) { promise.set_value(st); });
      grpc::Status st = promise.get_future().get();
      auto t1 = Clock::now();
      std::lock_guard lock(mu);
      if (!st.ok() || response.objects_size() != end - begin) {
        if (first_error.ok()) {
          first_error = absl::UnavailableError(
              absl::StrCat("Transaction of batch ", b, ": ", Describe(st), ", ",
                           response.objects_size(), " objects returned"));
        }
        return;
      }
      latencies_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
    }
  };
  std::vector<std::thread> threads;
  for (int s = 0; s < streams; ++s) threads.emplace_back(work, std::ref(*(*clients)[s]));
  for (auto& t : threads) t.join();
  double elapsed_s = std::chrono::duration<double>(Clock::now() - started).count();
  if (!first_error.ok()) return first_error;

  Report report("populate");
  report.Set("objects", count);
  report.Set("batch", options.batch);
  report.Set("streams", streams);
  report.Set("host_dbid", host_dbid);
  report.Set("elapsed_s", elapsed_s);
  report.Set("objects_per_s", static_cast<double>(count) / elapsed_s);
  report.SetLatency("transaction", Summarize(latencies_ns));
  return report;
}

}  // namespace tandem::bench
