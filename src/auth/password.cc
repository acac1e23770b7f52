#include "auth/password.h"

#include <sodium.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tandem::auth {
namespace {

constexpr size_t kMaxPassword = 1024;  // a longer one only costs the server

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

}  // namespace

absl::StatusOr<std::string> HashPassword(absl::string_view password, const PasswordParams& params) {
  if (!SodiumReady()) return absl::InternalError("libsodium failed to initialise");
  if (password.size() > kMaxPassword) {
    return absl::InvalidArgumentError(
        absl::StrCat("password: at most ", kMaxPassword, " characters"));
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), params.ops, params.mem_bytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError(
        "hashing the password ran out of memory; lower [auth] argon2_memory_mib");
  }
  return std::string(out);
}

bool VerifyPassword(absl::string_view hash, absl::string_view password) {
  if (!SodiumReady() || password.size() > kMaxPassword || hash.empty()) return false;
  const std::string h(hash);  // NUL-terminated
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

bool NeedsRehash(absl::string_view hash, const PasswordParams& params) {
  const std::string h(hash);
  return crypto_pwhash_str_needs_rehash(h.c_str(), params.ops, params.mem_bytes) != 0;
}

absl::Status CheckPasswordRules(absl::string_view password, absl::string_view user,
                                const PasswordRules& rules) {
  if (password.empty()) return absl::InvalidArgumentError("password: empty");
  if (static_cast<int>(password.size()) < rules.min_length) {
    return absl::InvalidArgumentError(
        absl::StrCat("password: at least ", rules.min_length, " characters (the tenant's rule)"));
  }
  if (password.size() > kMaxPassword) {
    return absl::InvalidArgumentError(
        absl::StrCat("password: at most ", kMaxPassword, " characters"));
  }
  if (!user.empty() &&
      absl::StrContains(absl::AsciiStrToLower(password), absl::AsciiStrToLower(user))) {
    return absl::InvalidArgumentError("password: must not contain the user name");
  }
  if (password.find_first_not_of(password[0]) == absl::string_view::npos) {
    return absl::InvalidArgumentError("password: not one character repeated");
  }
  return absl::OkStatus();
}

}  // namespace tandem::auth
