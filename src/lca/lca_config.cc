#include "lca/lca_config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/toml_file.h"

namespace tandem::lca {
namespace {

const TomlSchema kKnownKeys = {
    {"lca",
     {"host", "listen", "port_file", "application", "state_dir", "log_dir", "cgroup_root",
      "default_user", "shim", "log_max_mib", "log_keep", "service"}},
    {"config", {"servers"}},
    {"tls", TlsKeys()},
    {"metrics", metrics::MetricsKeys()},
    {"log", {"level", "file"}},
};

absl::Status Invalid(const std::string& source, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", msg));
}

// [[lca.service]]: application, command_line (required), arguments (a list),
// working_directory, os_user, environment (a table of strings).
absl::Status ParseServices(const toml::table& root, const std::string& source,
                           std::vector<cv1::ProcessSpec>* out) {
  const toml::node* node = root["lca"]["service"].node();
  if (node == nullptr) return absl::OkStatus();
  const toml::array* list = node->as_array();
  if (list == nullptr) {
    return Invalid(source, "[[lca.service]] must be an array of tables ([[lca.service]] blocks)");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string where = absl::StrCat("[[lca.service]] #", i + 1);
    const toml::table* t = (*list)[i].as_table();
    if (t == nullptr) return Invalid(source, absl::StrCat(where, " must be a table"));
    cv1::ProcessSpec spec;
    for (const auto& [key, value] : *t) {
      const std::string k(key.str());
      if (k == "application" || k == "command_line" || k == "working_directory" || k == "os_user") {
        if (!value.is_string())
          return Invalid(source, absl::StrCat(where, ": ", k, " must be a string"));
        const std::string v = value.as_string()->get();
        if (k == "application") spec.set_application(v);
        if (k == "command_line") spec.set_command_line(v);
        if (k == "working_directory") spec.set_working_directory(v);
        if (k == "os_user") spec.set_os_user(v);
      } else if (k == "arguments") {
        const toml::array* a = value.as_array();
        if (a == nullptr)
          return Invalid(source, absl::StrCat(where, ": arguments must be a list of strings"));
        for (const toml::node& arg : *a) {
          if (!arg.is_string()) {
            return Invalid(source, absl::StrCat(where, ": arguments must be a list of strings"));
          }
          spec.add_arguments(arg.as_string()->get());
        }
      } else if (k == "environment") {
        const toml::table* env = value.as_table();
        if (env == nullptr) {
          return Invalid(
              source,
              absl::StrCat(where,
                           ": environment must be a table, e.g. { HOME = \"/var/lib/tandem\" }"));
        }
        for (const auto& [name, v] : *env) {
          if (!v.is_string()) {
            return Invalid(source, absl::StrCat(where, ": environment.", std::string(name.str()),
                                                " must be a string"));
          }
          (*spec.mutable_environment())[std::string(name.str())] = v.as_string()->get();
        }
      } else {
        return Invalid(source, absl::StrCat(where, ": unknown key '", k,
                                            "' (application, command_line, arguments, "
                                            "working_directory, os_user, environment)"));
      }
    }
    if (spec.application().empty() || spec.command_line().empty()) {
      return Invalid(source, absl::StrCat(where, ": application and command_line are required"));
    }
    if (!names.insert(spec.application()).second) {
      return Invalid(source,
                     absl::StrCat(where, ": service ", spec.application(), " is listed twice"));
    }
    out->push_back(std::move(spec));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LcaConfig> ParseLcaConfig(absl::string_view text, const std::string& source) {
  TANDEM_ASSIGN_OR_RETURN(toml::table root, ParseTomlFile(text, source, kKnownKeys, "lca"));
  LcaConfig c;
  for (auto [key, out] : std::initializer_list<std::pair<const char*, std::string*>>{
           {"host", &c.host},
           {"listen", &c.listen},
           {"port_file", &c.port_file},
           {"application", &c.application},
           {"state_dir", &c.state_dir},
           {"log_dir", &c.log_dir},
           {"cgroup_root", &c.cgroup_root},
           {"default_user", &c.default_user},
           {"shim", &c.shim}}) {
    TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "lca", key, out));
  }
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "lca", "log_max_mib", &c.log_max_mib));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "lca", "log_keep", &c.log_keep));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "config", "servers", &c.config_servers));
  TANDEM_RETURN_IF_ERROR(TomlGetTls(root, source, &c.tls));
  TANDEM_RETURN_IF_ERROR(metrics::TomlGetMetrics(root, source, &c.metrics));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "log", "level", &c.log_level));
  TANDEM_RETURN_IF_ERROR(TomlGet(root, source, "log", "file", &c.log_file));
  if (c.host.empty())
    return Invalid(source, "[lca] host is required: the name of this host's Host object");
  if (c.application.empty()) {
    return Invalid(
        source,
        "[lca] application is required: this LCA's Application object (the CN of its certificate)");
  }
  if (c.listen.find(':') == std::string::npos) {
    return Invalid(source, absl::StrCat("[lca] listen '", c.listen,
                                        "' must be HOST:PORT, e.g. \"192.0.2.21:4999\" (the "
                                        "Host's address and lca_port)"));
  }
  if (c.config_servers.empty()) {
    return Invalid(source,
                   "[config] servers is required: the configuration server to read the Host "
                   "from (the regional proxy), e.g. servers = [\"cs-proxy.example:9001\"]");
  }
  if (c.default_user == "root") {
    return Invalid(source,
                   "[lca] default_user must not be root: an Application runs as root "
                   "only when its object says os_user = \"root\"");
  }
  if (c.tls.plaintext || !c.tls.has_identity()) {
    return Invalid(source,
                   "[tls] cert, key and ca are required: an LCA takes commands only over "
                   "mutual TLS (plaintext would let anyone start programs on this host)");
  }
  if (c.log_max_mib < 1) return Invalid(source, "[lca] log_max_mib must be at least 1");
  if (c.log_keep < 0 || c.log_keep > 100) return Invalid(source, "[lca] log_keep must be 0..100");
  TANDEM_RETURN_IF_ERROR(ParseServices(root, source, &c.services));
  return c;
}

