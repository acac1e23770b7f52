#include "scs/app_config.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/arguments.h"
#include "common/status_macros.h"

namespace tandem::scs {
namespace {

namespace v1 = ::tandem::config::v1;

const v1::Value* Prop(const v1::ConfigObject& o, const std::string& name) {
  auto it = o.properties().find(name);
  return it == o.properties().end() ? nullptr : &it->second;
}
std::string Str(const v1::ConfigObject& o, const std::string& name) {
  const v1::Value* v = Prop(o, name);
  return v == nullptr ? "" : v->string_value();
}
int64_t Int(const v1::ConfigObject& o, const std::string& name, int64_t def) {
  const v1::Value* v = Prop(o, name);
  return v == nullptr || v->kind_case() != v1::Value::kIntValue ? def : v->int_value();
}
int64_t Ref(const v1::ConfigObject& o, const std::string& name) {
  const v1::Value* v = Prop(o, name);
  return v == nullptr ? 0 : v->ref_value().dbid();
}

// [sml] KEY from options, else annex.
std::optional<std::string> Sml(const v1::ConfigObject& o, const std::string& key) {
  for (const auto* sections : {&o.options(), &o.annex()}) {
    auto s = sections->find("sml");
    if (s == sections->end()) continue;
    auto e = s->second.entries().find(key);
    if (e != s->second.entries().end()) return e->second;
  }
  return std::nullopt;
}

absl::StatusOr<bool> SmlBool(const v1::ConfigObject& o, const std::string& key, bool def) {
  std::optional<std::string> v = Sml(o, key);
  if (!v.has_value()) return def;
  const std::string s = absl::AsciiStrToLower(*v);
  if (s == "true" || s == "1" || s == "yes") return true;
  if (s == "false" || s == "0" || s == "no") return false;
  return absl::InvalidArgumentError(absl::StrCat("Application ", o.name(), ": [sml] ", key, " = '",
                                                 *v, "' is not true or false"));
}

absl::StatusOr<int> SmlSeconds(const v1::ConfigObject& o, const std::string& key, int def) {
  std::optional<std::string> v = Sml(o, key);
  if (!v.has_value()) return def;
  int n = 0;
  if (!absl::SimpleAtoi(*v, &n) || n < 0 || n > 86400) {
    return absl::InvalidArgumentError(absl::StrCat("Application ", o.name(), ": [sml] ", key,
                                                   " = '", *v, "' is not 0..86400 seconds"));
  }
  return n;
}

}  // namespace

absl::StatusOr<AppConfig> AppConfigFrom(const v1::ConfigObject& app, const ObjectLookup& lookup) {
  AppConfig a;
  a.name = app.name();
  a.dbid = app.dbid();
  const int64_t host_dbid = Ref(app, "host");
  std::optional<v1::ConfigObject> host =
      host_dbid == 0 ? std::nullopt : lookup(v1::OBJECT_TYPE_HOST, host_dbid);
  if (!host.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Application ", app.name(), " names no host: set its host"));
  }
  a.host = host->name();
  cv1::ProcessSpec& spec = a.spec;
  spec.set_application(app.name());
  spec.set_dbid(app.dbid());
  spec.set_command_line(Str(app, "command_line"));
  if (spec.command_line().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Application ", app.name(), " has no command_line: set the program to run"));
  }
  absl::StatusOr<std::vector<std::string>> args = SplitArguments(Str(app, "arguments"));
  if (!args.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Application ", app.name(), ": ", args.status().message()));
  }
  for (std::string& w : *args) spec.add_arguments(std::move(w));
  spec.set_working_directory(Str(app, "working_directory"));
  spec.set_os_user(Str(app, "os_user"));
  if (const v1::Value* env = Prop(app, "environment")) {
    for (const v1::Value& r : env->list_value().values()) {
      const auto& f = r.record_value().fields();
      auto name = f.find("name");
      if (name == f.end() || name->second.string_value().empty()) continue;
      auto value = f.find("value");
      (*spec.mutable_environment())[name->second.string_value()] =
          value == f.end() ? "" : value->second.string_value();
    }
  }
  TANDEM_ASSIGN_OR_RETURN(a.autostart, SmlBool(app, "autostart", false));
  TANDEM_ASSIGN_OR_RETURN(int period, SmlSeconds(app, "heartbeat-period", 0));
  TANDEM_ASSIGN_OR_RETURN(int hangup, SmlSeconds(app, "hangup-timeout", 0));
  TANDEM_ASSIGN_OR_RETURN(a.hangup_restart, SmlBool(app, "hangup-restart", true));
  TANDEM_ASSIGN_OR_RETURN(a.reports_status, SmlBool(app, "reports-status", period > 0));
  spec.set_heartbeat_period_s(period);
  spec.set_hangup_timeout_s(hangup);
  a.auto_restart = Prop(app, "auto_restart") != nullptr && Prop(app, "auto_restart")->bool_value();
  a.start_timeout = absl::Seconds(Int(app, "start_timeout_s", 90));
  a.stop_timeout = absl::Seconds(Int(app, "stop_timeout_s", 90));
  const std::string redundancy = Str(app, "redundancy");
  a.redundancy = redundancy == "warm-standby"  ? Redundancy::kWarmStandby
                 : redundancy == "hot-standby" ? Redundancy::kHotStandby
                                               : Redundancy::kNone;
  if (const int64_t b = Ref(app, "backup"); b != 0) {
    if (std::optional<v1::ConfigObject> backup = lookup(v1::OBJECT_TYPE_APPLICATION, b)) {
      a.backup = backup->name();
    }
  }
  if (const v1::Value* conns = Prop(app, "connections")) {
    for (const v1::Value& r : conns->list_value().values()) {
      auto server = r.record_value().fields().find("server");
      if (server == r.record_value().fields().end()) continue;
      if (auto s = lookup(v1::OBJECT_TYPE_APPLICATION, server->second.ref_value().dbid())) {
        a.connections.push_back(s->name());
      }
    }
  }
  return a;
}

}  // namespace tandem::scs
