#include "config/object_json.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "config/object_types.h"

namespace tandem::config {
namespace {

using nlohmann::json;

//! Deeper values are refused so that hostile input cannot exhaust the stack.
constexpr int kMaxDepth = 32;

const char* JsonKind(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a float";
    case json::value_t::binary:
      return "binary data";
    case json::value_t::discarded:
      return "invalid JSON";
  }
  return "an unknown JSON value";
}

absl::Status Expected(const std::string& path, absl::string_view what, const json& got) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": expected ", what, ", got ", JsonKind(got)));
}

std::string Join(absl::string_view prefix, absl::string_view key) {
  return prefix.empty() ? std::string(key) : absl::StrCat(prefix, ".", key);
}

//! An int64 from a JSON integer (signed or unsigned representation).
absl::StatusOr<int64_t> ToInt64(const json& j, const std::string& path) {
  if (j.is_number_unsigned()) {
    auto u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", u, " does not fit in 64 bits"));
    }
    return static_cast<int64_t>(u);
  }
  if (j.is_number_integer()) return j.get<int64_t>();
  return Expected(path, "an integer", j);
}

absl::StatusOr<int64_t> NonNegative(const json& j, const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(int64_t v, ToInt64(j, path));
  if (v < 0) return absl::InvalidArgumentError(absl::StrCat(path, ": must not be negative"));
  return v;
}

absl::StatusOr<ObjectType> TypeFromJson(const json& j, const std::string& path) {
  if (!j.is_string()) return Expected(path, "an object type name such as \"Host\"", j);
  auto type = ParseType(j.get_ref<const std::string&>());
  if (!type.ok())
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", type.status().message()));
  return *type;
}

absl::StatusOr<v1::Ref> RefFromJson(const json& j, const std::string& path) {
  v1::Ref ref;
  for (const auto& [key, value] : j.items()) {
    std::string field_path = Join(path, key);
    if (key == "ref") {
      if (value.is_string() && value.get_ref<const std::string&>().empty()) continue;
      TANDEM_ASSIGN_OR_RETURN(ObjectType type, TypeFromJson(value, field_path));
      ref.set_type(type);
    } else if (key == "dbid") {
      TANDEM_ASSIGN_OR_RETURN(int64_t dbid, NonNegative(value, field_path));
      ref.set_dbid(dbid);
    } else if (key == "name") {
      if (!value.is_string()) return Expected(field_path, "a string", value);
      ref.set_name(value.get<std::string>());
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          field_path, ": unknown field of a reference; known fields: ref, dbid, name"));
    }
  }
  return ref;
}

absl::StatusOr<v1::Value> ValueFromJsonAt(const json& j, const std::string& path, int depth) {
  if (depth > kMaxDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": nested more than ", kMaxDepth, " levels deep"));
  }
  v1::Value value;
  switch (j.type()) {
    case json::value_t::string:
      value.set_string_value(j.get<std::string>());
      return value;
    case json::value_t::boolean:
      value.set_bool_value(j.get<bool>());
      return value;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: {
      TANDEM_ASSIGN_OR_RETURN(int64_t v, ToInt64(j, path));
      value.set_int_value(v);
      return value;
    }
    case json::value_t::array: {
      auto* list = value.mutable_list_value();
      size_t i = 0;
      for (const auto& item : j) {
        TANDEM_ASSIGN_OR_RETURN(*list->add_values(),
                                ValueFromJsonAt(item, absl::StrCat(path, "[", i, "]"), depth + 1));
        ++i;
      }
      return value;
    }
    case json::value_t::object: {
      if (j.contains("ref")) {
        TANDEM_ASSIGN_OR_RETURN(*value.mutable_ref_value(), RefFromJson(j, path));
        return value;
      }
      auto* fields = value.mutable_record_value()->mutable_fields();
      for (const auto& [key, item] : j.items()) {
        TANDEM_ASSIGN_OR_RETURN((*fields)[key], ValueFromJsonAt(item, Join(path, key), depth + 1));
      }
      return value;
    }
    default:
      return Expected(path, "a string, integer, boolean, reference, list or record", j);
  }
}

