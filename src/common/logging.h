// Process-wide logging set-up (spdlog). Components log with spdlog::info etc.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "spdlog/fmt/fmt.h"

namespace tandem {

//! Sets the default logger: level is trace|debug|info|warn|error|off; an empty
//! file logs to stderr. Returns an error naming the bad level or file.
absl::Status InitLogging(const std::string& level, const std::string& file);

}  // namespace tandem

//! Lets spdlog/fmt format absl::string_view (a distinct type in Debian's absl).
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  template <typename Ctx>
  auto format(absl::string_view s, Ctx& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
  }
};
