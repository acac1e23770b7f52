// The modes of tandem-load. Each sets up what it needs on the server, runs bounded
// load, and returns its figures.
#pragma once

#include "absl/status/statusor.h"
#include "load/closed_loop.h"
#include "load/options.h"
#include "load/report.h"

namespace tandem::bench {

//! Sequential Updates of one own Host per client, chained by expected_revision.
absl::StatusOr<Report> RunUpdate(const LoadOptions& options);
//! Sequential Creates of new Hosts per client.
absl::StatusOr<Report> RunCreate(const LoadOptions& options);
//! Get by DBID, uniformly random over `count` pre-created Hosts.
absl::StatusOr<Report> RunRead(const LoadOptions& options);
//! Streamed List of every Application, `repeat` times; time to the last message.
absl::StatusOr<Report> RunList(const LoadOptions& options);
//! `clients` watchers, `count` updates one at a time; delivery latency per watcher.
absl::StatusOr<Report> RunWatchFanout(const LoadOptions& options);
//! Creates `count` Applications (and one Host) with Transactions of `batch` creates.
absl::StatusOr<Report> RunPopulate(const LoadOptions& options);
//! Polls GetServerInfo until it answers; reports the wait and the server's counts.
absl::StatusOr<Report> RunReady(const LoadOptions& options);

//! Adds throughput, errors and latency percentiles of a closed-loop run.
void AddLoopResult(Report& report, LoopResult& result);

}  // namespace tandem::bench
