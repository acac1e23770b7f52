// Application objects become ProcessSpecs and control options; what cannot
// run is an error naming the Application and the field.
#include "scs/app_config.h"

#include "gtest/gtest.h"

namespace tandem::scs {
namespace {

namespace v1 = ::tandem::config::v1;

v1::ConfigObject Object(v1::ObjectType type, int64_t dbid, const std::string& name) {
  v1::ConfigObject o;
  o.set_type(type);
  o.set_dbid(dbid);
  o.set_name(name);
  return o;
}

class AppConfigTest : public ::testing::Test {
 protected:
  AppConfigTest() {
    objects_[{v1::OBJECT_TYPE_HOST, 1}] = Object(v1::OBJECT_TYPE_HOST, 1, "h1");
    objects_[{v1::OBJECT_TYPE_APPLICATION, 20}] = Object(v1::OBJECT_TYPE_APPLICATION, 20, "db");
    objects_[{v1::OBJECT_TYPE_APPLICATION, 21}] = Object(v1::OBJECT_TYPE_APPLICATION, 21, "app-b");
    app_ = Object(v1::OBJECT_TYPE_APPLICATION, 10, "app-a");
    auto& p = *app_.mutable_properties();
    p["host"].mutable_ref_value()->set_dbid(1);
    p["command_line"].set_string_value("/opt/app/bin/server");
    p["arguments"].set_string_value("--name 'two words' -v");
    p["working_directory"].set_string_value("/opt/app");
    p["os_user"].set_string_value("app");
    p["auto_restart"].set_bool_value(true);
    p["start_timeout_s"].set_int_value(30);
    p["redundancy"].set_string_value("warm-standby");
    p["backup"].mutable_ref_value()->set_dbid(21);
    v1::Record env;
    (*env.mutable_fields())["name"].set_string_value("LANG");
    (*env.mutable_fields())["value"].set_string_value("C.UTF-8");
    *p["environment"].mutable_list_value()->add_values()->mutable_record_value() = env;
    v1::Record conn;
    (*conn.mutable_fields())["server"].mutable_ref_value()->set_dbid(20);
    *p["connections"].mutable_list_value()->add_values()->mutable_record_value() = conn;
    auto& sml = *(*app_.mutable_options())["sml"].mutable_entries();
    sml["autostart"] = "true";
    sml["heartbeat-period"] = "5";
  }
  absl::StatusOr<AppConfig> Convert() {
    return AppConfigFrom(app_,
                         [&](v1::ObjectType t, int64_t dbid) -> std::optional<v1::ConfigObject> {
                           auto it = objects_.find({t, dbid});
                           if (it == objects_.end()) return std::nullopt;
                           return it->second;
                         });
  }
  std::map<std::pair<v1::ObjectType, int64_t>, v1::ConfigObject> objects_;
  v1::ConfigObject app_;
};

// Every field the LCA and the Controller need comes across.
TEST_F(AppConfigTest, EverythingComesAcross) {
  absl::StatusOr<AppConfig> a = Convert();
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->host, "h1");
  EXPECT_EQ(a->spec.command_line(), "/opt/app/bin/server");
  ASSERT_EQ(a->spec.arguments_size(), 3);
  EXPECT_EQ(a->spec.arguments(1), "two words");
  EXPECT_EQ(a->spec.working_directory(), "/opt/app");
  EXPECT_EQ(a->spec.os_user(), "app");
  EXPECT_EQ(a->spec.environment().at("LANG"), "C.UTF-8");
  EXPECT_EQ(a->spec.heartbeat_period_s(), 5);
  EXPECT_TRUE(a->autostart);
  EXPECT_TRUE(a->auto_restart);
  EXPECT_TRUE(a->reports_status) << "heartbeats mean libtandem";
  EXPECT_TRUE(a->hangup_restart);
  EXPECT_EQ(a->start_timeout, absl::Seconds(30));
  EXPECT_EQ(a->redundancy, Redundancy::kWarmStandby);
  EXPECT_EQ(a->backup, "app-b");
  EXPECT_EQ(a->connections, std::vector<std::string>{"db"});
}

// The annex is read when options have no [sml]; malformed values are errors.
TEST_F(AppConfigTest, AnnexAndMalformedOptions) {
  app_.mutable_options()->clear();
  (*(*app_.mutable_annex())["sml"].mutable_entries())["autostart"] = "yes";
  ASSERT_TRUE(Convert().ok());
  EXPECT_TRUE(Convert()->autostart);
  (*(*app_.mutable_options())["sml"].mutable_entries())["autostart"] = "maybe";
  absl::Status st = Convert().status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("Application app-a: [sml] autostart = 'maybe'"), std::string::npos)
      << st;
  (*(*app_.mutable_options())["sml"].mutable_entries())["autostart"] = "true";
  (*(*app_.mutable_options())["sml"].mutable_entries())["heartbeat-period"] = "-1";
  EXPECT_FALSE(Convert().ok());
}

// No host, no command line or unbalanced quotes: it cannot run, and says why.
TEST_F(AppConfigTest, WhatCannotRun) {
  (*app_.mutable_properties())["arguments"].set_string_value("'open");
  EXPECT_NE(Convert().status().message().find("unterminated single quote"), std::string::npos);
  app_.mutable_properties()->erase("command_line");
  EXPECT_NE(Convert().status().message().find("has no command_line"), std::string::npos);
  app_.mutable_properties()->erase("host");
  EXPECT_NE(Convert().status().message().find("names no host"), std::string::npos);
}

}  // namespace
}  // namespace tandem::scs