absl::Status SectionsFromJson(const json& j, const std::string& path,
                              google::protobuf::Map<std::string, v1::Section>* out) {
  if (!j.is_object())
    return Expected(path, "an object of sections: {\"section\": {\"key\": \"value\"}}", j);
  for (const auto& [section, entries] : j.items()) {
    std::string section_path = Join(path, section);
    if (!entries.is_object())
      return Expected(section_path, "an object of key/value strings", entries);
    auto* map = (*out)[section].mutable_entries();
    for (const auto& [key, value] : entries.items()) {
      if (!value.is_string()) {
        return Expected(Join(section_path, key), "a string (option values are text, e.g. \"true\")",
                        value);
      }
      (*map)[key] = value.get<std::string>();
    }
  }
  return absl::OkStatus();
}

json SectionsToJson(const google::protobuf::Map<std::string, v1::Section>& sections) {
  json out = json::object();
  for (const auto& [section, entries] : sections) {
    json s = json::object();
    for (const auto& [key, value] : entries.entries()) s[key] = value;
    out[section] = std::move(s);
  }
  return out;
}

size_t TypeRank(ObjectType type) {
  const auto& all = AllTypes();
  auto it = std::find(all.begin(), all.end(), type);
  return static_cast<size_t>(it - all.begin());
}

}  // namespace

const char* ChangeKindName(v1::ChangeKind kind) {
  switch (kind) {
    case v1::CHANGE_KIND_CREATED:
      return "created";
    case v1::CHANGE_KIND_UPDATED:
      return "updated";
    case v1::CHANGE_KIND_DELETED:
      return "deleted";
    default:
      return "unspecified";
  }
}

json ValueToJson(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kStringValue:
      return value.string_value();
    case v1::Value::kIntValue:
      return value.int_value();
    case v1::Value::kBoolValue:
      return value.bool_value();
    case v1::Value::kRefValue: {
      const v1::Ref& ref = value.ref_value();
      json out = json::object();
      out["ref"] = ref.type() == v1::OBJECT_TYPE_UNSPECIFIED ? std::string() : TypeName(ref.type());
      if (ref.dbid() != 0 || ref.name().empty()) out["dbid"] = ref.dbid();
      if (!ref.name().empty()) out["name"] = ref.name();
      return out;
    }
    case v1::Value::kListValue: {
      json out = json::array();
      for (const auto& item : value.list_value().values()) out.push_back(ValueToJson(item));
      return out;
    }
    case v1::Value::kRecordValue: {
      json out = json::object();
      for (const auto& [key, item] : value.record_value().fields()) out[key] = ValueToJson(item);
      return out;
    }
    case v1::Value::KIND_NOT_SET:
      break;
  }
  // An unset Value has no JSON form; null is refused on the way back in.
  return nullptr;
}

absl::StatusOr<v1::Value> ValueFromJson(const json& j, const std::string& path) {
  return ValueFromJsonAt(j, path, 0);
}

json ObjectToJson(const v1::ConfigObject& object) {
  json out = json::object();
  out["type"] = TypeName(object.type());
  out["dbid"] = object.dbid();
  out["name"] = object.name();
  out["tenant_dbid"] = object.tenant_dbid();
  out["folder_dbid"] = object.folder_dbid();
  out["enabled"] = object.enabled();
  out["revision"] = object.revision();
  json props = json::object();
  for (const auto& [key, value] : object.properties()) props[key] = ValueToJson(value);
  out["properties"] = std::move(props);
  out["options"] = SectionsToJson(object.options());
  out["annex"] = SectionsToJson(object.annex());
  return out;
}

