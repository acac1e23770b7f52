#include "config/schema.h"

#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "config/object_types.h"
#include "config/permissions.h"

namespace tandem::config {
namespace {

v1::Value IntValue(int64_t v) {
  v1::Value value;
  value.set_int_value(v);
  return value;
}
v1::Value BoolValue(bool v) {
  v1::Value value;
  value.set_bool_value(v);
  return value;
}
v1::Value StringValue(std::string v) {
  v1::Value value;
  value.set_string_value(std::move(v));
  return value;
}

FieldSpec Str(std::string name, std::string help, bool required = false) {
  FieldSpec f;
  f.name = std::move(name);
  f.kind = Kind::kString;
  f.required = required;
  f.help = std::move(help);
  return f;
}
FieldSpec Enum(std::string name, std::vector<std::string> allowed, std::string def,
               std::string help) {
  FieldSpec f = Str(std::move(name), std::move(help));
  f.allowed = std::move(allowed);
  if (!def.empty()) f.default_value = StringValue(std::move(def));
  return f;
}
FieldSpec Int(std::string name, int64_t min, int64_t max, std::string help,
              std::optional<int64_t> def = std::nullopt) {
  FieldSpec f;
  f.name = std::move(name);
  f.kind = Kind::kInt;
  f.min = min;
  f.max = max;
  f.help = std::move(help);
  if (def) f.default_value = IntValue(*def);
  return f;
}
FieldSpec Bool(std::string name, std::string help, std::optional<bool> def = std::nullopt) {
  FieldSpec f;
  f.name = std::move(name);
  f.kind = Kind::kBool;
  f.help = std::move(help);
  if (def) f.default_value = BoolValue(*def);
  return f;
}
FieldSpec RefTo(std::string name, ObjectType type, std::string help, bool required = false) {
  FieldSpec f;
  f.name = std::move(name);
  f.kind = Kind::kRef;
  f.ref_type = type;
  f.required = required;
  f.help = std::move(help);
  return f;
}
FieldSpec RefList(std::string name, ObjectType type, std::string help) {
  FieldSpec f = RefTo(std::move(name), type, std::move(help));
  f.kind = Kind::kRefList;
  return f;
}
FieldSpec Secret(std::string name, std::string help) {
  FieldSpec f = Str(std::move(name), std::move(help));
  f.secret = true;
  return f;
}
FieldSpec Records(std::string name, std::vector<FieldSpec> fields, std::string help) {
  FieldSpec f;
  f.name = std::move(name);
  f.kind = Kind::kRecordList;
  f.fields = std::move(fields);
  f.help = std::move(help);
  return f;
}

FieldSpec StrList(std::string name, std::vector<std::string> allowed, std::string help) {
  FieldSpec f = Str(std::move(name), std::move(help));
  f.kind = Kind::kStringList;
  f.allowed = std::move(allowed);
  return f;
}

// A grant: one grantee, the rights it gets (config/permissions.h).
absl::Status CheckGrant(const std::string& path, const v1::Record& grant) {
  int grantees = 0;
  for (const char* g : {"person", "group", "application"}) grantees += grant.fields().contains(g);
  if (grantees != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": name exactly one grantee (person, group or application), not ", grantees));
  }
  auto rights = grant.fields().find("rights");
  if (rights == grant.fields().end() || rights->second.list_value().values().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".rights: give at least one of ", absl::StrJoin(RightNames(), ", ")));
  }
  return absl::OkStatus();
}

// Every type has it: who may do what with the object (and, for a folder or
// a tenant, with what it contains).
FieldSpec Permissions() {
  FieldSpec f = Records(
      "permissions",
      {RefTo("person", v1::OBJECT_TYPE_PERSON, "the grantee: a person"),
       RefTo("group", v1::OBJECT_TYPE_ACCESS_GROUP, "the grantee: the members of an access group"),
       RefTo("application", v1::OBJECT_TYPE_APPLICATION,
             "the grantee: an application (its client certificate)"),
       StrList("rights", RightNames(), "what the grantee may do"),
       Bool("propagate",
            "on a folder or tenant: also on what it contains (default true; false: the folder "
            "or tenant object only)")},
      "grants: who may do what with this object (docs/SECURITY.md, \"Permissions\")");
  f.check_record = CheckGrant;
  return f;
}

