// The Local Control Agent's core: the processes of one host, started,
// stopped and watched as its SCS commands, remembered in a state file so that
// a restarted LCA re-adopts them (their shims keep running and record exits
// while the LCA is away). The gRPC service (lca_service.*) is a thin layer on
// top; the clock and the process runner come in through the constructor.
//
// Thread-safety: every public method may be called from any thread; one
// mutex guards the state. Listeners are called without it held.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "lca/process_runner.h"
#include "lca/process_state.h"
#include "tandem/control/v1/lca.pb.h"

namespace tandem::lca {

namespace cv1 = ::tandem::control::v1;

struct AgentOptions {
  //! The Host object this LCA is.
  std::string host;
  //! State file, shim status files (run/); created when missing.
  std::string state_dir;
  //! Applications' stdout/stderr files, NAME.log, rotated to NAME.log.1...
  std::string log_dir;
  //! cgroup v2 directory under which each application gets its own; empty:
  //! process groups only.
  std::string cgroup_root;
  //! User for specs that name none, when the LCA runs as root.
  std::string default_user = "nobody";
  //! PATH for programs whose spec has no PATH of its own.
  std::string default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  int64_t log_max_bytes = 10 << 20;
  int log_keep = 5;
  //! How often log sizes are checked.
  absl::Duration log_check_period = absl::Seconds(1);
  //! The Unix socket of the AppAgent service, handed to every process as
  //! TANDEM_LCA_SOCKET (with TANDEM_APPLICATION, TANDEM_LCA_TOKEN and
  //! TANDEM_HOST, the `host` above).
  std::string app_socket;
  //! The host's own services ([[lca.service]]): started by StartServices()
  //! and again whenever they exit (after service_restart_initial, doubling
  //! to service_restart_max; a run of service_stable_after resets it),
  //! unless an SCS stopped them. One that ended while the LCA was down
  //! starts again at once.
  std::vector<cv1::ProcessSpec> services;
  absl::Duration service_restart_initial = absl::Seconds(1);
  absl::Duration service_restart_max = absl::Seconds(30);
  absl::Duration service_stable_after = absl::Seconds(60);
};

class Agent {
 public:
  Agent(AgentOptions options, Clock& clock, ProcessRunner& runner);
  //! Stops the loop. The processes keep running, to be re-adopted.
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  //! Creates the directories and reads the state file (if any): the processes
  //! it lists are watched again. Call once, before anything else.
  absl::Status Recover();
  //! Starts the services (options.services) that do not run (a restarted
  //! LCA has re-adopted those that do). Call after Recover().
  void StartServices();
  //! Runs Poll() on a thread of its own, woken by process exits: every
  //! `busy_period` while a process is starting or stopping (its shim's
  //! report is awaited), every `idle_period` otherwise (timers only).
  void StartLoop(absl::Duration busy_period = absl::Milliseconds(20),
                 absl::Duration idle_period = absl::Milliseconds(500));
  void StopLoop();

  //! Each returns the process's status after the command; a process that
  //! cannot start is FAILED with its reason (not an error). Errors: a stale
  //! SCS epoch (FAILED_PRECONDITION), an unknown application (NOT_FOUND),
  //! a bad spec (INVALID_ARGUMENT).
  absl::StatusOr<cv1::ProcessStatus> Start(const cv1::StartProcessRequest& req);
  absl::StatusOr<cv1::ProcessStatus> Stop(const cv1::StopProcessRequest& req);
  absl::StatusOr<cv1::ProcessStatus> SetMode(const cv1::SetModeRequest& req);
  cv1::GetStatusResponse Status(const std::string& application = {});
  //! What the agent cannot do (Status's warnings, without the processes).
  std::vector<std::string> Warnings();

  //! Called with every process whose status changed (after it is saved).
  using Listener = std::function<void(const std::vector<cv1::ProcessStatus>&)>;
  int Subscribe(Listener listener);
  void Unsubscribe(int id);

  //! One round: shim reports, exits, stop timeouts, log rotation. The loop
  //! calls it; tests on simulated time call it directly.
  //! Returns whether a process is starting or stopping.
  bool Poll();

