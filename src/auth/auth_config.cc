#include "auth/auth_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/hash.h"
#include "common/toml_file.h"

namespace tandem::auth {

const std::vector<std::string>& AuthKeys() {
  static const auto* keys = new std::vector<std::string>{
      "mode",           "token_hours",         "argon2_ops",       "argon2_memory_mib",
      "bootstrap_file", "password_min_length", "lockout_failures", "lockout_minutes"};
  return *keys;
}

absl::Status ReadAuthSection(const toml::table& root, const std::string& source, AuthConfig* config,
                             std::string* bootstrap_file) {
  std::string mode = "on";
  int64_t token_hours = absl::ToInt64Hours(config->token_lifetime);
  int64_t ops = static_cast<int64_t>(config->argon2.ops);
  int64_t mem_mib = static_cast<int64_t>(config->argon2.mem_bytes >> 20);
  int64_t min_length = config->rules.min_length;
  int64_t failures = config->lockout_failures;
  int64_t lockout_minutes = absl::ToInt64Minutes(config->lockout);
  auto get = [&](const char* key, auto* out) { return TomlGet(root, source, "auth", key, out); };
  for (absl::Status st :
       {get("mode", &mode), get("token_hours", &token_hours), get("argon2_ops", &ops),
        get("argon2_memory_mib", &mem_mib), get("bootstrap_file", bootstrap_file),
        get("password_min_length", &min_length), get("lockout_failures", &failures),
        get("lockout_minutes", &lockout_minutes)}) {
    if (!st.ok()) return st;
  }
  auto invalid = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": [auth] ", what));
  };
  if (mode != "on" && mode != "off") return invalid("mode must be \"on\" or \"off\"");
  if (token_hours < 1 || token_hours > 24 * 30) return invalid("token_hours: 1..720");
  if (ops < 1 || ops > 10) return invalid("argon2_ops: 1..10");
  if (mem_mib < 1 || mem_mib > 4096) return invalid("argon2_memory_mib: 1..4096");
  if (min_length < 8 || min_length > 1024) return invalid("password_min_length: 8..1024");
  if (failures < 1 || failures > 1000) return invalid("lockout_failures: 1..1000");
  if (lockout_minutes < 1 || lockout_minutes > 7 * 24 * 60) {
    return invalid("lockout_minutes: 1..10080");
  }
  config->enabled = mode == "on";
  config->token_lifetime = absl::Hours(token_hours);
  config->argon2.ops = static_cast<uint64_t>(ops);
  config->argon2.mem_bytes = static_cast<size_t>(mem_mib) << 20;
  config->rules.min_length = static_cast<int>(min_length);
  config->lockout_failures = static_cast<int>(failures);
  config->lockout = absl::Minutes(lockout_minutes);
  std::error_code ec;
  const std::string dir =
      std::filesystem::absolute(std::filesystem::path(source), ec).parent_path().string();
  if (bootstrap_file->empty()) {
    *bootstrap_file = dir + "/bootstrap.secret";
  } else if ((*bootstrap_file)[0] != '/') {
    *bootstrap_file = dir + "/" + *bootstrap_file;
  }
  return absl::OkStatus();
}

absl::Status WriteBootstrapSecret(const std::string& path) {
  const std::string secret = RandomId() + RandomId();  // 256 bits
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  fchmod(fd, 0600);
  const std::string line = secret + "\n";
  const bool ok =
      write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace tandem::auth