const std::vector<std::string> kAppTypes = {
    "ConfigServer", "ConfigServerProxy", "SCS",           "LCA",           "MessageServer",
    "DBServer",     "ThirdPartyServer",  "ThirdPartyApp", "ConfigManager", "Sample"};

std::map<ObjectType, TypeSpec> BuildSpecs() {
  std::map<ObjectType, TypeSpec> m;
  m[v1::OBJECT_TYPE_TENANT] = {
      v1::OBJECT_TYPE_TENANT,
      {Str("description", "free text"),
       Int("password_min_length", 8, 1024, "shortest password its persons may set", 12),
       Int("lockout_failures", 1, 1000, "failed logins in a row that lock an account", 5),
       Int("lockout_minutes", 1, 10080, "how long a locked account stays locked", 15)},
      /*tenanted=*/false};
  m[v1::OBJECT_TYPE_FOLDER] = {v1::OBJECT_TYPE_FOLDER,
                               {RefTo("parent", v1::OBJECT_TYPE_FOLDER, "enclosing folder"),
                                Str("description", "free text")}};
  m[v1::OBJECT_TYPE_HOST] = {
      v1::OBJECT_TYPE_HOST,
      {Str("address", "IP address or DNS name", /*required=*/true),
       Enum("os", {"linux", "windows", "other"}, "linux", "operating system"),
       Int("lca_port", 1, 65535, "port of the host's Local Control Agent", 4999),
       RefTo("scs", v1::OBJECT_TYPE_APPLICATION, "Solution Control Server that owns this host")}};
  m[v1::OBJECT_TYPE_APPLICATION] = {
      v1::OBJECT_TYPE_APPLICATION,
      {Enum("app_type", kAppTypes, "", "kind of server"),
       RefTo("host", v1::OBJECT_TYPE_HOST, "host the application runs on"),
       Records("ports", {Str("id", "port name, e.g. default", true), Int("port", 1, 65535, "")},
               "listening ports"),
       Str("working_directory", "directory the LCA starts it in"),
       Str("command_line", "executable"), Str("arguments", "command-line arguments"),
       Str("os_user",
           "OS user the LCA starts it as (empty: the LCA's default user; root only when set "
           "to root)"),
       Records("environment", {Str("name", "variable name", true), Str("value", "its value")},
               "its environment (nothing else is inherited but PATH)"),
       Int("start_timeout_s", 0, 86400, "seconds to wait for start", 90),
       Int("stop_timeout_s", 0, 86400, "seconds to wait for stop", 90),
       Bool("auto_restart", "restart when it exits unexpectedly", false),
       Enum("redundancy", {"not-specified", "warm-standby", "hot-standby"}, "not-specified",
            "redundancy type of the pair"),
       RefTo("backup", v1::OBJECT_TYPE_APPLICATION, "backup application of the HA pair"),
       Records("connections",
               {RefTo("server", v1::OBJECT_TYPE_APPLICATION, "server connected to", true),
                Str("port_id", "which of the server's ports"),
                Int("keepalive_timeout_s", 0, 3600, "ADDP-style keep-alive timeout")},
               "connections to servers")}};
  m[v1::OBJECT_TYPE_SOLUTION] = {
      v1::OBJECT_TYPE_SOLUTION,
      {Str("solution_type", "kind of solution"),
       RefList("applications", v1::OBJECT_TYPE_APPLICATION, "applications of the solution")}};
  m[v1::OBJECT_TYPE_PERSON] = {
      v1::OBJECT_TYPE_PERSON,
      {Str("first_name", ""), Str("last_name", ""), Str("email", ""), Str("employee_id", ""),
       Str("user_name", "login name"), Bool("is_agent", "the person is an agent", false),
       Secret("password_hash", "Argon2id hash of the password (set with tandemctl passwd)"),
       Int("tokens_after", 0, INT64_MAX,
           "session tokens issued before this time (Unix milliseconds) are refused", 0)}};
  m[v1::OBJECT_TYPE_ACCESS_GROUP] = {
      v1::OBJECT_TYPE_ACCESS_GROUP,
      {Str("description", "free text"),
       RefList("members", v1::OBJECT_TYPE_PERSON, "persons in the group")}};
  m[v1::OBJECT_TYPE_ALARM_CONDITION] = {
      v1::OBJECT_TYPE_ALARM_CONDITION,
      {Enum("category", {"critical", "major", "minor"}, "major", "severity"),
       Int("detect_log_event_id", 0, INT32_MAX, "log event that raises the alarm"),
       Int("cancel_log_event_id", 0, INT32_MAX, "log event that clears it"),
       Int("cancel_timeout_s", 0, 86400 * 30, "clears itself after this many seconds", 0),
       Str("description", "free text")}};
  for (auto& [type, spec] : m) spec.properties.push_back(Permissions());
  return m;
}

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kString:
      return "a string";
    case Kind::kInt:
      return "an integer";
    case Kind::kBool:
      return "a boolean";
    case Kind::kRef:
      return "a reference";
    case Kind::kRefList:
      return "a list of references";
    case Kind::kRecordList:
      return "a list of records";
    case Kind::kStringList:
      return "a list of strings";
  }
  return "?";
}