absl::StatusOr<LcaConfig> LoadLcaConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read configuration file '", path,
                                            "'; `tandemd lca --example-config` prints one"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseLcaConfig(ss.str(), path);
}

std::string AutoCgroupRoot() {
  std::string mount;
  struct stat st {};
  if (stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0) {
    mount = "/sys/fs/cgroup";
  } else if (stat("/sys/fs/cgroup/unified/cgroup.controllers", &st) == 0) {
    mount = "/sys/fs/cgroup/unified";
  } else {
    return "";
  }
  std::ifstream f("/proc/self/cgroup");
  std::string line;
  while (std::getline(f, line)) {
    if (absl::StartsWith(line, "0::")) {
      std::string own = line.substr(3);
      if (own == "/") own.clear();
      return absl::StrCat(mount, own, "/tandem-apps");
    }
  }
  return "";
}

std::string ExampleLcaConfig() {
  return R"(# tandemd lca bootstrap file: one Local Control Agent per host
[lca]
host = "app-host-1"            # this host's Host object
listen = "192.0.2.21:4999"     # one address of this host and the Host's lca_port
# port_file = "/run/tandem/lca.port"   # written with the bound port (port 0 in tests)
application = "lca-app-host-1" # this LCA's Application object (CN of its certificate)
state_dir = "/var/lib/tandem/lca"    # state file: what runs, re-adopted after a restart
log_dir = "/var/log/tandem/apps"     # NAME-DBID.log per application, size-rotated
cgroup_root = "auto"           # a cgroup v2 per application under this directory; "auto":
                               # under the LCA's own cgroup; "": process groups only
default_user = "nobody"        # for Applications that name no os_user (never root)
# shim = "/usr/lib/tandem/tandem-shim"  # default: beside tandemd
log_max_mib = 10               # rotate an application's log past this size
log_keep = 5                   # rotated files kept

# The host's own services, started when the LCA starts and again whenever
# they exit, with no SCS needed (the master Configuration Server, the SCS,
# the proxy). The SCS shows and controls them like any application of the
# host (same name as their Application object); its stop holds one stopped
# until it is started again or the LCA restarts.
# [[lca.service]]
# application = "confserv"
# command_line = "/usr/bin/tandemd"
# arguments = ["confserv", "-f", "/etc/tandem/confserv.toml"]
# os_user = "tandem"
# environment = { HOME = "/var/lib/tandem" }

[config]
# Where the LCA reads its Host (whose scs field says who may command it):
# the regional proxy, or the master pair.
servers = ["cs-proxy.example:9001"]

[tls]                          # required: commands come only over mutual TLS
cert = "/etc/tandem/pki/lca.crt"
key = "/etc/tandem/pki/lca.key"
ca = "/etc/tandem/pki/ca.crt"

# [metrics]                    # Prometheus metrics over plain HTTP (GET /metrics); leave
# listen = "127.0.0.1:9472"    # out to serve none. Loopback or the management network:
#                              # it answers anyone who can reach it

[log]
level = "info"
# file = "/var/log/tandem/lca.log"
)";
}

}  // namespace tandem::lca
