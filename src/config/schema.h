// The object model: which properties each type has, their kinds and limits.
// The server validates every written object against it; storage does not
// depend on it, so new types and properties need no database migration.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tandem/config/v1/config.pb.h"

namespace tandem::config {

using v1::ConfigObject;
using v1::ObjectType;

enum class Kind { kString, kInt, kBool, kRef, kRefList, kRecordList, kStringList };

struct FieldSpec {
  std::string name;
  Kind kind = Kind::kString;
  //! For kRef / kRefList: the type referred to.
  ObjectType ref_type = v1::OBJECT_TYPE_UNSPECIFIED;
  bool required = false;
  //! For kString and kStringList: if non-empty, the only values allowed.
  std::vector<std::string> allowed;
  //! For kInt: inclusive range.
  int64_t min = INT64_MIN;
  int64_t max = INT64_MAX;
  //! For kRecordList: the fields of each record.
  std::vector<FieldSpec> fields;
  //! Filled in on create when absent (empty Value = no default).
  v1::Value default_value;
  std::string help;
  //! Written only by the server (a password hash): refused in client writes,
  //! kept across updates that leave it out, and left out of what clients
  //! other than Tandem's own servers read.
  bool secret = false;
  //! For kRecordList: a check of each whole record (after its fields).
  std::function<absl::Status(const std::string& path, const v1::Record& record)> check_record;
};

struct TypeSpec {
  ObjectType type;
  std::vector<FieldSpec> properties;
  //! May objects of this type be inside a tenant? (Tenants themselves are not.)
  bool tenanted = true;
};

//! Limits on what a client may write.
struct Limits {
  static constexpr size_t kMaxName = 255;
  static constexpr size_t kMaxString = 4096;
  static constexpr size_t kMaxOptionKey = 255;
  static constexpr size_t kMaxOptionValue = 16384;
  static constexpr size_t kMaxListItems = 1000;
  static constexpr size_t kMaxObjectBytes = 256 * 1024;
};

//! The spec of a type, or nullptr for an unknown type.
const TypeSpec* FindTypeSpec(ObjectType type);

//! Checks everything that needs no other object: known type, name, property
//! names, kinds and ranges, option/annex sizes, total size. Fills defaults of
//! absent properties when `fill_defaults`. Errors name the offending field,
//! e.g. "properties.port: 70000 is out of range 1..65535".
absl::Status ValidateShape(ConfigObject* object, bool fill_defaults);

//! Calls fn for every reference in the object's properties with the field's
//! path ("properties.connections[0].server"). Stops at the first error.
absl::Status ForEachRef(ConfigObject* object,
                        const std::function<absl::Status(v1::Ref*, const std::string&)>& fn);

//! Removes the type's secret properties from `object`; true if it had any.
bool StripSecrets(ConfigObject* object);
//! The name of a secret property `object` holds, or "" if none.
std::string SecretPropertyIn(const ConfigObject& object);

//! The string form of a value, as used by list filters and tables.
std::string ValueToString(const v1::Value& value);

}  // namespace tandem::config
