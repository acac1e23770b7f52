// The permission decision (config/permissions.h), table-driven: each of the
// seven rights allows exactly what it names and nothing else, granted on the
// object, on its folder, through an enclosing folder, on its tenant, to a
// group, and not through a container whose grant does not propagate.
#include "config/permissions.h"

#include <gtest/gtest.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "config/object_types.h"
#include "config/schema.h"

namespace tandem::config {
namespace {

class Objects : public ObjectSource {
 public:
  std::shared_ptr<const v1::ConfigObject> Find(v1::ObjectType type, int64_t dbid) override {
    auto it = objects.find({type, dbid});
    if (it == objects.end()) return nullptr;
    return std::make_shared<v1::ConfigObject>(it->second);
  }
  v1::ConfigObject& Add(v1::ObjectType type, int64_t dbid, const std::string& name,
                        int64_t tenant = 0, int64_t folder = 0) {
    v1::ConfigObject& o = objects[{type, dbid}];
    o.set_type(type);
    o.set_dbid(dbid);
    o.set_name(name);
    o.set_tenant_dbid(tenant);
    o.set_folder_dbid(folder);
    o.set_enabled(true);
    return o;
  }
  std::map<std::pair<v1::ObjectType, int64_t>, v1::ConfigObject> objects;
};

v1::Value Ref(v1::ObjectType type, int64_t dbid) {
  v1::Value v;
  v.mutable_ref_value()->set_type(type);
  v.mutable_ref_value()->set_dbid(dbid);
  return v;
}

// Adds a grant of `rights` to `grantee` ("person"/"group"/"application").
void Grant(v1::ConfigObject& on, const std::string& grantee, v1::ObjectType type, int64_t dbid,
           const std::vector<Right>& rights, bool propagate = true) {
  v1::Record grant;
  (*grant.mutable_fields())[grantee] = Ref(type, dbid);
  auto* list = (*grant.mutable_fields())["rights"].mutable_list_value();
  for (Right r : rights) list->add_values()->set_string_value(RightName(r));
  if (!propagate) (*grant.mutable_fields())["propagate"].set_bool_value(false);
  *(*on.mutable_properties())["permissions"]
       .mutable_list_value()
       ->add_values()
       ->mutable_record_value() = grant;
}

constexpr v1::ObjectType kTenant = v1::OBJECT_TYPE_TENANT;
constexpr v1::ObjectType kFolder = v1::OBJECT_TYPE_FOLDER;
constexpr v1::ObjectType kHost = v1::OBJECT_TYPE_HOST;
constexpr v1::ObjectType kPerson = v1::OBJECT_TYPE_PERSON;
constexpr v1::ObjectType kGroup = v1::OBJECT_TYPE_ACCESS_GROUP;
constexpr v1::ObjectType kApp = v1::OBJECT_TYPE_APPLICATION;

// Tenant acme (1) > folder Top (1) > folder Sub (2, parent Top) > host h (1).
// alice (person 1) is in group ops (1); bob (person 2) is in nothing.
class Permissions : public ::testing::Test {
 protected:
  Permissions() { Reset(); }
  void Reset() {
    objects_ = Objects();
    objects_.Add(kTenant, 1, "acme");
    objects_.Add(kFolder, 1, "Top", 1);
    (*objects_.Add(kFolder, 2, "Sub", 1).mutable_properties())["parent"] = Ref(kFolder, 1);
    objects_.Add(kHost, 1, "h", 1, 2);
    objects_.Add(kPerson, 1, "alice");
    objects_.Add(kPerson, 2, "bob");
    objects_.Add(kApp, 1, "app");
    v1::ConfigObject& ops = objects_.Add(kGroup, 1, "ops");
    *(*ops.mutable_properties())["members"].mutable_list_value()->add_values() = Ref(kPerson, 1);
  }
  v1::ConfigObject& At(v1::ObjectType type, int64_t dbid) { return objects_.objects[{type, dbid}]; }
  bool May(const Subject& who, Right right, v1::ObjectType type, int64_t dbid) {
    return Allowed(who, right, At(type, dbid), objects_);
  }

