// Tests of the JSON form of objects, changes and export documents.
#include "config/object_json.h"

#include <random>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace tandem::config {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

bool SameMessage(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

v1::ConfigObject FullObject() {
  v1::ConfigObject o;
  o.set_type(v1::OBJECT_TYPE_APPLICATION);
  o.set_dbid(5);
  o.set_name("sample-app");
  o.set_tenant_dbid(1);
  o.set_folder_dbid(2);
  o.set_enabled(false);
  o.set_revision(12);
  auto& p = *o.mutable_properties();
  p["app_type"].set_string_value("Sample");
  p["start_timeout_s"].set_int_value(-7);
  p["auto_restart"].set_bool_value(true);
  auto* host = p["host"].mutable_ref_value();
  host->set_type(v1::OBJECT_TYPE_HOST);
  host->set_dbid(3);
  auto* byname = p["backup"].mutable_ref_value();
  byname->set_type(v1::OBJECT_TYPE_APPLICATION);
  byname->set_name("sample-b");
  auto* conns = p["connections"].mutable_list_value();
  auto* rec = conns->add_values()->mutable_record_value();
  (*rec->mutable_fields())["server"].mutable_ref_value()->set_dbid(9);
  (*rec->mutable_fields())["port_id"].set_string_value("default");
  (*rec->mutable_fields())["nested"].mutable_list_value()->add_values()->set_int_value(1);
  p["empty_list"].mutable_list_value();
  p["empty_record"].mutable_record_value();
  (*(*o.mutable_options())["sml"].mutable_entries())["autostart"] = "true";
  (*o.mutable_options())["empty"];
  (*(*o.mutable_annex())["x"].mutable_entries())["k"] = "v";
  return o;
}

// Every Value kind, refs by dbid and by name, and every object field survive
// ObjectToJson -> ObjectFromJson.
TEST(ObjectJsonTest, RoundTripsEveryValueKind) {
  v1::ConfigObject o = FullObject();
  json j = ObjectToJson(o);
  EXPECT_EQ(j["type"], "Application");
  EXPECT_EQ(j["properties"]["host"], json({{"ref", "Host"}, {"dbid", 3}}));
  EXPECT_EQ(j["properties"]["backup"], json({{"ref", "Application"}, {"name", "sample-b"}}));
  EXPECT_EQ(j["options"]["sml"]["autostart"], "true");
  auto back = ObjectFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(SameMessage(o, *back)) << back->DebugString();
  // And through text.
  auto reparsed = ParseJson(DumpJson(j, 2));
  ASSERT_TRUE(reparsed.ok());
  auto back2 = ObjectFromJson(*reparsed);
  ASSERT_TRUE(back2.ok());
  EXPECT_TRUE(SameMessage(o, *back2));
}

// A minimal file: type from the command, enabled defaults to true.
TEST(ObjectJsonTest, DefaultTypeAndEnabled) {
  auto o = ObjectFromJson(json{{"name", "h1"}}, v1::OBJECT_TYPE_HOST);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->type(), v1::OBJECT_TYPE_HOST);
  EXPECT_TRUE(o->enabled());
  auto agree = ObjectFromJson(json{{"type", "host"}, {"name", "h1"}}, v1::OBJECT_TYPE_HOST);
  EXPECT_TRUE(agree.ok());
}

// Extreme integers map exactly; beyond int64 is an error naming the field.
TEST(ObjectJsonTest, IntegerLimits) {
  json j = {{"type", "Host"}, {"properties", {{"a", INT64_MAX}, {"b", INT64_MIN}, {"c", 0}}}};
  auto o = ObjectFromJson(j);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->properties().at("a").int_value(), INT64_MAX);
  EXPECT_EQ(o->properties().at("b").int_value(), INT64_MIN);
  j["properties"]["d"] = UINT64_MAX;
  auto bad = ObjectFromJson(j);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), StartsWith("properties.d: "));
}