absl::Status CheckText(absl::string_view path, absl::string_view text, size_t max) {
  if (text.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": value is ", text.size(), " bytes, the limit is ", max));
  }
  return absl::OkStatus();
}

absl::Status CheckRef(const std::string& path, const v1::Ref& ref, ObjectType want) {
  if (ref.type() != want && ref.type() != v1::OBJECT_TYPE_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": must refer to a ", TypeName(want), ", not a ", TypeName(ref.type())));
  }
  if (ref.dbid() < 0) return absl::InvalidArgumentError(absl::StrCat(path, ": negative DBID"));
  if (ref.dbid() == 0 && ref.name().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": reference needs a dbid or a name"));
  }
  return CheckText(path, ref.name(), Limits::kMaxName);
}

// The items of a list value, refused when there are too many.
absl::StatusOr<google::protobuf::RepeatedPtrField<v1::Value>*> ListItems(const std::string& path,
                                                                         v1::Value* value) {
  auto* items = value->mutable_list_value()->mutable_values();
  if (static_cast<size_t>(items->size()) > Limits::kMaxListItems) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": more than ", Limits::kMaxListItems, " items"));
  }
  return items;
}

absl::Status CheckValue(const std::string& path, const FieldSpec& spec, v1::Value* value) {
  auto wrong = [&] {
    return absl::InvalidArgumentError(absl::StrCat(path, ": must be ", KindName(spec.kind)));
  };
  switch (spec.kind) {
    case Kind::kString:
      if (!value->has_string_value()) return wrong();
      TANDEM_RETURN_IF_ERROR(CheckText(path, value->string_value(), Limits::kMaxString));
      if (!spec.allowed.empty() && std::find(spec.allowed.begin(), spec.allowed.end(),
                                             value->string_value()) == spec.allowed.end()) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": '", value->string_value(),
                                                       "' is not one of ",
                                                       absl::StrJoin(spec.allowed, ", ")));
      }
      return absl::OkStatus();
    case Kind::kInt:
      if (!value->has_int_value()) return wrong();
      if (value->int_value() < spec.min || value->int_value() > spec.max) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": ", value->int_value(), " is out of range ", spec.min, "..", spec.max));
      }
      return absl::OkStatus();
    case Kind::kBool:
      return value->has_bool_value() ? absl::OkStatus() : wrong();
    case Kind::kRef:
      if (!value->has_ref_value()) return wrong();
      TANDEM_RETURN_IF_ERROR(CheckRef(path, value->ref_value(), spec.ref_type));
      value->mutable_ref_value()->set_type(spec.ref_type);
      return absl::OkStatus();
    case Kind::kRefList: {
      if (!value->has_list_value()) return wrong();
      TANDEM_ASSIGN_OR_RETURN(auto* items, ListItems(path, value));
      for (int i = 0; i < items->size(); ++i) {
        std::string item_path = absl::StrCat(path, "[", i, "]");
        v1::Value* item = items->Mutable(i);
        if (!item->has_ref_value()) {
          return absl::InvalidArgumentError(absl::StrCat(item_path, ": must be a reference"));
        }
        TANDEM_RETURN_IF_ERROR(CheckRef(item_path, item->ref_value(), spec.ref_type));
        item->mutable_ref_value()->set_type(spec.ref_type);
      }
      return absl::OkStatus();
    }
    case Kind::kRecordList: {
      if (!value->has_list_value()) return wrong();
      TANDEM_ASSIGN_OR_RETURN(auto* items, ListItems(path, value));
      for (int i = 0; i < items->size(); ++i) {
        std::string item_path = absl::StrCat(path, "[", i, "]");
        v1::Value* item = items->Mutable(i);
        if (!item->has_record_value()) {
          return absl::InvalidArgumentError(absl::StrCat(item_path, ": must be a record"));
        }
        auto* fields = item->mutable_record_value()->mutable_fields();
        for (auto& [name, field_value] : *fields) {
          auto it = std::find_if(spec.fields.begin(), spec.fields.end(),
                                 [&](const FieldSpec& f) { return f.name == name; });
          if (it == spec.fields.end()) {
            std::vector<std::string> known;
            for (const auto& f : spec.fields) known.push_back(f.name);
            return absl::InvalidArgumentError(
                absl::StrCat(item_path, ".", name,
                             ": unknown field; known fields: ", absl::StrJoin(known, ", ")));
          }
          TANDEM_RETURN_IF_ERROR(CheckValue(absl::StrCat(item_path, ".", name), *it, &field_value));
        }
        for (const auto& f : spec.fields) {
          if (f.required && !fields->contains(f.name)) {
            return absl::InvalidArgumentError(
                absl::StrCat(item_path, ".", f.name, ": required field is missing"));
          }
        }
        if (spec.check_record) {
          TANDEM_RETURN_IF_ERROR(spec.check_record(item_path, item->record_value()));
        }
      }
      return absl::OkStatus();
    }
    case Kind::kStringList: {
      if (!value->has_list_value()) return wrong();
      TANDEM_ASSIGN_OR_RETURN(auto* items, ListItems(path, value));
      std::vector<std::string> seen;
      for (int i = 0; i < items->size(); ++i) {
        const std::string item_path = absl::StrCat(path, "[", i, "]");
        const v1::Value& item = items->Get(i);
        if (!item.has_string_value()) {
          return absl::InvalidArgumentError(absl::StrCat(item_path, ": must be a string"));
        }
        TANDEM_RETURN_IF_ERROR(CheckText(item_path, item.string_value(), Limits::kMaxString));
        if (!spec.allowed.empty() && std::find(spec.allowed.begin(), spec.allowed.end(),
                                               item.string_value()) == spec.allowed.end()) {
          return absl::InvalidArgumentError(absl::StrCat(item_path, ": '", item.string_value(),
                                                         "' is not one of ",
                                                         absl::StrJoin(spec.allowed, ", ")));
        }
        if (std::find(seen.begin(), seen.end(), item.string_value()) != seen.end()) {
          return absl::InvalidArgumentError(
              absl::StrCat(item_path, ": '", item.string_value(), "' is given twice"));
        }
        seen.push_back(item.string_value());
      }
      return absl::OkStatus();
    }
  }
  return wrong();
}

