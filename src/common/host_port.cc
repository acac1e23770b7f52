#include "common/host_port.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tandem {

std::string HostPort::ToString() const {
  if (absl::StrContains(host, ':')) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

std::string ThisHost() {
  if (const char* h = std::getenv("TANDEM_HOST"); h != nullptr && *h != '\0') return h;
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

std::pair<std::string, std::string> SplitHostPort(absl::string_view address) {
  if (!address.empty() && address[0] == '[') {
    const size_t close = address.find(']');
    if (close != absl::string_view::npos && close + 1 < address.size() &&
        address[close + 1] == ':') {
      return {std::string(address.substr(1, close - 1)), std::string(address.substr(close + 2))};
    }
  }
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return {std::string(address), ""};
  return {std::string(address.substr(0, colon)), std::string(address.substr(colon + 1))};
}

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, absl::string_view what,
                                       bool allow_port_zero) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": invalid address '", text,
                                                   "': expected HOST:PORT (e.g. ",
                                                   "127.0.0.1:9000 or [::1]:9000); ", why));
  };
  if (text.empty()) return invalid("it is empty");
  for (char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) ||
        !absl::ascii_isprint(static_cast<unsigned char>(c))) {
      return invalid("it contains a space or control character");
    }
  }
  auto [host, port] = SplitHostPort(text);
  if (port.empty() && !absl::StrContains(text, ':')) return invalid("the port is missing");
  if (host.empty()) return invalid("the host is missing");
  // An unbracketed IPv6 address: "::1:9000" cannot be told from "::1" port 9000.
  if (absl::StrContains(host, ':') && text[0] != '[') {
    return invalid("write an IPv6 host in brackets, [v6]:PORT");
  }
  if (host.find_first_of("[]/") != std::string::npos) return invalid("the host is malformed");
  int number = -1;
  if (port.empty() ||
      !std::all_of(port.begin(), port.end(),
                   [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }) ||
      port.size() > 5 || !absl::SimpleAtoi(port, &number) || number > 65535 ||
      (number == 0 && !allow_port_zero)) {
    return invalid(absl::StrCat("the port '", port, "' is not a number 1..65535"));
  }
  return HostPort{host, number};
}

}  // namespace tandem
