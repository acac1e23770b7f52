// The Solution Control Server's decisions, as a pure state machine: desired
// state (the Applications of the hosts this SCS owns, and the operator's
// start/stop/switchover) against actual state (what the LCAs report), level-
// triggered and idempotent, so that a new primary SCS takes over by reading
// both and carrying on. Tick() answers the commands to send; it sends
// nothing itself, reads time only from the injected clock and is called from
// one thread (the SCS's event loop), so every timer (start timeouts, restart
// backoff, the grace period for an unreachable LCA, flip protection) is
// tested on simulated time.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "tandem/control/v1/lca.pb.h"

namespace tandem::scs {

namespace cv1 = ::tandem::control::v1;

enum class Redundancy { kNone, kWarmStandby, kHotStandby };

//! What the configuration says of one Application.
struct AppConfig {
  std::string name;
  int64_t dbid = 0;
  std::string host;
  cv1::ProcessSpec spec;
  bool autostart = false;
  bool auto_restart = false;
  absl::Duration start_timeout = absl::Seconds(90);
  absl::Duration stop_timeout = absl::Seconds(90);
  //! It uses libtandem: Started only once it says so (within start_timeout).
  bool reports_status = false;
  //! Restart it when it is hung (no heartbeats).
  bool hangup_restart = false;
  Redundancy redundancy = Redundancy::kNone;
  //! Its backup (when this one is a pair's configured primary).
  std::string backup;
  //! Servers it connects to: started before it, stopped after it.
  std::vector<std::string> connections;
};

//! The statuses of the classic framework.
enum class AppStatus {
  kUnknown,  // its host's LCA is not reachable
  kStopped,
  kPending,  // a start is on its way
  kInitializing,
  kStarted,
  kServiceUnavailable,
  kSuspending,  // stopping
  kSuspended,
};
const char* AppStatusName(AppStatus s);

struct AppView {
  std::string name;
  int64_t dbid = 0;
  std::string host;
  AppStatus status = AppStatus::kUnknown;
  absl::Time since = absl::InfinitePast();
  int64_t pid = 0;
  int restarts = 0;
  std::string last_exit;
  //! Why it is in that status when it is not the obvious (gave up, held...).
  std::string reason;
  cv1::HaMode mode = cv1::HA_MODE_UNSPECIFIED;
  int64_t mode_epoch = 0;
  bool gave_up = false;
  //! It should run (autostart or an operator's start; not given up).
  bool wanted = false;
  //! The other member of its HA pair, if it is in one.
  std::string partner;
};

struct HostView {
  std::string name;
  bool up = false;
  //! Since when it is up, or down (InfinitePast: never heard from).
  absl::Time since = absl::InfinitePast();
  int applications = 0;
  int running = 0;
  //! What its LCA said last about itself (cv1::LcaHealth).
  std::vector<std::string> warnings;
  std::vector<std::string> certificate;
};

struct Command {
  std::string host;
  std::variant<cv1::StartProcessRequest, cv1::StopProcessRequest, cv1::SetModeRequest> request;
  //! The application the command is about.
  const std::string& application() const;
};

struct ControllerOptions {
  //! This SCS's epoch (from its lease): every command carries it.
  int64_t scs_epoch = 1;
  //! An LCA unreachable for longer than this: its primaries are switched over.
  absl::Duration grace_period = absl::Seconds(5);
  //! Restart backoff: from initial, doubling, up to max.
  absl::Duration backoff_initial = absl::Seconds(1);
  absl::Duration backoff_max = absl::Seconds(60);
  //! This many failed runs (exits, failures to start, start timeouts) within
  //! failure_window: give up, visibly, until an operator starts it again.
  int max_failures = 5;
  absl::Duration failure_window = absl::Minutes(10);
  //! A run this long resets the failure count.
  absl::Duration stable_after = absl::Seconds(60);
  //! More than flip_max switchovers of a pair within flip_window: hold it
  //! (no automatic switchover) and raise an alarm.
  int flip_max = 3;
  absl::Duration flip_window = absl::Minutes(10);
  //! A command with no answer yet is sent again after this.
  absl::Duration command_retry = absl::Seconds(10);
};

class Controller {
 public:
  Controller(ControllerOptions options, Clock& clock);
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  //! The whole desired picture: the Applications of the hosts this SCS owns.
  void SetApplications(std::vector<AppConfig> apps);
  //! An LCA answered with its whole picture (at connect, after a reconnect).
  void OnLcaUp(const std::string& host, const std::vector<cv1::ProcessStatus>& picture);
  //! A status change reported by an LCA.
  void OnLcaStatus(const std::string& host, const cv1::ProcessStatus& status);
  //! The LCA's stream broke or it does not answer; the grace period runs
  //! from `last_heard` (when it was last heard from; default: now).
  void OnLcaDown(const std::string& host, absl::Time last_heard = absl::InfinitePast());
  //! What an LCA says about itself (kept while it is unreachable).
  void OnLcaHealth(const std::string& host, const cv1::LcaHealth& health);
  //! A command could not be carried out (an RPC error); the next Tick retries.
  void OnCommandFailed(const Command& command, const absl::Status& why);

