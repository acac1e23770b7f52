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
  toml::table root;
  try {
    root = toml::parse(std::string_view(text.data(), text.size()), source);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", e.source().begin.line, ": ", std::string(e.description())));
  }
  TANDEM_RETURN_IF_ERROR(OnlyKeys(root, source, "top level", {"dns", "regions"}));
  Site site;
  const toml::table* dns = root["dns"].as_table();
  if (dns == nullptr) return TomlError(source, nullptr, "[dns] is missing");
  TANDEM_RETURN_IF_ERROR(OnlyKeys(*dns, source, "dns", {"server", "zone", "key_file", "names"}));
  TANDEM_RETURN_IF_ERROR(String(*dns, source, "dns", "server", &site.dns_server));
  TANDEM_RETURN_IF_ERROR(String(*dns, source, "dns", "zone", &site.zone));
  TANDEM_RETURN_IF_ERROR(String(*dns, source, "dns", "key_file", &site.key_file));
  TANDEM_RETURN_IF_ERROR(Strings(*dns, source, "dns", "names", &site.names, true));
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
    TANDEM_RETURN_IF_ERROR(OnlyKeys(*t, source, where, {"dbms", "masters", "proxies"}));
    Region r;
    r.name = name;
    TANDEM_RETURN_IF_ERROR(String(*t, source, where, "dbms", &r.dbms));
    TANDEM_RETURN_IF_ERROR(Strings(*t, source, where, "masters", &r.masters, true));
    TANDEM_RETURN_IF_ERROR(Strings(*t, source, where, "proxies", &r.proxies, false));
    site.regions.push_back(std::move(r));
  }
  return site;
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
