// Storage commits (include/tandem/storage/storage.h over SQLite): the durable part of
// every write, and the full scan that loads the configuration at start-up. The
// database lives in $TANDEM_BENCH_DIR (default /tmp), on the disk being measured.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "benchmark/benchmark.h"
#include "common/hash.h"
#include "micro/bench_objects.h"
#include "tandem/storage/storage.h"

namespace tandem::bench {
namespace {

std::string FreshDbPath(const char* name) {
  const char* dir = std::getenv("TANDEM_BENCH_DIR");
  std::string path = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/" + name + "." +
                     std::to_string(getpid()) + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return path;
}

void RemoveDb(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

//! A batch of `ops` Application updates with their history rows, as the committer writes it.
storage::CommitBatch MakeBatch(int64_t first_revision, int64_t ops, int64_t dbid_base,
                               const std::string& object_data, const std::string& change_data) {
  storage::CommitBatch batch;
  for (int64_t i = 0; i < ops; ++i) {
    storage::ObjectWrite w;
    w.type = v1::OBJECT_TYPE_APPLICATION;
    w.dbid = dbid_base + i;
    w.name = "app-" + std::to_string(w.dbid);
    w.data = object_data;
    batch.objects.push_back(std::move(w));
    batch.history.push_back({first_revision + i, 1'760'000'000'000'000 + i, change_data});
  }
  batch.revision = first_revision + ops - 1;
  batch.revision_hash = std::string(32, '\x11');
  return batch;
}

//! One durable Commit of range(0) object+history rows; items = operations committed.
void BM_StorageCommit(benchmark::State& state) {
  std::string path = FreshDbPath("tandem_storage_bench");
  auto storage = storage::OpenSqlite({.path = path, .create = true});
  if (!storage.ok()) {
    state.SkipWithError(std::string(storage.status().message()).c_str());
    return;
  }
  const int64_t ops = state.range(0);
  const std::string object_data = SampleApplication(1).SerializeAsString();
  const std::string change_data = DeterministicSerialize(SampleChange(1));
  int64_t revision = 1;
  for (auto _ : state) {
    // Overwrites the same 1000 objects, so the table size stays constant.
    storage::CommitBatch batch =
        MakeBatch(revision, ops, 1 + (revision % 1000), object_data, change_data);
    absl::Status st = (*storage)->Commit(batch);
    if (!st.ok()) {
      state.SkipWithError(std::string(st.message()).c_str());
      break;
    }
    revision += ops;
  }
  state.SetItemsProcessed(state.iterations() * ops);
  storage->reset();
  RemoveDb(path);
}
BENCHMARK(BM_StorageCommit)->Arg(1)->Arg(16)->Arg(64)->Arg(256)->Arg(4096)->UseRealTime();

//! ScanObjects over range(0) stored Applications: the start-up load of the configuration.
void BM_StorageScan(benchmark::State& state) {
  std::string path = FreshDbPath("tandem_scan_bench");
  auto storage = storage::OpenSqlite({.path = path, .create = true});
  if (!storage.ok()) {
    state.SkipWithError(std::string(storage.status().message()).c_str());
    return;
  }
  const int64_t n = state.range(0);
  const std::string object_data = SampleApplication(1).SerializeAsString();
  int64_t revision = 1;
  for (int64_t done = 0; done < n; done += 5000) {
    storage::CommitBatch batch =
        MakeBatch(revision, std::min<int64_t>(5000, n - done), 1 + done, object_data, object_data);
    batch.history.clear();
    if (!(*storage)->Commit(batch).ok()) {
      state.SkipWithError("populating failed");
      return;
    }
    revision += 5000;
  }
  for (auto _ : state) {
    int64_t bytes = 0;
    absl::Status st = (*storage)->ScanObjects([&](absl::string_view data) {
      bytes += static_cast<int64_t>(data.size());
      return absl::OkStatus();
    });
    if (!st.ok()) state.SkipWithError(std::string(st.message()).c_str());
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations() * n);
  storage->reset();
  RemoveDb(path);
}
BENCHMARK(BM_StorageScan)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime();

//! Parsing stored objects back into protos, as a full load does after the scan.
void BM_ParseApplication(benchmark::State& state) {
  const std::string data = SampleApplication(1).SerializeAsString();
  for (auto _ : state) {
    v1::ConfigObject object;
    benchmark::DoNotOptimize(object.ParseFromString(data));
  }
}
BENCHMARK(BM_ParseApplication);

}  // namespace
}  // namespace tandem::bench
