// The site description the disaster-recovery commands work from (`tandemctl
// dr --site FILE`, TOML): the DNS server and names, and per region its DBMS,
// master pair and proxies.
//
//   [dns]
//   server = "192.0.2.53"            # HOST[:PORT], numeric
//   zone = "tandem.test."
//   key_file = "/etc/tandem/tsig.key"
//   names = ["fw-p", "fw-b", "cfgmaster"]
//   ttl = 5                          # of the records the runbooks set
//   [regions.r1]
//   dbms = "host=198.51.100.10 user=postgres dbname=tandem"
//   masters = ["198.51.100.11:9000", "198.51.100.12:9000"]
//   proxies = ["198.51.100.21:9100", "198.51.100.22:9100"]
//   scs = ["198.51.100.11:4998", "198.51.100.12:4998"]   # optional: its SCSs
//   message_servers = ["198.51.100.11:4997", "198.51.100.21:4996"]  # optional
//   addresses = { fw-p = "198.51.100.11", fw-b = "198.51.100.12", cfgmaster = "198.51.100.11" }
//   dbms_host = "r1-dbms"            # a [hosts] entry
//   framework_hosts = ["r1-fw-p", "r1-fw-b"]
//   [regions.r2]
//   ...
//   [hosts.r1-dbms]                  # commands that reach outside Tandem
//   start = "virsh start r1-dbms"
//   fence = "ssh r1-dbms tandemctl db fence --method nft --port 5432 --from $TANDEM_FENCE_FROM"
//   ...
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tandem/tls_files.h"

namespace tandem::dr {

struct Region {
  std::string name;
  //! libpq conninfo of the region's DBMS (the Configuration Database).
  std::string dbms;
  std::vector<std::string> masters;
  std::vector<std::string> proxies;
  //! Its Solution Control Servers' ScsControl addresses (optional).
  std::vector<std::string> scs;
  //! Its Message Servers and Log Message Servers (optional).
  std::vector<std::string> message_servers;
  //! What each DNS name (Site::names) points at when this region is live.
  std::vector<std::pair<std::string, std::string>> addresses;
  //! The [hosts] entry of the DBMS VM, and of the framework VMs.
  std::string dbms_host;
  std::vector<std::string> framework_hosts;
};

//! Commands that reach outside Tandem for one host (run with /bin/sh -c;
//! exit 0 = success). Empty = not configured. See docs/DR.md for the
//! environment they get.
struct HostCommands {
  std::string name;
  //! Boot the VM (its services start as its init starts them).
  std::string start;
  //! Power the VM off (or stop its Tandem services).
  std::string stop;
  //! DBMS VMs: refuse DBMS connections from $TANDEM_FENCE_FROM (CIDRs,
  //! comma-separated), in
  //! a way that survives the VM's restart and works while it is down.
  std::string fence;
  std::string unfence;
  //! DBMS VMs: turn this (old primary) DBMS into a streaming standby of
  //! $TANDEM_PRIMARY_CONNINFO.
  std::string rebuild;
};

struct Site {
  //! [tls] (optional): how `tandemctl dr` reaches the masters and proxies:
  //! ca, and cert/key for a client certificate, or plaintext = true. Without
  //! it, tandemctl's own --ca/--cert/--key/--plaintext apply.
  TlsFiles tls;
  bool tls_given = false;
  //! The session token `dr` sends (tandemctl's login), so that servers with
  //! authentication on tell it everything (storage, epochs).
  std::string token;
  std::string dns_server;
  std::string zone;
  std::string key_file;
  std::vector<std::string> names;
  uint32_t ttl = 5;
  //! In file order (the first is the normally live region).
  std::vector<Region> regions;
  std::vector<HostCommands> hosts;

  const Region* FindRegion(const std::string& name) const;
  //! nullptr when the host has no [hosts] entry.
  const HostCommands* FindHost(const std::string& name) const;
};

//! Errors name the file, the line and the key.
absl::StatusOr<Site> ParseSite(absl::string_view text, const std::string& source);
absl::StatusOr<Site> LoadSite(const std::string& path);

}  // namespace tandem::dr
