// JSON form of configuration objects, changes and export documents, as
// tandemctl reads and writes them. Parsing never throws and never crashes on
// any JSON input; every error names the JSON field path, e.g.
// "properties.port: expected a string, integer, boolean, reference, list or
// record, got a float".
//
// Value mapping: string <-> string_value, integer <-> int_value, boolean <->
// bool_value, {"ref":"Host","dbid":3} / {"ref":"Host","name":"h1"} <->
// ref_value, array <-> list_value, any other object <-> record_value. Floats
// and null are errors. A record therefore cannot have a field named "ref".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tandem/config/v1/config.pb.h"

namespace tandem::config {

inline constexpr char kExportFormat[] = "tandem-config-export";
inline constexpr int kExportVersion = 1;

//! Every field is written, including zero dbids and empty maps, so the output
//! parses back to an identical object.
nlohmann::json ObjectToJson(const v1::ConfigObject& object);

//! `default_type` is used when the JSON has no "type"; when both are given
//! they must agree. Absent "enabled" means true; other absent fields are zero.
//! Unknown keys are errors.
absl::StatusOr<v1::ConfigObject> ObjectFromJson(
    const nlohmann::json& json, v1::ObjectType default_type = v1::OBJECT_TYPE_UNSPECIFIED);

nlohmann::json ValueToJson(const v1::Value& value);
//! `path` prefixes error messages ("properties.port").
absl::StatusOr<v1::Value> ValueFromJson(const nlohmann::json& json, const std::string& path);

//! {"revision","kind":"created|updated|deleted","type","dbid","who",
//! "committed_at" (RFC 3339),"before","after","hash" (hex)}; before/after only
//! when present.
//! "created", "updated", "deleted" ("unspecified" otherwise).
const char* ChangeKindName(v1::ChangeKind kind);

nlohmann::json ChangeToJson(const v1::Change& change);

//! RFC 3339 in UTC with fractional seconds when non-zero.
std::string FormatTimestamp(const google::protobuf::Timestamp& ts);
std::string FormatRfc3339(absl::Time time);

struct ExportHeader {
  int64_t revision = 0;
  std::string history_id;
  absl::Time exported_at = absl::UnixEpoch();
};

//! The export document; objects are sorted by AllTypes() order, then dbid.
//! Objects carry no "revision" (the document's revision covers them all), so
//! two servers with the same content export the same objects.
nlohmann::json MakeExport(const ExportHeader& header, std::vector<v1::ConfigObject> objects);

//! Validates format and version and parses every object (each must name its
//! type). Returns the objects in AllTypes() order, then dbid. Duplicate
//! (type, dbid) pairs are errors.
absl::StatusOr<std::vector<v1::ConfigObject>> ParseExport(const nlohmann::json& json);

//! Sorts by AllTypes() order, then dbid (unknown types last).
void SortObjects(std::vector<v1::ConfigObject>* objects);

//! Serializes without throwing: invalid UTF-8 is replaced, not fatal.
std::string DumpJson(const nlohmann::json& json, int indent = -1);

//! Parses text without throwing; the error says where the syntax is wrong.
absl::StatusOr<nlohmann::json> ParseJson(absl::string_view text);

}  // namespace tandem::config
