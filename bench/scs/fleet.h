// What the management-layer benchmarks share: objects written to a real
// confserv, LCA status reads, process CPU and memory from /proc.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tandem/config/v1/config.pb.h"
#include "tandem/control/v1/lca.pb.h"
#include "testing/lca_process.h"
#include "testing/tandemd_process.h"

namespace tandem::bench {

config::v1::Value Ref(config::v1::ObjectType type, const std::string& name);
//! Creates `o` (enabled); false (and a message on stderr) on failure.
bool Create(const testing::TandemdProcess& master, config::v1::ConfigObject o);
//! A Host on loopback whose LCA listens on `port` and whose scs is "scs".
config::v1::ConfigObject LoopbackHost(const std::string& name, int port);
//! An autostart, auto_restart Application running `sleep 3600` on `host`.
config::v1::ConfigObject SleeperApp(const std::string& name, const std::string& host);
//! Every process an LCA reports, as the SCS ("scs") reads them.
std::vector<control::v1::ProcessStatus> Statuses(const testing::LcaProcess& lca);
std::optional<control::v1::ProcessStatus> StatusOf(const testing::LcaProcess& lca,
                                                   const std::string& app);
double Percentile(std::vector<double> v, double p);
//! Kills every application an LCA reports (its process group; its shim
//! then exits): the applications outlive their LCAs by design, so a
//! benchmark must end them itself.
void KillApplications(const testing::LcaProcess& lca);

//! CPU seconds (user + system) and resident memory of a process.
struct ProcUsage {
  double cpu_s = 0;
  double rss_mib = 0;
};
ProcUsage Usage(pid_t pid);

}  // namespace tandem::bench
