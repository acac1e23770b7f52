#include "dr/site.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/toml_file.h"

namespace tandem::dr {
namespace {

absl::Status Strings(const toml::table& t, const std::string& source, const std::string& where,
                     const char* key, std::vector<std::string>* out, bool required) {
  const toml::node* node = t.get(key);
  if (node == nullptr) {
    if (!required) return absl::OkStatus();
    return TomlError(source, &t, absl::StrCat("[", where, "] needs ", key));
  }
  const toml::array* array = node->as_array();
  bool ok = array != nullptr && !array->empty();
  if (ok) {
    for (const toml::node& item : *array) ok = ok && item.is_string();
  }
  if (!ok) {
    return TomlError(source, node,
                     absl::StrCat("[", where, "] ", key, " must be a non-empty list of strings"));
  }
  for (const toml::node& item : *array) out->push_back(**item.as_string());
  return absl::OkStatus();
}

absl::Status String(const toml::table& t, const std::string& source, const std::string& where,
                    const char* key, std::string* out) {
  const toml::node* node = t.get(key);
  if (node == nullptr) return TomlError(source, &t, absl::StrCat("[", where, "] needs ", key));
  if (!node->is_string() || node->as_string()->get().empty()) {
    return TomlError(source, node, absl::StrCat("[", where, "] ", key, " must be a string"));
  }
  *out = **node->as_string();
  return absl::OkStatus();
}

absl::Status OptionalString(const toml::table& t, const std::string& source,
                            const std::string& where, const char* key, std::string* out) {
  if (t.get(key) == nullptr) return absl::OkStatus();
  return String(t, source, where, key, out);
}

absl::Status OnlyKeys(const toml::table& t, const std::string& source, const std::string& where,
                      std::initializer_list<std::string_view> keys) {
  for (const auto& [key, value] : t) {
    if (std::find(keys.begin(), keys.end(), key.str()) == keys.end()) {
      return TomlError(source, &value,
                       absl::StrCat("unknown key '", std::string(key.str()), "' in [", where, "]"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Site> ParseSite(absl::string_view text, const std::string& source) {
  TANDEM_ASSIGN_OR_RETURN(toml::table root, ParseToml(text, source));
  TANDEM_RETURN_IF_ERROR(OnlyKeys(root, source, "top level", {"dns", "regions", "hosts", "tls"}));
  Site site;
  if (const toml::table* tls = root["tls"].as_table()) {
    TANDEM_RETURN_IF_ERROR(OnlyKeys(*tls, source, "tls", {"ca", "cert", "key", "plaintext"}));
    TANDEM_RETURN_IF_ERROR(TomlReadTlsFiles(root, source, &site.tls));
    if (site.tls.plaintext == !site.tls.ca.empty()) {
      return TomlError(source, tls,
                       "[tls] needs ca (and cert, key for a client certificate), or "
                       "plaintext = true");
    }
    if (site.tls.cert.empty() != site.tls.key.empty()) {
      return TomlError(source, tls, "[tls] cert and key go together");
    }
    site.tls_given = true;
  }
  const toml::table* dns = root["dns"].as_table();
  if (dns == nullptr) return TomlError(source, nullptr, "[dns] is missing");
  TANDEM_RETURN_IF_ERROR(
      OnlyKeys(*dns, source, "dns", {"server", "zone", "key_file", "names", "ttl"}));
  TANDEM_RETURN_IF_ERROR(String(*dns, source, "dns", "server", &site.dns_server));
  TANDEM_RETURN_IF_ERROR(String(*dns, source, "dns", "zone", &site.zone));
  TANDEM_RETURN_IF_ERROR(String(*dns, source, "dns", "key_file", &site.key_file));
  TANDEM_RETURN_IF_ERROR(Strings(*dns, source, "dns", "names", &site.names, true));
  if (const toml::node* ttl = dns->get("ttl")) {
    const std::optional<int64_t> v = ttl->value<int64_t>();
    if (!ttl->is_integer() || !v || *v < 1 || *v > 86400) {
      return TomlError(source, ttl, "[dns] ttl must be an integer number of seconds, 1..86400");
    }
    site.ttl = static_cast<uint32_t>(*v);
  }
  const toml::table* regions = root["regions"].as_table();
  if (regions == nullptr || regions->size() < 2) {
    return TomlError(source, regions,
                     "give two regions, [regions.NAME] each with dbms, masters and proxies");
  }
  // toml++ keeps tables ordered by key; file order is what the operator
  // means by "first", so sort by source position.
  std::vector<std::pair<toml::source_position, std::string>> order;
  for (const auto& [name, node] : *regions)
    order.push_back({node.source().begin, std::string(name.str())});
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.first.line < b.first.line ||
           (a.first.line == b.first.line && a.first.column < b.first.column);
  });
  for (const auto& [pos, name] : order) {
    const toml::table* t = (*regions)[name].as_table();
    const std::string where = absl::StrCat("regions.", name);
    if (t == nullptr)
      return TomlError(source, nullptr, absl::StrCat("[", where, "] must be a table"));
    TANDEM_RETURN_IF_ERROR(OnlyKeys(*t, source, where,
                                    {"dbms", "masters", "proxies", "scs", "message_servers",
                                     "addresses", "dbms_host", "framework_hosts"}));
    Region r;
    r.name = name;
    TANDEM_RETURN_IF_ERROR(String(*t, source, where, "dbms", &r.dbms));
    TANDEM_RETURN_IF_ERROR(Strings(*t, source, where, "masters", &r.masters, true));
    TANDEM_RETURN_IF_ERROR(Strings(*t, source, where, "proxies", &r.proxies, false));
    TANDEM_RETURN_IF_ERROR(Strings(*t, source, where, "scs", &r.scs, false));
    TANDEM_RETURN_IF_ERROR(
        Strings(*t, source, where, "message_servers", &r.message_servers, false));
    TANDEM_RETURN_IF_ERROR(OptionalString(*t, source, where, "dbms_host", &r.dbms_host));
    TANDEM_RETURN_IF_ERROR(
        Strings(*t, source, where, "framework_hosts", &r.framework_hosts, false));
    if (const toml::node* node = t->get("addresses")) {
      const toml::table* a = node->as_table();
      if (a == nullptr) {
        return TomlError(source, node,
                         absl::StrCat("[", where, "] addresses must be a table of name = \"IP\""));
      }
      for (const std::string& name : site.names) {
        const toml::node* v = a->get(name);
        if (v == nullptr || !v->is_string()) {
          return TomlError(source, node,
                           absl::StrCat("[", where, "] addresses needs ", name,
                                        " = \"IP\" (every name in [dns] names)"));
        }
        r.addresses.push_back({name, **v->as_string()});
      }
      if (a->size() != site.names.size()) {
        return TomlError(
            source, node,
            absl::StrCat("[", where, "] addresses has a name that is not in [dns] names"));
      }
    }
    site.regions.push_back(std::move(r));
  }
  if (const toml::node* node = root.get("hosts")) {
    const toml::table* hosts = node->as_table();
    if (hosts == nullptr) return TomlError(source, node, "[hosts] must be a table of tables");
    for (const auto& [name, value] : *hosts) {
      const std::string where = absl::StrCat("hosts.", std::string(name.str()));
      const toml::table* t = value.as_table();
      if (t == nullptr)
        return TomlError(source, &value, absl::StrCat("[", where, "] must be a table"));
      TANDEM_RETURN_IF_ERROR(
          OnlyKeys(*t, source, where, {"start", "stop", "fence", "unfence", "rebuild"}));
      HostCommands h;
      h.name = std::string(name.str());
      TANDEM_RETURN_IF_ERROR(OptionalString(*t, source, where, "start", &h.start));
      TANDEM_RETURN_IF_ERROR(OptionalString(*t, source, where, "stop", &h.stop));
      TANDEM_RETURN_IF_ERROR(OptionalString(*t, source, where, "fence", &h.fence));
      TANDEM_RETURN_IF_ERROR(OptionalString(*t, source, where, "unfence", &h.unfence));
      TANDEM_RETURN_IF_ERROR(OptionalString(*t, source, where, "rebuild", &h.rebuild));
      site.hosts.push_back(std::move(h));
    }
  }
  for (const Region& r : site.regions) {
    std::vector<std::string> named = r.framework_hosts;
    if (!r.dbms_host.empty()) named.push_back(r.dbms_host);
    for (const std::string& h : named) {
      if (site.FindHost(h) == nullptr) {
        return TomlError(source, nullptr,
                         absl::StrCat("[regions.", r.name, "] names host '", h,
                                      "', which has no [hosts.", h, "] entry"));
      }
    }
  }
  return site;
}

const Region* Site::FindRegion(const std::string& name) const {
  for (const Region& r : regions) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

const HostCommands* Site::FindHost(const std::string& name) const {
  for (const HostCommands& h : hosts) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

absl::StatusOr<Site> LoadSite(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read the site file '", path,
                                            "' (give it with --site or TANDEM_DR_SITE)"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseSite(ss.str(), path);
}

}  // namespace tandem::dr
