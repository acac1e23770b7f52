// How the LCA starts and watches processes, behind an interface so that its
// logic (timeouts, heartbeats, re-adoption) is tested with a fake runner on
// simulated time as well as with real processes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tandem::lca {

//! One launch, fully resolved by the LCA.
struct LaunchSpec {
  std::string name;  //!< the Application's name, for messages
  std::vector<std::string> argv;
  std::string working_directory;
  std::vector<std::string> environment;  //!< "KEY=VALUE", the whole environment
  std::string os_user;                   //!< empty: as the LCA runs
  std::string log_file;                  //!< stdout and stderr, appended
  std::string status_file;               //!< the shim's record (lca/shim.h), made empty first
  std::string cgroup;                    //!< cgroup v2 directory to create; empty: none
};

//! A launched process as the LCA remembers it across its own restarts.
struct ProcessHandle {
  int64_t shim_pid = 0;
  uint64_t shim_start_ticks = 0;
  std::string cgroup;
  std::string status_file;
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  //! Starts the shim, which starts the program. An error says what to fix
  //! (missing program or directory, no file descriptors, ...); nothing runs then.
  virtual absl::StatusOr<ProcessHandle> Launch(const LaunchSpec& spec) = 0;
  //! Whether the handle's shim still runs (the same process, not a reused pid).
  virtual bool Alive(const ProcessHandle& h) = 0;
  //! The shim's status lines so far (lca/shim.h); empty if none yet.
  virtual std::vector<std::string> ReadStatus(const ProcessHandle& h) = 0;
  //! Sends `sig` to the application's whole tree (its cgroup and its process
  //! group), never to the shim. Nothing when app_pid is 0 and there is no cgroup.
  virtual absl::Status Signal(const ProcessHandle& h, int64_t app_pid, int sig) = 0;
  //! The handle is no longer watched (its shim is gone).
  virtual void Forget(const ProcessHandle& h) = 0;
  //! Blocks until a watched shim may have exited, Wake() is called, or `timeout`.
  virtual void WaitForEvents(absl::Duration timeout) = 0;
  virtual void Wake() = 0;
};
using ProcessRunnerPtr = std::unique_ptr<ProcessRunner>;

//! The real one: fork + exec of tandem-shim (at shim_path) in a session of
//! its own, pidfds to watch shims (also those started by an earlier LCA).
ProcessRunnerPtr MakeLinuxProcessRunner(std::string shim_path);

//! Whether cgroup v2 directories can be made under `root` (a writable cgroup2
//! directory with cgroup.kill): creates `root` when needed. An error says why not.
absl::Status CheckCgroupRoot(const std::string& root);

//! Finds `program` in `path` (colon-separated) when it has no slash; an error
//! naming what was searched when it is not an executable file.
absl::StatusOr<std::string> ResolveProgram(const std::string& program, const std::string& path);

}  // namespace tandem::lca
