// Does anything accept a TCP connection at host:port, within a short time?
// A host that is down (no answer at all) costs the timeout given instead of
// the longer connect timeouts of gRPC or libpq; one that refuses answers at
// once. Used to skip dead hosts quickly (tandemctl dr, PostgreSQL host lists).
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace tandem {

//! True if a TCP connection to host:port succeeds within `timeout`. A name
//! that does not resolve counts as "cannot tell": true (the real call then
//! says what is wrong).
bool TcpAnswers(const std::string& host, const std::string& port, absl::Duration timeout);

//! The same for "host:port" ("[v6]:port"); true without a port (cannot
//! tell).
bool AddressAnswers(const std::string& address, absl::Duration timeout);

//! TcpAnswers for each (host, port), all at once.
std::vector<bool> TcpAnswerAll(const std::vector<std::pair<std::string, std::string>>& endpoints,
                               absl::Duration timeout);

}  // namespace tandem
