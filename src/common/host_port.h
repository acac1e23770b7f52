// "host:port" addresses as operators write them: parsed and checked before
// anything dials or listens, so a typo gets one clear line instead of a
// resolver's error from deep inside gRPC.
#pragma once

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tandem {

struct HostPort {
  std::string host;  //!< a name, an IPv4 address or an IPv6 address (no brackets)
  int port = 0;      //!< 0..65535; 0 only where the caller allows it (listen on any port)
  //! "host:port", or "[v6]:port" for an IPv6 host.
  std::string ToString() const;
};

//! "host:port" (or "[v6]:port") -> {host, port}; port empty if none. No checks.
std::pair<std::string, std::string> SplitHostPort(absl::string_view address);

//! The Host object's name of the host this process runs on: TANDEM_HOST
//! (which the LCA that started it sets), else the hostname.
std::string ThisHost();

//! Parses and checks "HOST:PORT": a non-empty host without spaces, a port
//! 1..65535 (0 too when `allow_port_zero`). Errors read "invalid address
//! 'x': expected HOST:PORT, ...". `what` names the setting ("--server").
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, absl::string_view what,
                                       bool allow_port_zero = false);

}  // namespace tandem
