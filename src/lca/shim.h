// tandem-shim: the parent of one application process, so that the LCA can
// die and come back without its applications noticing (the conmon /
// containerd-shim design). The LCA starts the shim; the shim starts the
// application and records what happens to it in a status file, line by line:
//
//   started PID            the program was executed (PID is the application's)
//   exec-failed ERRNO MSG  it could not be started (ERRNO from execvp/chdir/...)
//   exited CODE            it exited with CODE
//   killed SIGNAL          it was ended by SIGNAL
//   done                   what it left behind is gone too; the shim exits
//
// The application runs in its own process group (and in --cgroup DIR when
// given); when it exits, whatever it left behind in its cgroup, its process
// group, or reparented to the shim (a child subreaper) is killed, so no orphan
// survives it. The shim ignores termination signals: the LCA signals the
// application's tree, never the shim.
#pragma once

namespace tandem::lca {

//! main() of tandem-shim. Usage:
//!   tandem-shim --status-file FILE [--cgroup DIR] [--user NAME] [--chdir DIR] -- PROGRAM ARGS...
//! The environment is passed to PROGRAM as it is.
int ShimMain(int argc, char** argv);

}  // namespace tandem::lca