struct ErrorCase {
  const char* json_text;
  const char* path_prefix;
};

// Every error names the JSON field path it is about.
TEST(ObjectJsonTest, ErrorsNameTheirField) {
  const ErrorCase cases[] = {
      {R"({"type":"Host","properties":{"port":1.5}})", "properties.port: expected"},
      {R"({"type":"Host","properties":{"port":null}})", "properties.port: expected"},
      {R"({"type":"Host","properties":{"l":[1,[2,1.0]]}})", "properties.l[1][1]: expected"},
      {R"({"type":"Host","properties":{"r":{"a":{"b":null}}}})", "properties.r.a.b: expected"},
      {R"({"type":"Host","properties":{"h":{"ref":"Nope","dbid":1}}})", "properties.h.ref: "},
      {R"({"type":"Host","properties":{"h":{"ref":"Host","dbid":"x"}}})", "properties.h.dbid: "},
      {R"({"type":"Host","properties":{"h":{"ref":"Host","dbid":-1}}})", "properties.h.dbid: "},
      {R"({"type":"Host","properties":{"h":{"ref":"Host","name":3}}})", "properties.h.name: "},
      {R"({"type":"Host","properties":{"h":{"ref":"Host","extra":1}}})", "properties.h.extra: "},
      {R"({"type":"Host","properties":{"h":{"ref":5}}})", "properties.h.ref: "},
      {R"({"type":"Host","properties":[]})", "properties: expected"},
      {R"({"type":"Host","options":{"s":{"k":1}}})", "options.s.k: expected a string"},
      {R"({"type":"Host","options":{"s":"x"}})", "options.s: expected"},
      {R"({"type":"Host","options":[]})", "options: expected"},
      {R"({"type":"Host","annex":{"s":{"k":true}}})", "annex.s.k: expected a string"},
      {R"({"type":"Host","bogus":1})", "bogus: unknown field"},
      {R"({"type":7})", "type: expected"},
      {R"({"type":"Spaceship"})", "type: unknown object type"},
      {R"({"name":"x"})", "type: missing"},
      {R"({"type":"Host","dbid":-3})", "dbid: must not be negative"},
      {R"({"type":"Host","dbid":1.0})", "dbid: expected an integer"},
      {R"({"type":"Host","tenant_dbid":"1"})", "tenant_dbid: expected"},
      {R"({"type":"Host","folder_dbid":true})", "folder_dbid: expected"},
      {R"({"type":"Host","revision":[]})", "revision: expected"},
      {R"({"type":"Host","enabled":1})", "enabled: expected"},
      {R"({"type":"Host","name":null})", "name: expected"},
  };
  for (const auto& c : cases) {
    auto j = ParseJson(c.json_text);
    ASSERT_TRUE(j.ok()) << c.json_text;
    auto o = ObjectFromJson(*j);
    ASSERT_FALSE(o.ok()) << c.json_text;
    EXPECT_THAT(std::string(o.status().message()), StartsWith(c.path_prefix)) << c.json_text;
  }
}

// A type in the file must agree with the command's type.
TEST(ObjectJsonTest, TypeMismatchIsAnError) {
  auto o = ObjectFromJson(json{{"type", "Host"}, {"name", "x"}}, v1::OBJECT_TYPE_APPLICATION);
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(std::string(o.status().message()), StartsWith("type: "));
  EXPECT_THAT(std::string(o.status().message()), HasSubstr("Application"));
}

// Not an object at all: a clear error, no crash.
TEST(ObjectJsonTest, NonObjectInputs) {
  for (const json& j : {json(nullptr), json(1), json("x"), json::array(), json(2.5), json(true)}) {
    EXPECT_FALSE(ObjectFromJson(j).ok()) << j.dump();
    EXPECT_FALSE(ParseExport(j).ok()) << j.dump();
  }
}

