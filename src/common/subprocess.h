// Runs an external program (pg_basebackup, pg_ctl, nft, ...) without a shell:
// arguments are passed as they are, so nothing needs quoting.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tandem {

struct SubprocessOptions {
  //! Stop the program (SIGTERM, then SIGKILL after 5 s) after this long.
  absl::Duration timeout = absl::Minutes(10);
  //! Let the program write its stderr to ours (progress output) instead of
  //! capturing it.
  bool pass_stderr = false;
  //! Run as this user (via runuser) when we are root; empty = as we are.
  std::string as_user;
};

struct SubprocessResult {
  int exit_code = 0;
  //! stdout and (unless passed through) stderr, interleaved.
  std::string output;
};

//! Runs argv[0] (looked up in PATH) and waits. An error only when it could
//! not run or timed out; a non-zero exit is in exit_code.
absl::StatusOr<SubprocessResult> RunSubprocess(const std::vector<std::string>& argv,
                                               const SubprocessOptions& options = {});

//! Like RunSubprocess, but a non-zero exit is an error quoting the output.
absl::StatusOr<std::string> RunChecked(const std::vector<std::string>& argv,
                                       const SubprocessOptions& options = {});

//! argv as a shell-like line, for messages.
std::string CommandLine(const std::vector<std::string>& argv);

}  // namespace tandem
