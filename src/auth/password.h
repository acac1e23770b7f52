// Password hashes: Argon2id (libsodium's crypto_pwhash_str), the parameters
// kept in each hash ("$argon2id$v=19$m=65536,t=2,p=1$...") so that they can be
// raised later and old hashes still verify (and are upgraded at the next
// login). Plaintext passwords are never stored or logged.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tandem::auth {

struct PasswordParams {
  //! Argon2id passes and memory: libsodium's "interactive" level (~0.1 s on
  //! one core, 64 MiB), above OWASP's minimum (2 passes, 19 MiB).
  uint64_t ops = 2;
  size_t mem_bytes = 64u << 20;
};

//! The hash to store for `password`.
absl::StatusOr<std::string> HashPassword(absl::string_view password, const PasswordParams& params);

//! Does `password` match `hash`? (Constant time in the password.)
bool VerifyPassword(absl::string_view hash, absl::string_view password);

//! Was `hash` made with other parameters than `params`? (Then the next
//! successful login stores a new hash.)
bool NeedsRehash(absl::string_view hash, const PasswordParams& params);

//! Rules a new password must meet (per tenant: Tenant properties).
struct PasswordRules {
  int min_length = 12;
};

//! OK, or INVALID_ARGUMENT saying which rule the password breaks.
absl::Status CheckPasswordRules(absl::string_view password, absl::string_view user,
                                const PasswordRules& rules);

}  // namespace tandem::auth
