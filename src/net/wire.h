// Hand-framing of protobuf messages from already-serialized parts, so that
// stored objects and committed changes are sent without being parsed and
// serialized again.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace tandem::net {

//! Appends v as a protobuf varint.
inline void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

//! Appends field `field` (wire type 2) holding `bytes`: an embedded message
//! or a bytes/string value.
inline void AppendLengthDelimited(std::string* out, int field, absl::string_view bytes) {
  AppendVarint(out, (static_cast<uint64_t>(field) << 3) | 2);
  AppendVarint(out, bytes.size());
  out->append(bytes.data(), bytes.size());
}

//! Appends field `field` (wire type 0) holding `v`.
inline void AppendVarintField(std::string* out, int field, uint64_t v) {
  AppendVarint(out, static_cast<uint64_t>(field) << 3);
  AppendVarint(out, v);
}

}  // namespace tandem::net
