// Reading the TOML bootstrap files of tandemd's roles: parse, refuse unknown
// sections and keys (naming the known ones), and read typed values with
// errors that name the file, line, section and key. Header-only; the user
// links tomlplusplus.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tandem/tls_files.h"
#include "toml++/toml.h"

namespace tandem {

//! Section name -> the keys it may hold.
using TomlSchema = std::map<std::string, std::vector<std::string>>;

//! INVALID_ARGUMENT "FILE:LINE: msg".
inline absl::Status TomlError(const std::string& source, const toml::node* node,
                              absl::string_view msg) {
  std::string where = source;
  if (node != nullptr && node->source().begin) {
    absl::StrAppend(&where, ":", node->source().begin.line);
  }
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", msg));
}

//! Parses `text`; a syntax error is INVALID_ARGUMENT "FILE:LINE: what".
inline absl::StatusOr<toml::table> ParseToml(absl::string_view text, const std::string& source) {
  try {
    return toml::parse(std::string_view(text.data(), text.size()), source);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", e.source().begin.line, ": ", std::string(e.description())));
  }
}

//! Parses `text` and checks every section and key against `schema`.
inline absl::StatusOr<toml::table> ParseTomlFile(absl::string_view text, const std::string& source,
                                                 const TomlSchema& schema,
                                                 const std::string& example_section) {
  absl::StatusOr<toml::table> parsed = ParseToml(text, source);
  if (!parsed.ok()) return parsed.status();
  toml::table root = std::move(*parsed);
  for (const auto& [section, node] : root) {
    std::string name(section.str());
    if (!node.is_table()) {
      return TomlError(
          source, &node,
          absl::StrCat("'", name, "' must be inside a [section] such as [", example_section, "]"));
    }
    auto known = schema.find(name);
    if (known == schema.end()) {
      std::vector<std::string> names;
      for (const auto& [k, v] : schema) names.push_back(k);
      return TomlError(
          source, &node,
          absl::StrCat("unknown section [", name, "]; known: ", absl::StrJoin(names, ", ")));
    }
    for (const auto& [key, value] : *node.as_table()) {
      if (std::find(known->second.begin(), known->second.end(), key.str()) == known->second.end()) {
        return TomlError(source, &value,
                         absl::StrCat("unknown key '", std::string(key.str()), "' in [", name,
                                      "]; known: ", absl::StrJoin(known->second, ", ")));
      }
    }
  }
  return root;
}

//! Reads [section] key into *out if present (string, list of strings, or an
//! integer type); a value of another type is an error.
template <typename T>
absl::Status TomlGet(const toml::table& root, const std::string& source, const char* section,
                     const char* key, T* out) {
  const toml::node* node = root.at_path(absl::StrCat(section, ".", key)).node();
  if (node == nullptr) return absl::OkStatus();
  if constexpr (std::is_same_v<T, bool>) {
    if (!node->is_boolean()) {
      return TomlError(source, node,
                       absl::StrCat("[", section, "] ", key, " must be true or false"));
    }
    *out = **node->as_boolean();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!node->is_string()) {
      return TomlError(source, node, absl::StrCat("[", section, "] ", key, " must be a string"));
    }
    *out = **node->as_string();
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    const toml::array* array = node->as_array();
    bool strings = array != nullptr;
    if (strings) {
      for (const toml::node& item : *array) strings = strings && item.is_string();
    }
    if (!strings) {
      return TomlError(source, node,
                       absl::StrCat("[", section, "] ", key,
                                    " must be a list of strings, e.g. [\"a.example:9000\", "
                                    "\"b.example:9000\"]"));
    }
    out->clear();
    for (const toml::node& item : *array) out->push_back(**item.as_string());
  } else {
    if (!node->is_integer()) {
      return TomlError(source, node, absl::StrCat("[", section, "] ", key, " must be an integer"));
    }
    *out = static_cast<T>(**node->as_integer());
  }
  return absl::OkStatus();
}

//! The keys of a [tls] section.
inline const std::vector<std::string>& TlsKeys() {
  static const auto* keys = new std::vector<std::string>{"cert", "key", "ca", "plaintext"};
  return *keys;
}

//! Reads the files of a [tls] section (paths relative to the file's folder)
//! and plaintext; no checks.
inline absl::Status TomlReadTlsFiles(const toml::table& root, const std::string& source,
                                     TlsFiles* out) {
  for (auto [key, field] : {std::pair<const char*, std::string*>{"cert", &out->cert},
                            {"key", &out->key},
                            {"ca", &out->ca}}) {
    if (absl::Status st = TomlGet(root, source, "tls", key, field); !st.ok()) return st;
    const size_t slash = source.rfind('/');
    if (!field->empty() && (*field)[0] != '/' && slash != std::string::npos) {
      *field = absl::StrCat(source.substr(0, slash + 1), *field);
    }
  }
  return TomlGet(root, source, "tls", "plaintext", &out->plaintext);
}

//! Reads a server's [tls]: cert, key and ca, or plaintext = true. A missing
//! section is an error: running without TLS must be asked for in so many
//! words.
inline absl::Status TomlGetTls(const toml::table& root, const std::string& source, TlsFiles* out) {
  if (!root.contains("tls")) {
    return absl::InvalidArgumentError(absl::StrCat(
        source,
        ": [tls] is missing: give cert, key and ca (`tandemctl pki issue` makes them), "
        "or plaintext = true to run without TLS (not for a real network)"));
  }
  if (absl::Status st = TomlReadTlsFiles(root, source, out); !st.ok()) return st;
  if (out->plaintext && (!out->cert.empty() || !out->key.empty() || !out->ca.empty())) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": [tls] plaintext = true and certificate files: remove one or the other"));
  }
  if (!out->plaintext && (out->cert.empty() || out->key.empty() || out->ca.empty())) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": [tls] needs cert, key and ca (or plaintext = true)"));
  }
  return absl::OkStatus();
}

}  // namespace tandem
