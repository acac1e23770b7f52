// libtandem's network log: events to the region's Log Message Server pair
// (`tandemd msgserver` with `[logdb]`), stored in the Log Database.
//
//   tandem::client::Logger log({.servers = {"lms-a:5100", "lms-b:5100"},
//                               .tls = tls, .host = "app-1"});
//   log.Log(tandem::client::LogLevel::kAlarm, 4101, "disk full on /var");
//
// Log() returns at once: the event waits in a bounded buffer until the
// acting server acknowledges it, which it does only once the event is in
// the Log Database. Until then the Logger keeps it and sends it again
// (after a reconnect, to the other server of the pair, after a refusal for
// going over the rate limit); the server removes duplicates by event id.
// An acknowledged event is never lost. When the buffer is full new events
// are dropped: counted, logged locally, and reported to the server. Debug
// stays in the application's own log.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tandem/tls_files.h"

namespace tandem::client {

enum class LogLevel { kAlarm = 1, kStandard = 2, kInteraction = 3, kTrace = 4, kDebug = 5 };

//! The framework's own message ids (the SCS logs them on behalf of the
//! applications it controls); the Log Message Server raises and clears its
//! built-in alarms from them (docs/ARCHITECTURE.md, "Alarms").
namespace framework_message {
inline constexpr int64_t kApplicationFailed = 2'000'000'001;   // exited while wanted
inline constexpr int64_t kApplicationStarted = 2'000'000'002;  // clears failed, gave up
inline constexpr int64_t kGaveUpRestarting = 2'000'000'003;
inline constexpr int64_t kSwitchover = 2'000'000'004;  // a pair's backup became primary
inline constexpr int64_t kPairHeld = 2'000'000'005;    // too many switchovers: held
inline constexpr int64_t kPairReleased = 2'000'000'006;
inline constexpr int64_t kLcaUnreachable = 2'000'000'007;
inline constexpr int64_t kLcaReachable = 2'000'000'008;
//! The primary master: a synchronous standby does not stream / all do.
inline constexpr int64_t kSyncDegraded = 2'000'000'009;
inline constexpr int64_t kSyncRestored = 2'000'000'010;
//! A certificate (a daemon's, or an LCA's as its SCS hears) expires within
//! 30 days or has expired / is fine again.
inline constexpr int64_t kCertificateExpiring = 2'000'000'011;
inline constexpr int64_t kCertificateRenewed = 2'000'000'012;
//! Both members of an HA pair run as primary / no longer.
inline constexpr int64_t kSplitBrain = 2'000'000'013;
inline constexpr int64_t kSplitBrainResolved = 2'000'000'014;
//! An SCS that acted found another SCS of its pair acting with a newer
//! epoch (an LCA refused its command): both had acted at once.
inline constexpr int64_t kScsDeposed = 2'000'000'015;
//! The audit trail (`tandemctl logs --audit`: ids kAuditFirst..kAuditLast).
inline constexpr int64_t kAuditFirst = 2'000'001'000;
inline constexpr int64_t kAuditConfigChange = 2'000'001'001;  // a master committed a write
inline constexpr int64_t kAuditRefused = 2'000'001'002;       // a master refused a call
inline constexpr int64_t kAuditControl = 2'000'001'003;       // an SCS carried out an action
inline constexpr int64_t kAuditControlRefused = 2'000'001'004;
inline constexpr int64_t kAuditLast = 2'000'001'999;
}  // namespace framework_message

struct LoggerOptions {
  //! "host:port" of the Log Message Server pair (one, without a pair).
  std::vector<std::string> servers;
  //! The client certificate names the Application the events are from.
  TlsFiles tls;
  //! With authentication off: the Application name to claim.
  std::string claimed;
  //! The host the events say they come from.
  std::string host;
  //! At most this many events wait for acknowledgement; more are dropped.
  size_t max_buffered = 100'000;
  //! Events per request.
  size_t max_batch = 1000;
  //! A text over this many bytes is refused by Log() (the server's
  //! `[logdb] max_text_bytes`, 16 KiB by default).
  size_t max_text_bytes = 16 * 1024;
};

struct LoggerStats {
  int64_t logged = 0;
  //! Stored by the Log Database (duplicates included: they were stored
  //! before).
  int64_t acknowledged = 0;
  int64_t duplicates = 0;
  //! Dropped because the buffer was full.
  int64_t dropped = 0;
  //! Refused by the server for good (reported in the local log).
  int64_t rejected = 0;
  //! Waiting for acknowledgement now.
  int64_t buffered = 0;
  //! Requests the server refused for going over the rate limit.
  int64_t rate_limited = 0;
  //! The server that last acknowledged, and the last failure.
  std::string server;
  std::string last_error;
};

class Logger {
 public:
  explicit Logger(LoggerOptions options);
  //! Sends what it can within 2 s (Flush), then stops.
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  //! Queues the event and returns its id; INVALID_ARGUMENT for a text over
  //! the limit, RESOURCE_EXHAUSTED when the buffer is full (the event is
  //! dropped and counted). kDebug goes to the local log only (its id is
  //! empty).
  absl::StatusOr<std::string> Log(LogLevel level, int64_t message_id, const std::string& text);
  //! The same, about another application and host: only an SCS may (the
  //! server keeps the caller's own name for anyone else).
  absl::StatusOr<std::string> LogFor(const std::string& application, const std::string& host,
                                     LogLevel level, int64_t message_id, const std::string& text);
  //! Waits until everything logged so far is acknowledged (true) or
  //! `timeout` passes (false).
  bool Flush(absl::Duration timeout);
  LoggerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem::client