  //! The application side (AppAgent, through libtandem). Each call names the
  //! application and the token of its current start; a process of an
  //! earlier start, or anyone else, is refused (PERMISSION_DENIED).
  //! Attach answers the heartbeat period in ms (0: none expected).
  absl::StatusOr<int> Attach(const std::string& app, const std::string& token);
  //! Heartbeats are kept in memory only (no state-file write per beat).
  absl::Status Heartbeat(const std::string& app, const std::string& token);
  absl::Status Report(const std::string& app, const std::string& token, cv1::AppStatus status,
                      const std::string& detail);
  //! Confirms the mode of `epoch`; an epoch that is not the current one is
  //! ignored (a late answer to a change superseded since).
  absl::Status Confirm(const std::string& app, const std::string& token, cv1::HaMode mode,
                       int64_t epoch);
  void Detach(const std::string& app, const std::string& token);

  //! Who may command this LCA (saved in the state file, so that a restarted
  //! LCA obeys its owner while the configuration is unreachable).
  void SetOwners(std::vector<std::string> owners);
  std::vector<std::string> Owners() const;

  //! "cgroup v2 under DIR" or "process groups (why)".
  std::string isolation() const { return isolation_; }

 private:
  struct Managed {
    cv1::LcaState::Managed state;
    //! Set on recovery: the next reports may be of things that happened
    //! while the LCA was down.
    bool recovered = false;
    bool killed = false;
    absl::Time next_log_check = absl::InfinitePast();
    //! A service: an SCS stopped it (not restarted until an SCS starts it).
    bool held = false;
    //! A service that is not running: when it is started again.
    absl::Time next_restart = absl::InfinitePast();
    absl::Duration restart_backoff = absl::ZeroDuration();
    absl::Time launched_at = absl::InfinitePast();
    //! The program ended but its shim has not said "done": it is still
    //! killing what the program left, in the same cgroup and status file
    //! a new start would use, so nothing is started until it has.
    bool ShimFinishing() const {
      return state.shim_pid() != 0 && !IsActive(state.status().state());
    }
  };
  //! A service that ended is scheduled and started again; true when it was.
  bool RestartService(Managed& m, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Status CheckEpoch(const cv1::CommandHeader& h) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  //! Launches `m` from its spec; FAILED with the reason when it cannot.
  void Launch(Managed& m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  //! Applies new shim lines and a vanished shim; true when something changed.
  bool Observe(Managed& m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  //! The process of `app`, or NOT_FOUND.
  absl::StatusOr<Managed*> Find(const std::string& app) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  //! The process of `app` whose current start has `token`, or an error.
  absl::StatusOr<Managed*> Caller(const std::string& app, const std::string& token)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  //! Hung when no heartbeat came for its hangup timeout; true when it changed.
  bool CheckHeartbeat(Managed& m, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  //! Applies one app-side change: saved and notified when `changed`.
  void Changed(const cv1::ProcessStatus& s, bool save) ABSL_LOCKS_EXCLUDED(mu_);
  void RotateLog(Managed& m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetState(cv1::ProcessStatus& s, cv1::ProcessState state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  ProcessHandle HandleOf(const Managed& m) const;
  //! Writes the state file (atomically); a failure becomes a warning.
  void Save() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Notify(std::vector<cv1::ProcessStatus> changed) ABSL_LOCKS_EXCLUDED(mu_);
  std::string FileStem(const cv1::ProcessSpec& spec) const;
  std::vector<std::string> WarningsLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const AgentOptions options_;
  Clock& clock_;
  ProcessRunner& runner_;
  std::string isolation_;
  std::string cgroup_root_;

  mutable absl::Mutex mu_;
  std::map<std::string, Managed> processes_ ABSL_GUARDED_BY(mu_);
  int64_t scs_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> owners_ ABSL_GUARDED_BY(mu_);
  std::string save_warning_ ABSL_GUARDED_BY(mu_);

  absl::Mutex listeners_mu_;
  std::map<int, Listener> listeners_ ABSL_GUARDED_BY(listeners_mu_);
  int next_listener_ ABSL_GUARDED_BY(listeners_mu_) = 0;

  absl::Mutex loop_mu_;
  bool loop_stop_ ABSL_GUARDED_BY(loop_mu_) = false;
  std::thread loop_;
};

}  // namespace tandem::lca