absl::StatusOr<v1::ConfigObject> ObjectFromJson(const json& j, ObjectType default_type) {
  if (!j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected a JSON object such as {\"name\": \"x\", \"properties\": {...}}, got ",
        JsonKind(j)));
  }
  v1::ConfigObject object;
  object.set_enabled(true);
  object.set_type(default_type);
  bool has_type = false;
  for (const auto& [key, value] : j.items()) {
    if (key == "type") {
      TANDEM_ASSIGN_OR_RETURN(ObjectType type, TypeFromJson(value, key));
      if (default_type != v1::OBJECT_TYPE_UNSPECIFIED && type != default_type) {
        return absl::InvalidArgumentError(absl::StrCat("type: the JSON says ", TypeName(type),
                                                       " but a ", TypeName(default_type),
                                                       " is expected"));
      }
      object.set_type(type);
      has_type = true;
    } else if (key == "dbid") {
      TANDEM_ASSIGN_OR_RETURN(int64_t v, NonNegative(value, key));
      object.set_dbid(v);
    } else if (key == "name") {
      if (!value.is_string()) return Expected(key, "a string", value);
      object.set_name(value.get<std::string>());
    } else if (key == "tenant_dbid") {
      TANDEM_ASSIGN_OR_RETURN(int64_t v, NonNegative(value, key));
      object.set_tenant_dbid(v);
    } else if (key == "folder_dbid") {
      TANDEM_ASSIGN_OR_RETURN(int64_t v, NonNegative(value, key));
      object.set_folder_dbid(v);
    } else if (key == "enabled") {
      if (!value.is_boolean()) return Expected(key, "true or false", value);
      object.set_enabled(value.get<bool>());
    } else if (key == "revision") {
      TANDEM_ASSIGN_OR_RETURN(int64_t v, NonNegative(value, key));
      object.set_revision(v);
    } else if (key == "properties") {
      if (!value.is_object()) return Expected(key, "an object of properties", value);
      auto* props = object.mutable_properties();
      for (const auto& [name, item] : value.items()) {
        TANDEM_ASSIGN_OR_RETURN((*props)[name], ValueFromJson(item, Join(key, name)));
      }
    } else if (key == "options") {
      TANDEM_RETURN_IF_ERROR(SectionsFromJson(value, key, object.mutable_options()));
    } else if (key == "annex") {
      TANDEM_RETURN_IF_ERROR(SectionsFromJson(value, key, object.mutable_annex()));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(key,
                       ": unknown field; known fields: type, dbid, name, tenant_dbid, folder_dbid, "
                       "enabled, revision, properties, options, annex"));
    }
  }
  if (!has_type && default_type == v1::OBJECT_TYPE_UNSPECIFIED) {
    return absl::InvalidArgumentError("type: missing; add e.g. \"type\": \"Application\"");
  }
  return object;
}

std::string FormatRfc3339(absl::Time time) {
  return absl::FormatTime(absl::RFC3339_full, time, absl::UTCTimeZone());
}

std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  return FormatRfc3339(absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos()));
}

json ChangeToJson(const v1::Change& change) {
  json out = json::object();
  out["revision"] = change.revision();
  out["kind"] = ChangeKindName(change.kind());
  out["type"] = TypeName(change.type());
  out["dbid"] = change.dbid();
  out["who"] = change.who();
  out["committed_at"] = FormatTimestamp(change.committed_at());
  if (change.has_before()) out["before"] = ObjectToJson(change.before());
  if (change.has_after()) out["after"] = ObjectToJson(change.after());
  out["hash"] = absl::BytesToHexString(change.hash());
  return out;
}

void SortObjects(std::vector<v1::ConfigObject>* objects) {
  std::stable_sort(objects->begin(), objects->end(),
                   [](const v1::ConfigObject& a, const v1::ConfigObject& b) {
                     size_t ra = TypeRank(a.type()), rb = TypeRank(b.type());
                     if (ra != rb) return ra < rb;
                     if (a.type() != b.type()) return a.type() < b.type();
                     return a.dbid() < b.dbid();
                   });
}

