// libtandem's link to the Local Control Agent that started this process:
// heartbeats (so a hung process is noticed), status reports (Initializing,
// Started, Service Unavailable, ...) and the HA mode (primary/backup) the
// Solution Control Server hands it, with the mode epoch it must confirm.
//
//   auto link = tandem::client::ControlLink::Start(
//       tandem::client::ControlLink::FromEnvironment().value(),
//       [&](tandem::client::HaMode mode, int64_t epoch) { BecomeMode(mode); });
//   link->Report(tandem::client::AppStatus::kStarted);
//
// The link reconnects by itself when the LCA restarts (the LCA re-adopts
// the process) and sends its last status again.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tandem::client {

enum class HaMode { kUnknown, kPrimary, kBackup };
const char* HaModeName(HaMode mode);

enum class AppStatus {
  kInitializing,
  kStarted,
  kServiceUnavailable,
  kSuspending,
  kSuspended,
};

struct ControlOptions {
  //! The LCA's Unix socket (TANDEM_LCA_SOCKET).
  std::string socket;
  //! This process's Application name (TANDEM_APPLICATION).
  std::string application;
  //! The secret of this start (TANDEM_LCA_TOKEN).
  std::string token;
  //! Heartbeats from the link's own thread at the period the LCA asks for.
  //! Off: the application calls Heartbeat() from its main loop, so that a
  //! stuck loop (not only a stuck process) is noticed.
  bool auto_heartbeat = true;
};

class ControlLink {
 public:
  //! Called on the link's thread when the SCS hands a new mode; when it
  //! returns, the mode is confirmed with its epoch. Must not block long.
  using ModeCallback = std::function<void(HaMode mode, int64_t epoch)>;

  //! The options the LCA put in the environment; NOT_FOUND (saying so) when
  //! this process was not started by an LCA.
  static absl::StatusOr<ControlOptions> FromEnvironment();
  //! Connects in the background and returns at once.
  static std::unique_ptr<ControlLink> Start(ControlOptions options, ModeCallback on_mode = nullptr);
  virtual ~ControlLink() = default;

  //! Tells the LCA (and through it the SCS and the operator) how it is.
  virtual void Report(AppStatus status, const std::string& detail = "") = 0;
  virtual void Heartbeat() = 0;
  //! The mode last handed and its epoch (kUnknown, 0 before any).
  virtual HaMode mode() const = 0;
  virtual int64_t epoch() const = 0;
  //! Whether the stream to the LCA is up and accepted.
  virtual bool connected() const = 0;
  //! Ends the link (idempotent).
  virtual void Stop() = 0;
};

}  // namespace tandem::client