  Objects objects_;
  const Subject alice_{.type = kPerson, .dbid = 1, .who = "person alice"};
  const Subject bob_{.type = kPerson, .dbid = 2, .who = "person bob"};
  const Subject app_{.type = kApp, .dbid = 1, .who = "application app"};
};

struct Where {
  const char* name;
  v1::ObjectType type;  // where the grant is
  int64_t dbid;
  const char* grantee;  // person / group / application
  bool propagate;
  bool reaches_host;  // does the grant give the right on host h?
};

TEST_F(Permissions, EachRightAllowsExactlyWhatItNames) {
  const Where wheres[] = {
      {"on the object", kHost, 1, "person", true, true},
      {"on its folder", kFolder, 2, "person", true, true},
      {"through the enclosing folder", kFolder, 1, "person", true, true},
      {"on its tenant", kTenant, 1, "person", true, true},
      {"to a group it is in", kHost, 1, "group", true, true},
      {"to a group, through a folder", kFolder, 1, "group", true, true},
      {"on its folder, not propagating", kFolder, 2, "person", false, false},
      {"on the tenant, not propagating", kTenant, 1, "person", false, false},
      {"on the object, not propagating (itself)", kHost, 1, "person", false, true},
  };
  for (const Where& where : wheres) {
    for (int granted = 0; granted < kRightCount; ++granted) {
      Reset();  // a clean set of objects for each case
      const Right right = static_cast<Right>(granted);
      const v1::ObjectType grantee_type = std::string(where.grantee) == "group" ? kGroup : kPerson;
      Grant(At(where.type, where.dbid), where.grantee, grantee_type, 1, {right}, where.propagate);
      for (int asked = 0; asked < kRightCount; ++asked) {
        const Right ask = static_cast<Right>(asked);
        const bool want = asked == granted && where.reaches_host;
        EXPECT_EQ(May(alice_, ask, kHost, 1), want)
            << where.name << ": granted " << RightName(right) << ", asked " << RightName(ask);
        EXPECT_FALSE(May(bob_, ask, kHost, 1)) << where.name << ": bob has no grant";
        EXPECT_FALSE(May(app_, ask, kHost, 1)) << where.name << ": the application has none";
        // The container holding a non-propagating grant is itself covered.
        if (where.type != kHost) {
          EXPECT_EQ(May(alice_, ask, where.type, where.dbid), asked == granted)
              << where.name << ": on the " << TypeName(where.type) << " itself";
        }
      }
    }
  }
}

TEST_F(Permissions, ApplicationsAndDisabledGroups) {
  Grant(At(kFolder, 2), "application", kApp, 1, {Right::kRead});
  EXPECT_TRUE(May(app_, Right::kRead, kHost, 1));
  EXPECT_FALSE(May(app_, Right::kChange, kHost, 1));
  EXPECT_FALSE(May(alice_, Right::kRead, kHost, 1));  // an application's grant, not a person's
  Grant(At(kHost, 1), "group", kGroup, 1, {Right::kChange});
  EXPECT_TRUE(May(alice_, Right::kChange, kHost, 1));
  At(kGroup, 1).set_enabled(false);
  EXPECT_FALSE(May(alice_, Right::kChange, kHost, 1));
  Subject admin{.all = true};
  for (int r = 0; r < kRightCount; ++r) EXPECT_TRUE(May(admin, static_cast<Right>(r), kHost, 1));
}

TEST_F(Permissions, CreateIsOnTheContainer) {
  v1::ConfigObject in_sub;
  in_sub.set_type(kHost);
  in_sub.set_name("new");
  in_sub.set_tenant_dbid(1);
  in_sub.set_folder_dbid(2);
  EXPECT_FALSE(MayCreateIn(alice_, in_sub, objects_));
  // Create on Sub itself, even not propagating: creating in Sub is allowed.
  Grant(At(kFolder, 2), "person", kPerson, 1, {Right::kCreate}, /*propagate=*/false);
  EXPECT_TRUE(MayCreateIn(alice_, in_sub, objects_));
  EXPECT_FALSE(MayCreateIn(bob_, in_sub, objects_));
  // Create on Top, not propagating: only in Top itself, not in Sub.
  Grant(At(kFolder, 1), "person", kPerson, 2, {Right::kCreate}, /*propagate=*/false);
  EXPECT_FALSE(MayCreateIn(bob_, in_sub, objects_));
  v1::ConfigObject in_top = in_sub;
  in_top.set_folder_dbid(1);
  EXPECT_TRUE(MayCreateIn(bob_, in_top, objects_));
  // Directly in the tenant: Create on the tenant, whatever its propagation.
  v1::ConfigObject in_tenant = in_sub;
  in_tenant.set_folder_dbid(0);
  EXPECT_FALSE(MayCreateIn(alice_, in_tenant, objects_));
  Grant(At(kTenant, 1), "person", kPerson, 1, {Right::kCreate}, /*propagate=*/false);
  EXPECT_TRUE(MayCreateIn(alice_, in_tenant, objects_));
  // Outside any folder and tenant: administrators only.
  v1::ConfigObject global = in_sub;
  global.set_tenant_dbid(0);
  global.set_folder_dbid(0);
  EXPECT_FALSE(MayCreateIn(alice_, global, objects_));
  EXPECT_TRUE(MayCreateIn(Subject{.all = true}, global, objects_));
}

TEST_F(Permissions, FolderCyclesEnd) {
  (*At(kFolder, 1).mutable_properties())["parent"] = Ref(kFolder, 2);  // Top <-> Sub
  EXPECT_FALSE(May(alice_, Right::kRead, kHost, 1));
  Grant(At(kTenant, 1), "person", kPerson, 1, {Right::kRead});
  EXPECT_TRUE(May(alice_, Right::kRead, kHost, 1));
}

TEST_F(Permissions, RefusalSaysWhoWhatAndWhatToDo) {
  const std::string r = Refusal(alice_, Right::kChange, At(kHost, 1));
  EXPECT_EQ(r,
            "person alice may not change Host 'h' (dbid 1): no grant of 'change' on it, its "
            "folders or its tenant; an administrator can grant it (permissions)");
}

// Grants are checked on write: one grantee, known rights, no duplicates.
TEST(GrantShape, MalformedGrantsAreRefused) {
  auto check = [](const std::string& what, v1::Record grant) {
    v1::ConfigObject o;
    o.set_type(kHost);
    o.set_name("h");
    (*o.mutable_properties())["address"].set_string_value("192.0.2.1");
    *(*o.mutable_properties())["permissions"]
         .mutable_list_value()
         ->add_values()
         ->mutable_record_value() = std::move(grant);
    absl::Status st = ValidateShape(&o, true);
    return std::make_pair(st, what);
  };
  v1::Record none;
  (*none.mutable_fields())["rights"].mutable_list_value()->add_values()->set_string_value("read");
  EXPECT_NE(check("no grantee", none).first.message().find("exactly one grantee"),
            std::string::npos);
  v1::Record two = none;
  (*two.mutable_fields())["person"] = Ref(kPerson, 1);
  (*two.mutable_fields())["group"] = Ref(kGroup, 1);
  EXPECT_NE(check("two", two).first.message().find("exactly one grantee"), std::string::npos);
  v1::Record no_rights;
  (*no_rights.mutable_fields())["person"] = Ref(kPerson, 1);
  EXPECT_NE(check("no rights", no_rights).first.message().find("at least one of read"),
            std::string::npos);
  v1::Record unknown = no_rights;
  (*unknown.mutable_fields())["rights"].mutable_list_value()->add_values()->set_string_value(
      "admin");
  EXPECT_NE(check("unknown", unknown).first.message().find("'admin' is not one of read, create"),
            std::string::npos);
  v1::Record twice = no_rights;
  auto* rights = (*twice.mutable_fields())["rights"].mutable_list_value();
  rights->add_values()->set_string_value("read");
  rights->add_values()->set_string_value("read");
  EXPECT_NE(check("twice", twice).first.message().find("given twice"), std::string::npos);
  v1::Record good = no_rights;
  (*good.mutable_fields())["rights"].mutable_list_value()->add_values()->set_string_value("read");
  EXPECT_TRUE(check("good", good).first.ok()) << check("good", good).first;
}

}  // namespace
}  // namespace tandem::config
