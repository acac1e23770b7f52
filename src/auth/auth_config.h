// The [auth] section of a bootstrap file (confserv and csproxy).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "auth/authenticator.h"
#include "toml++/toml.h"

namespace tandem::auth {

//! Keys of [auth].
const std::vector<std::string>& AuthKeys();

//! Reads [auth] into *config (mode, token_hours, argon2_ops,
//! argon2_memory_mib, password_min_length, lockout_failures, lockout_minutes)
//! and *bootstrap_file (default: bootstrap.secret beside the bootstrap file).
//! Errors name the file and key.
absl::Status ReadAuthSection(const toml::table& root, const std::string& source, AuthConfig* config,
                             std::string* bootstrap_file);

//! Writes a new random secret to `path` (0600, replacing what is there);
//! what `tandemctl auth bootstrap --secret-file` reads.
absl::Status WriteBootstrapSecret(const std::string& path);

}  // namespace tandem::auth