absl::Status CheckSections(absl::string_view what,
                           const google::protobuf::Map<std::string, v1::Section>& sections) {
  for (const auto& [section, entries] : sections) {
    if (section.empty())
      return absl::InvalidArgumentError(absl::StrCat(what, ": empty section name"));
    TANDEM_RETURN_IF_ERROR(
        CheckText(absl::StrCat(what, ".", section), section, Limits::kMaxOptionKey));
    for (const auto& [key, value] : entries.entries()) {
      std::string path = absl::StrCat(what, ".", section, ".", key);
      if (key.empty())
        return absl::InvalidArgumentError(absl::StrCat(what, ".", section, ": empty key"));
      TANDEM_RETURN_IF_ERROR(CheckText(path, key, Limits::kMaxOptionKey));
      TANDEM_RETURN_IF_ERROR(CheckText(path, value, Limits::kMaxOptionValue));
    }
  }
  return absl::OkStatus();
}

absl::Status WalkRefs(const std::string& path, const FieldSpec& spec, v1::Value* value,
                      const std::function<absl::Status(v1::Ref*, const std::string&)>& fn) {
  switch (spec.kind) {
    case Kind::kRef:
      if (value->has_ref_value()) return fn(value->mutable_ref_value(), path);
      return absl::OkStatus();
    case Kind::kRefList:
      if (!value->has_list_value()) return absl::OkStatus();
      for (int i = 0; i < value->list_value().values_size(); ++i) {
        v1::Value* item = value->mutable_list_value()->mutable_values(i);
        if (item->has_ref_value()) {
          TANDEM_RETURN_IF_ERROR(fn(item->mutable_ref_value(), absl::StrCat(path, "[", i, "]")));
        }
      }
      return absl::OkStatus();
    case Kind::kRecordList:
      if (!value->has_list_value()) return absl::OkStatus();
      for (int i = 0; i < value->list_value().values_size(); ++i) {
        v1::Value* item = value->mutable_list_value()->mutable_values(i);
        if (!item->has_record_value()) continue;
        for (const auto& f : spec.fields) {
          auto* fields = item->mutable_record_value()->mutable_fields();
          auto it = fields->find(f.name);
          if (it == fields->end()) continue;
          TANDEM_RETURN_IF_ERROR(
              WalkRefs(absl::StrCat(path, "[", i, "].", f.name), f, &it->second, fn));
        }
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

}  // namespace

const TypeSpec* FindTypeSpec(ObjectType type) {
  static const auto* specs = new std::map<ObjectType, TypeSpec>(BuildSpecs());
  auto it = specs->find(type);
  return it == specs->end() ? nullptr : &it->second;
}

absl::Status ValidateShape(ConfigObject* object, bool fill_defaults) {
  const TypeSpec* spec = FindTypeSpec(object->type());
  if (spec == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("type: unknown object type ", static_cast<int>(object->type())));
  }
  if (object->name().empty()) return absl::InvalidArgumentError("name: must not be empty");
  TANDEM_RETURN_IF_ERROR(CheckText("name", object->name(), Limits::kMaxName));
  for (unsigned char c : object->name()) {
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError("name: must not contain control characters");
    }
  }
  if (object->dbid() < 0) return absl::InvalidArgumentError("dbid: must not be negative");
  if (object->tenant_dbid() < 0)
    return absl::InvalidArgumentError("tenant_dbid: must not be negative");
  if (object->folder_dbid() < 0)
    return absl::InvalidArgumentError("folder_dbid: must not be negative");
  if (!spec->tenanted && object->tenant_dbid() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tenant_dbid: a ", TypeName(object->type()), " cannot belong to a tenant"));
  }
  auto* props = object->mutable_properties();
  for (auto& [name, value] : *props) {
    auto it = std::find_if(spec->properties.begin(), spec->properties.end(),
                           [&](const FieldSpec& f) { return f.name == name; });
    if (it == spec->properties.end()) {
      std::vector<std::string> known;
      for (const auto& f : spec->properties) known.push_back(f.name);
      return absl::InvalidArgumentError(absl::StrCat("properties.", name, ": unknown property of ",
                                                     TypeName(object->type()),
                                                     "; known: ", absl::StrJoin(known, ", ")));
    }
    TANDEM_RETURN_IF_ERROR(CheckValue(absl::StrCat("properties.", name), *it, &value));
  }
  for (const auto& f : spec->properties) {
    if (props->contains(f.name)) continue;
    if (f.required) {
      return absl::InvalidArgumentError(
          absl::StrCat("properties.", f.name, ": required property of ", TypeName(object->type()),
                       " is missing (", f.help, ")"));
    }
    if (fill_defaults && f.default_value.kind_case() != v1::Value::KIND_NOT_SET) {
      (*props)[f.name] = f.default_value;
    }
  }
  TANDEM_RETURN_IF_ERROR(CheckSections("options", object->options()));
  TANDEM_RETURN_IF_ERROR(CheckSections("annex", object->annex()));
  size_t size = object->ByteSizeLong();
  if (size > Limits::kMaxObjectBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("object is ", size, " bytes, the limit is ", Limits::kMaxObjectBytes));
  }
  return absl::OkStatus();
}

