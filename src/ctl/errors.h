// Errors of tandemctl: every failure is an absl::Status whose message is the
// one line the operator sees (after "tandemctl: "), saying what to do.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tandem::ctl {

//! A mistake on the command line (exit code 2).
absl::Status UsageError(absl::string_view message);
bool IsUsageError(const absl::Status& status);

//! 0 for OK, 2 for usage errors, 1 for everything else.
int ExitCode(const absl::Status& status);

//! Status commands (db, dr, bus status) print their warnings as WARNING
//! lines; any makes the exit status 1 ("N warning(s); see above").
absl::Status WarningsStatus(const std::vector<std::string>& warnings);

//! A few words on why a call failed, e.g. "connection refused".
std::string ShortReason(const absl::Status& status);

//! Turns an RPC failure into an operator message: `what` names the call
//! ("get Application 'x'"), `server` the address. Connection failures say
//! how to point tandemctl at a running server.
absl::Status DescribeRpcError(const absl::Status& status, absl::string_view what,
                              absl::string_view server);

}  // namespace tandem::ctl
