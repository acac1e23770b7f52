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

//! NAME|DBID as the operator typed it. "dbid:42" and "name:42" say which;
//! a bare all-digit argument may be either (both fields set: the server is
//! asked, and both existing is an ambiguity to resolve); anything else is a name.
struct ObjectKey {
  int64_t dbid = 0;
  std::string name;
  bool EitherWay() const { return dbid != 0 && !name.empty(); }
  //! "dbid 42", "'x'", or "'42'" (either way).
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
