#include "config/object_types.h"

#include <gtest/gtest.h>

namespace tandem::config {
namespace {

// Every spelling an operator might use resolves to the same type.
TEST(ObjectTypes, ParsesOperatorSpellings) {
  for (const char* s :
       {"Application", "application", "app", "apps", "APPLICATIONS", "OBJECT_TYPE_APPLICATION"}) {
    auto t = ParseType(s);
    ASSERT_TRUE(t.ok()) << s;
    EXPECT_EQ(*t, v1::OBJECT_TYPE_APPLICATION) << s;
  }
  EXPECT_EQ(*ParseType("alarm_condition"), v1::OBJECT_TYPE_ALARM_CONDITION);
  EXPECT_EQ(*ParseType("AccessGroup"), v1::OBJECT_TYPE_ACCESS_GROUP);
}

// An unknown type name is refused with the list of known ones.
TEST(ObjectTypes, UnknownTypeListsKnownOnes) {
  auto t = ParseType("widget");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("Application"), std::string::npos);
}

// Every type round-trips through its name.
TEST(ObjectTypes, NamesRoundTrip) {
  for (auto type : AllTypes()) EXPECT_EQ(*ParseType(TypeName(type)), type);
}

}  // namespace
}  // namespace tandem::config
