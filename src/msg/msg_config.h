// The bootstrap file of `tandemd msgserver` (TOML): which Application it is,
// where it listens, the master pair it follows (for its pair's lock, its
// partner's address and who may publish and subscribe), its certificate,
// and the channels' limits.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "logdb/log_store.h"
#include "metrics/metrics_server.h"
#include "msg/bus.h"
#include "tandem/tls_files.h"

namespace tandem::msg {

//! `[logdb]`: with a store configured the server is a Log Message Server.
struct LogDbConfig {
  std::string sqlite;    //!< a file (both servers of the pair on one host)
  std::string postgres;  //!< a conninfo (the pair shares the database)
  logdb::LogStoreOptions store;
  int64_t rate_per_app = 20'000;
  absl::Duration trim_every = absl::Seconds(60);
  bool enabled() const { return !sqlite.empty() || !postgres.empty(); }
};

struct MsgConfig {
  //! This server's Application (app_type MessageServer; its certificate's
  //! CN). Grants on it decide who may subscribe (Read) and publish
  //! (Execute).
  std::string application;
  //! HOST:PORT of MessageBus: its Application's host address and `default`
  //! port.
  std::string listen;
  std::vector<std::string> masters;
  //! A pair's backup takes over after its partner is silent this long.
  absl::Duration takeover_after = absl::Seconds(3);
  //! How long a caller's permission, once decided by the master, is reused.
  absl::Duration access_cache = absl::Seconds(30);
  BusOptions bus;
  LogDbConfig logdb;
  TlsFiles tls;
  //! [metrics]: where /metrics is served, if anywhere.
  metrics::MetricsConfig metrics;
  //! Written with "1" once serving.
  std::string ready_file;
  std::string log_level = "info";
  std::string log_file;
};

absl::StatusOr<MsgConfig> LoadMsgConfig(const std::string& path);
absl::StatusOr<MsgConfig> ParseMsgConfig(absl::string_view toml, const std::string& source);
std::string ExampleMsgConfig();

}  // namespace tandem::msg
