#include <chrono>
#include <future>
#include <thread>

#include "load/client.h"
#include "load/modes.h"

namespace tandem::bench {

absl::StatusOr<Report> RunReady(const LoadOptions& options) {
  using Clock = std::chrono::steady_clock;
  auto started = Clock::now();
  auto deadline = started + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(options.timeout_s));
  LoadClient client(options.server, options.tls);
  int attempts = 0;
  grpc::Status st;
  v1::ServerInfo info;
  while (Clock::now() < deadline) {
    ++attempts;
    auto context = client.NewContext(std::chrono::milliseconds(500));
    v1::ServerInfoRequest request;
    std::promise<grpc::Status> promise;
    client.stub().async()->GetServerInfo(context.get(), &request, &info,
                                         [&promise](grpc::Status s) { promise.set_value(s); });
    st = promise.get_future().get();
    if (st.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!st.ok()) return absl::DeadlineExceededError("GetServerInfo: " + Describe(st));
  Report report("ready");
  report.Set("wait_s", std::chrono::duration<double>(Clock::now() - started).count());
  report.Set("attempts", attempts);
  report.Set("object_count", info.object_count());
  report.Set("revision", info.revision());
  report.Set("storage", info.storage());
  report.Set("version", info.version());
  return report;
}

}  // namespace tandem::bench
