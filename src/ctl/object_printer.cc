#include "ctl/object_printer.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "config/object_json.h"
#include "config/object_types.h"
#include "config/schema.h"
#include "ctl/table_printer.h"

namespace tandem::ctl {
namespace {

using config::TypeName;

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

void PrintSections(const char* title,
                   const google::protobuf::Map<std::string, v1::Section>& sections,
                   std::ostream& out) {
  if (sections.empty()) return;
  out << title << ":\n";
  std::map<std::string, std::map<std::string, std::string>> sorted;
  for (const auto& [name, section] : sections) {
    auto& s = sorted[name];
    for (const auto& [k, v] : section.entries()) s[k] = v;
  }
  for (const auto& [name, entries] : sorted) {
    out << "  [" << name << "]\n";
    for (const auto& [k, v] : entries) out << "    " << k << " = " << v << "\n";
  }
}

std::string ShowRef(v1::ObjectType type, int64_t dbid, const RefShower& refs) {
  if (dbid == 0) return "-";
  return refs ? refs(type, dbid) : absl::StrCat(dbid);
}

}  // namespace

std::string ShowValue(const v1::Value& value, const RefShower& refs) {
  switch (value.kind_case()) {
    case v1::Value::kRefValue:
      if (value.ref_value().dbid() == 0) return value.ref_value().name();
      return ShowRef(value.ref_value().type(), value.ref_value().dbid(), refs);
    case v1::Value::kListValue: {
      std::vector<std::string> parts;
      for (const auto& v : value.list_value().values()) parts.push_back(ShowValue(v, refs));
      return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
    }
    case v1::Value::kRecordValue: {
      std::map<std::string, std::string> sorted;
      for (const auto& [k, v] : value.record_value().fields()) sorted[k] = ShowValue(v, refs);
      return absl::StrCat("{", absl::StrJoin(sorted, ", ", absl::PairFormatter("=")), "}");
    }
    default:
      return config::ValueToString(value);
  }
}

const std::vector<std::string>& KeyProperties(v1::ObjectType type) {
  static const auto* columns = new std::map<v1::ObjectType, std::vector<std::string>>{
      {v1::OBJECT_TYPE_TENANT, {"description"}},
      {v1::OBJECT_TYPE_FOLDER, {"parent", "description"}},
      {v1::OBJECT_TYPE_HOST, {"address", "os", "lca_port"}},
      {v1::OBJECT_TYPE_APPLICATION, {"app_type", "host", "ports", "backup"}},
      {v1::OBJECT_TYPE_SOLUTION, {"solution_type", "applications"}},
      {v1::OBJECT_TYPE_PERSON, {"user_name", "first_name", "last_name"}},
      {v1::OBJECT_TYPE_ACCESS_GROUP, {"members"}},
      {v1::OBJECT_TYPE_ALARM_CONDITION, {"category", "detect_log_event_id"}},
  };
  static const std::vector<std::string> none;
  auto it = columns->find(type);
  return it == columns->end() ? none : it->second;
}

void PrintObjects(const std::vector<v1::ConfigObject>& objects, v1::ObjectType type,
                  OutputFormat format, std::ostream& out, const RefShower& refs) {
  if (format == OutputFormat::kJson) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& object : objects) list.push_back(config::ObjectToJson(object));
    out << config::DumpJson(list, 2) << "\n";
    return;
  }
  const auto& keys = KeyProperties(type);
  bool any_tenant = false;
  for (const auto& object : objects) any_tenant |= object.tenant_dbid() != 0;
  std::vector<std::string> headers = {"DBID", "NAME"};
  if (any_tenant) headers.push_back("TENANT");
  headers.insert(headers.end(), {"ENABLED", "REVISION"});
  for (const auto& key : keys) headers.push_back(Upper(key));
  TablePrinter table(std::move(headers));
  for (const auto& object : objects) {
    std::vector<std::string> row = {absl::StrCat(object.dbid()), object.name()};
    if (any_tenant) row.push_back(ShowRef(v1::OBJECT_TYPE_TENANT, object.tenant_dbid(), refs));
    row.push_back(object.enabled() ? "yes" : "no");
    row.push_back(absl::StrCat(object.revision()));
    for (const auto& key : keys) {
      auto it = object.properties().find(key);
      row.push_back(it == object.properties().end() ? "" : ShowValue(it->second, refs));
    }
    table.AddRow(std::move(row));
  }
  table.Print(out);
}

void PrintObject(const v1::ConfigObject& object, OutputFormat format, std::ostream& out,
                 const RefShower& refs) {
  if (format == OutputFormat::kJson) {
    out << config::DumpJson(config::ObjectToJson(object), 2) << "\n";
    return;
  }
  out << TypeName(object.type()) << " " << object.name() << "\n";
  TablePrinter head({"FIELD", "VALUE"}, 200);
  head.AddRow({"dbid", absl::StrCat(object.dbid())});
  head.AddRow({"tenant", ShowRef(v1::OBJECT_TYPE_TENANT, object.tenant_dbid(), refs)});
  head.AddRow({"folder", ShowRef(v1::OBJECT_TYPE_FOLDER, object.folder_dbid(), refs)});
  head.AddRow({"enabled", object.enabled() ? "true" : "false"});
  head.AddRow({"revision", absl::StrCat(object.revision())});
  std::map<std::string, std::string> props;
  for (const auto& [k, v] : object.properties()) props[k] = ShowValue(v, refs);
  for (const auto& [k, v] : props) head.AddRow({absl::StrCat("properties.", k), v});
  head.Print(out);
  PrintSections("options", object.options(), out);
  PrintSections("annex", object.annex(), out);
}

std::string FormatChange(const v1::Change& change, OutputFormat format) {
  if (format == OutputFormat::kJson) return config::DumpJson(config::ChangeToJson(change));
  const v1::ConfigObject& object = change.has_after() ? change.after() : change.before();
  return absl::StrCat(change.revision(), "  ", config::ChangeKindName(change.kind()), "  ",
                      TypeName(change.type()), " ", change.dbid(), " '", object.name(), "'  by ",
                      change.who().empty() ? "?" : change.who(), "  at ",
                      config::FormatTimestamp(change.committed_at()));
}

std::string Describe(const v1::ConfigObject& object) {
  return absl::StrCat(TypeName(object.type()), " '", object.name(), "' (dbid ", object.dbid(), ")");
}

}  // namespace tandem::ctl
