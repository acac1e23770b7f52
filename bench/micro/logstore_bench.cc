// Log Database ingest into SQLite (WAL, synchronous=FULL): events per second
// for batches of range(0) events (~120-byte texts), each batch one durable
// transaction, as the Log Message Server will store them before it
// acknowledges. The database file is in $TANDEM_BENCH_DIR (default /tmp).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "logdb/log_store.h"

namespace tandem::bench {
namespace {

void BM_LogStoreAppend(benchmark::State& state) {
  const char* dir = std::getenv("TANDEM_BENCH_DIR");
  const std::string path = absl::StrCat(dir != nullptr && *dir != '\0' ? dir : "/tmp",
                                        "/tandem_logstore_bench.", getpid(), ".db");
  {
    auto store = logdb::LogStore::OpenSqlite(path);
    if (!store.ok()) {
      state.SkipWithError(std::string(store.status().message()).c_str());
      return;
    }
    const int batch = static_cast<int>(state.range(0));
    int64_t next = 0;
    std::vector<logdb::LogEvent> events(static_cast<size_t>(batch));
    for (auto _ : state) {
      for (logdb::LogEvent& e : events) {
        e.event_id = absl::StrCat("bench-", getpid(), "-", next++);
        e.at = absl::Now();
        e.application = "billing";
        e.host = "r1-app-p";
        e.level = logdb::Level::kStandard;
        e.message_id = 4711;
        e.text = absl::StrCat("order ", next,
                              " priced and booked for customer 0042 in 12.5 ms (tariff B, "
                              "region r1, retry 0)");
      }
      absl::StatusOr<logdb::LogStore::Appended> r = (*store)->Append(events);
      if (!r.ok() || r->stored != batch) {
        state.SkipWithError("append failed");
        break;
      }
    }
    state.SetItemsProcessed(state.iterations() * batch);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}
BENCHMARK(BM_LogStoreAppend)->Arg(1)->Arg(100)->Arg(1000)->Arg(5000)->UseRealTime();

}  // namespace
}  // namespace tandem::bench
