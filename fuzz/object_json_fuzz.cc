// Arbitrary text as an object file and as an export document (tandemctl's
// inputs). Must never crash or throw.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/object_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto json = tandem::config::ParseJson(text);
  if (!json.ok()) return 0;
  (void)tandem::config::ObjectFromJson(*json, tandem::config::v1::OBJECT_TYPE_UNSPECIFIED);
  (void)tandem::config::ParseExport(*json);
  return 0;
}