// Deep nesting is refused with an error instead of exhausting the stack.
TEST(ObjectJsonTest, DeepNestingIsRefused) {
  std::string text = R"({"type":"Host","properties":{"x":)";
  for (int i = 0; i < 5000; ++i) text += "[";
  for (int i = 0; i < 5000; ++i) text += "]";
  text += "}}";
  auto j = ParseJson(text);
  ASSERT_TRUE(j.ok());
  auto o = ObjectFromJson(*j);
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(std::string(o.status().message()), StartsWith("properties.x[0]"));
  EXPECT_THAT(std::string(o.status().message()), HasSubstr("nested"));
}

json RandomJson(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 4 ? 5 : 8);
  static const char* keys[] = {"type",  "dbid", "name",    "ref",      "properties", "options",
                               "annex", "x",    "enabled", "revision", "objects",    "format"};
  switch (kind(rng)) {
    case 0:
      return nullptr;
    case 1:
      return static_cast<int64_t>(rng()) - (1LL << 31);
    case 2:
      return static_cast<uint64_t>(rng()) << 33;
    case 3:
      return rng() % 2 == 0;
    case 4:
      return 0.5;
    case 5:
      return std::string(keys[rng() % 12]);
    case 6: {
      json a = json::array();
      for (int i = rng() % 4; i > 0; --i) a.push_back(RandomJson(rng, depth + 1));
      return a;
    }
    default: {
      json o = json::object();
      for (int i = rng() % 5; i > 0; --i) o[keys[rng() % 12]] = RandomJson(rng, depth + 1);
      if (rng() % 3 == 0) o["type"] = "Host";
      if (rng() % 4 == 0) o["format"] = kExportFormat;
      if (rng() % 4 == 0) o["version"] = 1;
      return o;
    }
  }
}

// Random garbage never crashes or throws; parsing either works or errs.
TEST(ObjectJsonTest, GarbageNeverCrashes) {
  std::mt19937 rng(42);
  for (int i = 0; i < 20000; ++i) {
    json j = RandomJson(rng, 0);
    EXPECT_NO_THROW({
      auto o = ObjectFromJson(j, i % 2 ? v1::OBJECT_TYPE_HOST : v1::OBJECT_TYPE_UNSPECIFIED);
      if (o.ok()) {
        // Whatever parsed must round-trip.
        auto back = ObjectFromJson(ObjectToJson(*o));
        EXPECT_TRUE(back.ok()) << j.dump();
      }
      (void)ParseExport(j);
      (void)ValueFromJson(j, "v");
    });
  }
  for (const char* text : {"", "{", "[1,", "\"\\u00", "nul", "{\"a\":}", "\xff\xfe", "1e999"}) {
    EXPECT_NO_THROW((void)ParseJson(text));
  }
}

// Invalid UTF-8 in a name is replaced on output, not thrown.
TEST(ObjectJsonTest, DumpToleratesInvalidUtf8) {
  v1::ConfigObject o;
  o.set_type(v1::OBJECT_TYPE_HOST);
  o.set_name("bad\xff");
  EXPECT_NO_THROW((void)DumpJson(ObjectToJson(o)));
}

// A change shows kind, type, RFC 3339 time and hex hash; before only when present.
TEST(ObjectJsonTest, ChangeToJson) {
  v1::Change c;
  c.set_revision(7);
  c.set_kind(v1::CHANGE_KIND_CREATED);
  c.set_type(v1::OBJECT_TYPE_HOST);
  c.set_dbid(3);
  c.set_who("tandemctl");
  c.mutable_committed_at()->set_seconds(1700000000);
  c.mutable_committed_at()->set_nanos(500000000);
  c.mutable_after()->set_name("h");
  c.set_hash(std::string("\x01\xab", 2));
  json j = ChangeToJson(c);
  EXPECT_EQ(j["revision"], 7);
  EXPECT_EQ(j["kind"], "created");
  EXPECT_EQ(j["type"], "Host");
  EXPECT_EQ(j["committed_at"], "2023-11-14T22:13:20.5+00:00");
  EXPECT_EQ(j["hash"], "01ab");
  EXPECT_FALSE(j.contains("before"));
  EXPECT_EQ(j["after"]["name"], "h");
}

