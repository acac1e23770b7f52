// TSIG keys as BIND writes them (`tsig-keygen NAME > FILE`):
//   key "NAME" { algorithm hmac-sha256; secret "BASE64"; };
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tandem::dns {

struct TsigKey {
  //! Absolute key name with the trailing dot, e.g. "tandem-update.".
  std::string name;
  //! ldns's algorithm name, e.g. "hmac-sha256.".
  std::string algorithm;
  //! The shared secret, base64 as in the file.
  std::string secret;
};

//! Parses the first `key` statement of `text`; `source` names the file in
//! errors ("FILE: ..."). Comments (#, //, /* */) are skipped. Errors are
//! InvalidArgument and say what is wrong and where.
absl::StatusOr<TsigKey> ParseTsigKey(absl::string_view text, absl::string_view source);

//! Reads and parses FILE. A missing or unreadable file is NotFound /
//! PermissionDenied with a message naming it.
absl::StatusOr<TsigKey> LoadTsigKey(const std::string& path);

}  // namespace tandem::dns
