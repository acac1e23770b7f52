// Validation of what an operator types: server addresses, owner names and
// IP addresses. Nothing here touches the network.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tandem::dns {

//! A DNS server: a numeric IPv4/IPv6 address (no name resolution, so the
//! system resolver is never involved) and a port.
struct ServerAddress {
  std::string host;
  uint16_t port = 53;
  //! "host:port" or "[v6]:port", for messages.
  std::string ToString() const;
};

//! Parses "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT"; HOST must be a numeric
//! address. Errors are InvalidArgument.
absl::StatusOr<ServerAddress> ParseServer(absl::string_view text);

//! An absolute domain name in lower case with the trailing dot; checks label
//! and name lengths and characters (letters, digits, '-', '_', '*').
absl::StatusOr<std::string> AbsoluteName(absl::string_view name);

//! `name` as an absolute name inside `zone`. A name ending in '.' is
//! absolute; one without the dot that already ends in the zone's name is
//! taken as written; anything else is relative to the zone ("fw-p" in
//! "tandem.test." is "fw-p.tandem.test."). A name outside the zone is
//! InvalidArgument.
absl::StatusOr<std::string> NameInZone(absl::string_view name, absl::string_view zone);

//! The address family of a textual address.
enum class Family { kIPv4, kIPv6 };

//! A validated address in canonical text form (inet_ntop) and its family.
struct IpAddress {
  std::string text;
  Family family = Family::kIPv4;
};

//! Parses a numeric IPv4 or IPv6 address; InvalidArgument otherwise.
absl::StatusOr<IpAddress> ParseAddress(absl::string_view text);

}  // namespace tandem::dns
