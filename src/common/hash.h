// SHA-256 and deterministic protobuf serialization for the history hash chain.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"

namespace tandem {

//! SHA-256 of the concatenation a || b, as 32 raw bytes.
std::string Sha256(absl::string_view a, absl::string_view b);

//! Lower-case hex of raw bytes.
std::string HexEncode(absl::string_view bytes);

//! Serialization with maps in key order: equal messages give equal bytes.
std::string DeterministicSerialize(const google::protobuf::MessageLite& msg);

//! A random 128-bit identifier as 32 hex characters.
std::string RandomId();

}  // namespace tandem