// Export documents sort by type order then dbid and parse back to the same objects.
TEST(ObjectJsonTest, ExportRoundTrip) {
  std::vector<v1::ConfigObject> objects;
  auto add = [&](v1::ObjectType t, int64_t dbid) {
    v1::ConfigObject o;
    o.set_type(t);
    o.set_dbid(dbid);
    o.set_name("n" + std::to_string(dbid));
    objects.push_back(o);
  };
  add(v1::OBJECT_TYPE_APPLICATION, 2);
  add(v1::OBJECT_TYPE_TENANT, 9);
  add(v1::OBJECT_TYPE_APPLICATION, 1);
  add(v1::OBJECT_TYPE_HOST, 4);
  ExportHeader h;
  h.revision = 40;
  h.history_id = "abc";
  json doc = MakeExport(h, objects);
  EXPECT_EQ(doc["format"], kExportFormat);
  EXPECT_EQ(doc["version"], 1);
  ASSERT_EQ(doc["objects"].size(), 4u);
  EXPECT_EQ(doc["objects"][0]["type"], "Tenant");
  EXPECT_EQ(doc["objects"][1]["type"], "Host");
  EXPECT_EQ(doc["objects"][2]["dbid"], 1);
  EXPECT_EQ(doc["objects"][3]["dbid"], 2);
  EXPECT_FALSE(doc["objects"][3].contains("revision"));
  auto back = ParseExport(doc);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 4u);
  EXPECT_EQ((*back)[0].type(), v1::OBJECT_TYPE_TENANT);
  EXPECT_EQ((*back)[3].dbid(), 2);
}

// Export validation errors name the field, including the object index.
TEST(ObjectJsonTest, ExportErrors) {
  json good = {{"format", kExportFormat}, {"version", 1}, {"objects", json::array()}};
  EXPECT_TRUE(ParseExport(good).ok());
  auto check = [](json doc, const std::string& prefix) {
    auto r = ParseExport(doc);
    ASSERT_FALSE(r.ok()) << doc.dump();
    EXPECT_THAT(std::string(r.status().message()), StartsWith(prefix)) << doc.dump();
  };
  json j = good;
  j["format"] = "other";
  check(j, "format: ");
  j = good;
  j.erase("format");
  check(j, "format: missing");
  j = good;
  j["version"] = 2;
  check(j, "version: 2 is not supported");
  j = good;
  j.erase("objects");
  check(j, "objects: missing");
  j = good;
  j["objects"] = json::object();
  check(j, "objects: expected");
  j = good;
  j["extra"] = 1;
  check(j, "extra: unknown field");
  j = good;
  j["objects"] = {{{"type", "Host"}, {"dbid", 1}}, 5};
  check(j, "objects[1]: expected a JSON object");
  j["objects"] = {{{"type", "Host"}, {"dbid", 1}}, {{"dbid", 2}}};
  check(j, "objects[1]: type: missing");
  j["objects"] = {{{"type", "Host"}, {"dbid", 1}},
                  {{"type", "Host"}, {"dbid", 1}, {"properties", {{"p", 1}}}}};
  check(j, "objects[1].dbid: Host 1 also appears at objects[0]");
  j["objects"] = {{{"type", "Host"}, {"properties", {{"p", 1.5}}}}};
  check(j, "objects[0]: properties.p: expected");
  // An object with a name is named in the error.
  j["objects"] = {{{"type", "Host"}, {"name", "h1"}, {"properties", {{"p", 1.5}}}}};
  check(j, "objects[0] (Host 'h1'): properties.p: expected");
}

}  // namespace
}  // namespace tandem::config
