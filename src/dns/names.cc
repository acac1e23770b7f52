#include "dns/names.h"

#include <arpa/inet.h>

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tandem::dns {
namespace {

bool IsNumericHost(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

std::string ServerAddress::ToString() const {
  if (absl::StrContains(host, ':')) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<ServerAddress> ParseServer(absl::string_view text) {
  ServerAddress server;
  std::string port;
  if (absl::StartsWith(text, "[")) {
    size_t close = text.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("bad DNS server '", text, "': missing ']'"));
    }
    server.host = std::string(text.substr(1, close - 1));
    absl::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') {
        return absl::InvalidArgumentError(
            absl::StrCat("bad DNS server '", text, "': expected [ADDRESS]:PORT"));
      }
      port = std::string(rest.substr(1));
    }
  } else if (std::count(text.begin(), text.end(), ':') > 1) {
    server.host = std::string(text);  // a bare IPv6 address
  } else {
    std::vector<std::string> parts = absl::StrSplit(text, ':');
    server.host = parts[0];
    if (parts.size() == 2) port = parts[1];
    if (parts.size() == 2 && port.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("bad DNS server '", text, "': empty port"));
    }
  }
  if (server.host.empty() || !IsNumericHost(server.host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad DNS server '", text,
        "': give the server's IP address, e.g. 192.0.2.53 or 192.0.2.53:5353 or [2001:db8::53]:53 "
        "(names are not resolved, so the answer never depends on the local resolver)"));
  }
  if (!port.empty()) {
    int value = 0;
    if (!absl::SimpleAtoi(port, &value) || value < 1 || value > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad DNS server '", text, "': the port must be 1-65535"));
    }
    server.port = static_cast<uint16_t>(value);
  }
  return server;
}

absl::StatusOr<std::string> AbsoluteName(absl::string_view name) {
  std::string out = absl::AsciiStrToLower(name);
  if (out.empty()) return absl::InvalidArgumentError("empty name");
  if (out == ".") return out;
  if (out.back() != '.') out += '.';
  if (out.size() > 254) {
    return absl::InvalidArgumentError(
        absl::StrCat("name '", name, "' is longer than 253 characters"));
  }
  std::vector<absl::string_view> labels =
      absl::StrSplit(absl::string_view(out).substr(0, out.size() - 1), '.');
  for (absl::string_view label : labels) {
    if (label.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("name '", name, "' has an empty label"));
    }
    if (label.size() > 63) {
      return absl::InvalidArgumentError(
          absl::StrCat("name '", name, "' has a label longer than 63 characters"));
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '*') {
        return absl::InvalidArgumentError(absl::StrCat("name '", name, "' has the character '",
                                                       std::string(1, c),
                                                       "'; use letters, digits and '-'"));
      }
    }
  }
  return out;
}

absl::StatusOr<std::string> NameInZone(absl::string_view name, absl::string_view zone) {
  absl::StatusOr<std::string> zone_abs = AbsoluteName(zone);
  if (!zone_abs.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("bad zone: ", zone_abs.status().message()));
  }
  if (name.empty()) return absl::InvalidArgumentError("empty name");
  std::string lower = absl::AsciiStrToLower(name);
  std::string zone_bare = zone_abs->substr(0, zone_abs->size() - 1);
  std::string candidate;
  if (lower.back() == '.' || lower == zone_bare || absl::EndsWith(lower, "." + zone_bare) ||
      *zone_abs == ".") {
    candidate = lower;
  } else {
    candidate = absl::StrCat(lower, ".", zone_bare);  // relative to the zone
  }
  absl::StatusOr<std::string> abs = AbsoluteName(candidate);
  if (!abs.ok()) return abs.status();
  if (*zone_abs != "." && *abs != *zone_abs && !absl::EndsWith(*abs, "." + *zone_abs)) {
    return absl::InvalidArgumentError(
        absl::StrCat("name '", name, "' is outside zone ", *zone_abs,
                     "; give a name in the zone (relative names are taken inside it)"));
  }
  return abs;
}

absl::StatusOr<IpAddress> ParseAddress(absl::string_view text) {
  std::string s(text);
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN];
  IpAddress address;
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
    address.family = Family::kIPv4;
    inet_ntop(AF_INET, buf, out, sizeof(out));
  } else if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    address.family = Family::kIPv6;
    inet_ntop(AF_INET6, buf, out, sizeof(out));
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' is not an IPv4 or IPv6 address (e.g. 198.51.100.11 or 2001:db8::11)"));
  }
  address.text = out;
  return address;
}

}  // namespace tandem::dns