absl::Status ForEachRef(ConfigObject* object,
                        const std::function<absl::Status(v1::Ref*, const std::string&)>& fn) {
  const TypeSpec* spec = FindTypeSpec(object->type());
  if (spec == nullptr) return absl::OkStatus();
  auto* props = object->mutable_properties();
  for (const auto& f : spec->properties) {
    auto it = props->find(f.name);
    if (it == props->end()) continue;
    TANDEM_RETURN_IF_ERROR(WalkRefs(absl::StrCat("properties.", f.name), f, &it->second, fn));
  }
  return absl::OkStatus();
}

bool StripSecrets(ConfigObject* object) {
  const TypeSpec* spec = FindTypeSpec(object->type());
  if (spec == nullptr) return false;
  bool had = false;
  for (const FieldSpec& f : spec->properties) {
    if (f.secret) had |= object->mutable_properties()->erase(f.name) > 0;
  }
  return had;
}

std::string SecretPropertyIn(const ConfigObject& object) {
  const TypeSpec* spec = FindTypeSpec(object.type());
  if (spec == nullptr) return "";
  for (const FieldSpec& f : spec->properties) {
    if (f.secret && object.properties().contains(f.name)) return f.name;
  }
  return "";
}

std::string ValueToString(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kStringValue:
      return value.string_value();
    case v1::Value::kIntValue:
      return absl::StrCat(value.int_value());
    case v1::Value::kBoolValue:
      return value.bool_value() ? "true" : "false";
    case v1::Value::kRefValue:
      return value.ref_value().dbid() != 0 ? absl::StrCat(value.ref_value().dbid())
                                           : value.ref_value().name();
    case v1::Value::kListValue: {
      std::vector<std::string> parts;
      for (const auto& v : value.list_value().values()) parts.push_back(ValueToString(v));
      return absl::StrCat("[", absl::StrJoin(parts, ","), "]");
    }
    case v1::Value::kRecordValue: {
      std::map<std::string, std::string> sorted;
      for (const auto& [k, v] : value.record_value().fields()) sorted[k] = ValueToString(v);
      return absl::StrCat("{", absl::StrJoin(sorted, ",", absl::PairFormatter("=")), "}");
    }
    case v1::Value::KIND_NOT_SET:
      return "";
  }
  return "";
}

}  // namespace tandem::config
