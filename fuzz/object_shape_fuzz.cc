// Arbitrary bytes as a ConfigObject through the whole write path in memory:
// shape validation, then creation against an empty state. Must never crash.
#include <cstddef>
#include <cstdint>

#include "config/schema.h"
#include "confserv/config_state.h"
#include "confserv/overlay.h"
#include "confserv/write_applier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tandem::config::v1::ConfigObject object;
  if (!object.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (!tandem::config::ValidateShape(&object, true).ok()) return 0;
  tandem::confserv::ConfigState state;
  tandem::confserv::Overlay overlay(state);
  std::vector<tandem::config::v1::Operation> ops(1);
  *ops[0].mutable_create()->mutable_object() = object;
  (void)tandem::confserv::ApplyOperations(overlay, ops, "fuzz", absl::UnixEpoch());
  return 0;
}
