// The disk's durable-write cost, the floor under every durable commit. Writes into
// $TANDEM_BENCH_DIR (default /tmp), which should be on the disk the database uses.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "benchmark/benchmark.h"

namespace tandem::bench {
namespace {

std::string BenchDir() {
  const char* dir = std::getenv("TANDEM_BENCH_DIR");
  return dir != nullptr && *dir != '\0' ? dir : "/tmp";
}

//! Appends range(0) bytes and fdatasync()s, like a WAL commit of one small transaction.
void BM_AppendFdatasync(benchmark::State& state) {
  std::string path = BenchDir() + "/tandem_fsync_bench." + std::to_string(getpid());
  int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_APPEND, 0600);
  if (fd < 0) {
    state.SkipWithError("cannot create the file in TANDEM_BENCH_DIR");
    return;
  }
  const std::string block(static_cast<size_t>(state.range(0)), 'w');
  for (auto _ : state) {
    if (write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) ||
        fdatasync(fd) != 0) {
      state.SkipWithError("write/fdatasync failed");
      break;
    }
  }
  close(fd);
  unlink(path.c_str());
}
BENCHMARK(BM_AppendFdatasync)->Arg(4096)->Arg(65536)->UseRealTime();

//! Overwrites one 4 KiB page in place and fdatasync()s (no file growth).
void BM_OverwriteFdatasync(benchmark::State& state) {
  std::string path = BenchDir() + "/tandem_fsync_bench_ow." + std::to_string(getpid());
  int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR, 0600);
  if (fd < 0) {
    state.SkipWithError("cannot create the file in TANDEM_BENCH_DIR");
    return;
  }
  const std::string block(4096, 'o');
  if (pwrite(fd, block.data(), block.size(), 0) < 0 || fsync(fd) != 0) {
    state.SkipWithError("initial write failed");
  }
  for (auto _ : state) {
    if (pwrite(fd, block.data(), block.size(), 0) != 4096 || fdatasync(fd) != 0) {
      state.SkipWithError("pwrite/fdatasync failed");
      break;
    }
  }
  close(fd);
  unlink(path.c_str());
}
BENCHMARK(BM_OverwriteFdatasync)->UseRealTime();

}  // namespace
}  // namespace tandem::bench