  //! The operator's actions. Errors say why (unknown application, not on a
  //! host this SCS owns, no healthy backup...).
  absl::Status RequestStart(const std::string& app);
  absl::Status RequestStop(const std::string& app);
  absl::Status RequestSwitchover(const std::string& app);
  //! Stop (gracefully, stop_timeout) and start again; not counted as a
  //! failure. A stopped application is just started.
  absl::Status RequestRestart(const std::string& app);

  //! What to do now.
  std::vector<Command> Tick();
  //! The epoch commands carry from now on (the SCS pair's, once it acts).
  void SetScsEpoch(int64_t epoch) { scs_epoch_ = epoch; }

  AppView View(const std::string& app) const;
  std::vector<AppView> Views() const;
  //! The hosts `owned` (and any with applications here), with their LCA's state.
  std::vector<HostView> HostViews(const std::vector<std::string>& owned) const;
  //! Pairs held by flip protection, and other conditions for an operator.
  std::vector<std::string> Alarms() const;

 private:
  struct Host {
    bool up = false;
    bool seen = false;
    absl::Time down_since = absl::InfinitePast();
    absl::Time up_since = absl::InfinitePast();
    std::map<std::string, cv1::ProcessStatus> processes;
    cv1::LcaHealth health;
  };
  struct Runtime {
    bool known = false;  // autostart decided
    bool want_running = false;
    bool gave_up = false;
    std::string reason;
    std::deque<absl::Time> failures;
    absl::Time next_start = absl::InfinitePast();
    absl::Duration backoff = absl::ZeroDuration();
    absl::Time start_sent = absl::InfinitePast();
    absl::Time stop_sent = absl::InfinitePast();
    int32_t accounted_start = 0;  // the LCA's `starts` whose end was accounted
    int32_t timeout_start = 0;    // the start already stopped for a timeout/hang
    int32_t restart_start = -1;   // the start an operator's restart stops
    int restarts = 0;
    bool ever_started = false;
    int32_t running_start = 0;  // the LCA's `starts` last seen running
    absl::Time ran_since = absl::InfinitePast();
  };
  struct Pair {
    std::string first;  // configured primary
    std::string second;
    std::string primary;  // acting primary
    int64_t epoch = 0;
    std::deque<absl::Time> flips;
    bool held = false;
    std::map<std::string, int64_t> mode_sent;  // app -> epoch sent
  };

  const cv1::ProcessStatus* Process(const AppConfig& app) const;
  bool HostUp(const std::string& host) const;
  bool Running(const AppConfig& app) const;
  bool Healthy(const AppConfig& app) const;
  AppStatus StatusOf(const AppConfig& app) const;
  void EvaluateApp(const AppConfig& app, std::vector<Command>& out);
  void EvaluatePair(Pair& pair, std::vector<Command>& out);
  void Switch(Pair& pair, const std::string& reason, bool manual, std::vector<Command>& out);
  void Failure(const AppConfig& app, Runtime& rt, const std::string& why);
  void LearnModes(const std::string& host);
  const Pair* PairOf(const std::string& app) const;
  Pair* PairOf(const std::string& app) {
    return const_cast<Pair*>(std::as_const(*this).PairOf(app));
  }
  std::vector<std::string> DependencyOrder() const;
  cv1::HaMode ModeFor(const std::string& app) const;
  int64_t EpochFor(const std::string& app) const;

  const ControllerOptions options_;
  Clock& clock_;
  int64_t scs_epoch_;
  std::map<std::string, AppConfig> apps_;
  std::map<std::string, Runtime> runtime_;
  std::map<std::string, Host> hosts_;
  std::map<std::string, Pair> pairs_;  // by configured primary
};

}  // namespace tandem::scs
