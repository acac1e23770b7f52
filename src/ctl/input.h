// Parsing of tandemctl's command-line arguments and input files. Errors on
// arguments are usage errors (exit code 2).
#pragma once

#include <cstdint>
#include <istream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "tandem/config/v1/config.pb.h"

namespace tandem::ctl {

namespace v1 = ::tandem::config::v1;

//! "app", "Application", "applications", ... (see config::ParseType).
absl::StatusOr<v1::ObjectType> ParseTypeArg(absl::string_view text);

//! NAME|DBID: an all-digit argument is a DBID, anything else a name.
struct ObjectKey {
  int64_t dbid = 0;
  std::string name;
  std::string ToString() const;
};
absl::StatusOr<ObjectKey> ParseKey(absl::string_view text);

//! "K=V" -> {K, V}; `what` names the option in errors ("--property").
absl::StatusOr<std::pair<std::string, std::string>> ParseAssignment(absl::string_view text,
                                                                    absl::string_view what);

//! The whole content of `path`, or of `stdin` for "-".
absl::StatusOr<std::string> ReadInput(const std::string& path, std::istream& stdin_stream);

//! ReadInput + JSON parsing; errors name the file.
absl::StatusOr<nlohmann::json> ReadJsonInput(const std::string& path, std::istream& stdin_stream);

}  // namespace tandem::ctl