json MakeExport(const ExportHeader& header, std::vector<v1::ConfigObject> objects) {
  SortObjects(&objects);
  json out = json::object();
  out["format"] = kExportFormat;
  out["version"] = kExportVersion;
  out["revision"] = header.revision;
  out["history_id"] = header.history_id;
  out["exported_at"] = FormatRfc3339(header.exported_at);
  json list = json::array();
  for (const auto& object : objects) {
    json o = ObjectToJson(object);
    o.erase("revision");
    list.push_back(std::move(o));
  }
  out["objects"] = std::move(list);
  return out;
}

absl::StatusOr<std::vector<v1::ConfigObject>> ParseExport(const json& j) {
  if (!j.is_object())
    return Expected("export", "a JSON object (a tandem-config-export document)", j);
  const json* objects = nullptr;
  bool has_format = false, has_version = false;
  for (const auto& [key, value] : j.items()) {
    if (key == "format") {
      if (!value.is_string() || value.get_ref<const std::string&>() != kExportFormat) {
        return absl::InvalidArgumentError(
            absl::StrCat("format: must be \"", kExportFormat,
                         "\"; is this a file written by tandemctl export?"));
      }
      has_format = true;
    } else if (key == "version") {
      auto v = ToInt64(value, key);
      if (!v.ok()) return v.status();
      if (*v != kExportVersion) {
        return absl::InvalidArgumentError(absl::StrCat(
            "version: ", *v, " is not supported; this tandemctl reads version ", kExportVersion));
      }
      has_version = true;
    } else if (key == "revision") {
      if (!ToInt64(value, key).ok()) return Expected(key, "an integer", value);
    } else if (key == "history_id" || key == "exported_at") {
      if (!value.is_string()) return Expected(key, "a string", value);
    } else if (key == "objects") {
      if (!value.is_array()) return Expected(key, "an array of objects", value);
      objects = &value;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(key,
                       ": unknown field; known fields: format, version, revision, history_id, "
                       "exported_at, objects"));
    }
  }
  if (!has_format) {
    return absl::InvalidArgumentError(
        absl::StrCat("format: missing; an export document starts with {\"format\": \"",
                     kExportFormat, "\", ...}"));
  }
  if (!has_version) return absl::InvalidArgumentError("version: missing");
  if (objects == nullptr) return absl::InvalidArgumentError("objects: missing");
  std::vector<v1::ConfigObject> out;
  out.reserve(objects->size());
  std::map<std::pair<int, int64_t>, size_t> seen;
  size_t i = 0;
  for (const auto& item : *objects) {
    std::string path = absl::StrCat("objects[", i, "]");
    if (!item.is_object()) return Expected(path, "a JSON object", item);
    auto object = ObjectFromJson(item);
    if (!object.ok()) {
      // Name the object too: "objects[3] (Host 'h1'): properties.port: ...".
      std::string label;
      auto type = item.find("type");
      auto name = item.find("name");
      if (type != item.end() && type->is_string() && name != item.end() && name->is_string()) {
        label = absl::StrCat(" (", type->get<std::string>(), " '", name->get<std::string>(), "')");
      }
      return absl::InvalidArgumentError(absl::StrCat(path, label, ": ", object.status().message()));
    }
    if (object->dbid() != 0) {
      auto [it, inserted] = seen.emplace(std::make_pair(object->type(), object->dbid()), i);
      if (!inserted) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ".dbid: ", TypeName(object->type()), " ", object->dbid(),
                         " also appears at objects[", it->second, "]"));
      }
    }
    out.push_back(*std::move(object));
    ++i;
  }
  SortObjects(&out);
  return out;
}

std::string DumpJson(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<json> ParseJson(absl::string_view text) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, ..." -> drop the id.
    auto pos = what.find("] ");
    if (pos != std::string::npos) what = what.substr(pos + 2);
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", what));
  }
}

}  // namespace tandem::config
