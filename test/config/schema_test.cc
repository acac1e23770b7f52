#include "config/schema.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace tandem::config {
namespace {

v1::ConfigObject App(const std::string& name) {
  v1::ConfigObject o;
  o.set_type(v1::OBJECT_TYPE_APPLICATION);
  o.set_name(name);
  return o;
}

absl::Status Check(v1::ConfigObject o) { return ValidateShape(&o, true); }

// Bad shapes are refused and the message names the offending field.
TEST(Schema, ErrorsNameTheField) {
  struct Case {
    std::function<void(v1::ConfigObject&)> mutate;
    std::string field;
  };
  std::vector<Case> cases = {
      {[](auto& o) { o.set_name(""); }, "name"},
      {[](auto& o) { o.set_name(std::string(300, 'x')); }, "name"},
      {[](auto& o) { o.set_name("a\nb"); }, "name"},
      {[](auto& o) { o.set_type(static_cast<v1::ObjectType>(99)); }, "type"},
      {[](auto& o) { (*o.mutable_properties())["nope"].set_string_value("x"); }, "properties.nope"},
      {[](auto& o) { (*o.mutable_properties())["app_type"].set_int_value(3); },
       "properties.app_type"},
      {[](auto& o) { (*o.mutable_properties())["app_type"].set_string_value("Bogus"); },
       "properties.app_type"},
      {[](auto& o) { (*o.mutable_properties())["start_timeout_s"].set_int_value(-1); },
       "properties.start_timeout_s"},
      {[](auto& o) {
         (*o.mutable_properties())["host"].mutable_ref_value()->set_type(v1::OBJECT_TYPE_PERSON);
         (*o.mutable_properties())["host"].mutable_ref_value()->set_dbid(1);
       },
       "properties.host"},
      {[](auto& o) { (*o.mutable_properties())["host"].mutable_ref_value(); }, "properties.host"},
      {[](auto& o) {
         auto* rec = (*o.mutable_properties())["connections"].mutable_list_value()->add_values();
         (*rec->mutable_record_value()->mutable_fields())["port_id"].set_string_value("x");
       },
       "properties.connections[0].server"},
      {[](auto& o) {
         (*(*o.mutable_options())["s"].mutable_entries())["k"] = std::string(20000, 'v');
       },
       "options.s.k"},
      {[](auto& o) { (*(*o.mutable_annex())[""].mutable_entries())["k"] = "v"; }, "annex"},
      {[](auto& o) { o.set_tenant_dbid(-1); }, "tenant_dbid"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    v1::ConfigObject o = App("a");
    cases[i].mutate(o);
    absl::Status st = Check(o);
    ASSERT_FALSE(st.ok()) << "case " << i;
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << "case " << i;
    EXPECT_TRUE(absl::StartsWith(st.message(), cases[i].field))
        << "case " << i << ": " << st.message();
  }
}

// A host needs its address; defaults are filled in on create.
TEST(Schema, RequiredAndDefaults) {
  v1::ConfigObject host;
  host.set_type(v1::OBJECT_TYPE_HOST);
  host.set_name("h");
  EXPECT_FALSE(Check(host).ok());
  (*host.mutable_properties())["address"].set_string_value("192.0.2.1");
  ASSERT_TRUE(ValidateShape(&host, true).ok());
  EXPECT_EQ(host.properties().at("lca_port").int_value(), 4999);
}

// A tenant cannot sit inside another tenant.
TEST(Schema, TenantsAreNotTenanted) {
  v1::ConfigObject t;
  t.set_type(v1::OBJECT_TYPE_TENANT);
  t.set_name("t");
  t.set_tenant_dbid(1);
  EXPECT_FALSE(Check(t).ok());
}

// ForEachRef visits references inside records and lists, with their paths.
TEST(Schema, ForEachRefVisitsNestedReferences) {
  v1::ConfigObject o = App("a");
  auto& props = *o.mutable_properties();
  props["host"].mutable_ref_value()->set_dbid(1);
  auto* rec = props["connections"].mutable_list_value()->add_values()->mutable_record_value();
  (*rec->mutable_fields())["server"].mutable_ref_value()->set_dbid(2);
  ASSERT_TRUE(ValidateShape(&o, false).ok());
  std::vector<std::string> paths;
  ASSERT_TRUE(ForEachRef(&o, [&](v1::Ref* r, const std::string& p) {
                paths.push_back(p + "=" + std::to_string(r->dbid()));
                return absl::OkStatus();
              }).ok());
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths,
            (std::vector<std::string>{"properties.connections[0].server=2", "properties.host=1"}));
}

}  // namespace
}  // namespace tandem::config
