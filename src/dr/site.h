// The site description the disaster-recovery commands work from (`tandemctl
// dr --site FILE`, TOML): the DNS server and names, and per region its DBMS,
// master pair and proxies.
//
//   [dns]
//   server = "192.0.2.53"            # HOST[:PORT], numeric
//   zone = "tandem.test."
//   key_file = "/etc/tandem/tsig.key"
//   names = ["fw-p", "fw-b", "cfgmaster"]
//   [regions.r1]
//   dbms = "host=198.51.100.10 user=postgres dbname=tandem"
//   masters = ["198.51.100.11:9000", "198.51.100.12:9000"]
//   proxies = ["198.51.100.21:9100", "198.51.100.22:9100"]
//   [regions.r2]
//   ...
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tandem::dr {

struct Region {
  std::string name;
  //! libpq conninfo of the region's DBMS (the Configuration Database).
  std::string dbms;
  std::vector<std::string> masters;
  std::vector<std::string> proxies;
};

struct Site {
  std::string dns_server;
  std::string zone;
  std::string key_file;
  std::vector<std::string> names;
  //! In file order (the first is the normally live region).
  std::vector<Region> regions;
};

//! Errors name the file, the line and the key.
absl::StatusOr<Site> ParseSite(absl::string_view text, const std::string& source);
absl::StatusOr<Site> LoadSite(const std::string& path);

}  // namespace tandem::dr
