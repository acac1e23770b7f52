#include "ctl/input.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "config/object_json.h"
#include "config/object_types.h"
#include "ctl/errors.h"

namespace tandem::ctl {

absl::StatusOr<v1::ObjectType> ParseTypeArg(absl::string_view text) {
  auto type = config::ParseType(text);
  if (!type.ok()) return UsageError(type.status().message());
  return *type;
}

std::string ObjectKey::ToString() const {
  return dbid != 0 ? absl::StrCat("dbid ", dbid) : absl::StrCat("'", name, "'");
}

absl::StatusOr<ObjectKey> ParseKey(absl::string_view text) {
  if (text.empty()) return UsageError("the object NAME or DBID is empty");
  ObjectKey key;
  bool digits = std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
  if (!digits) {
    key.name = std::string(text);
    return key;
  }
  if (!absl::SimpleAtoi(text, &key.dbid) || key.dbid <= 0) {
    return UsageError(absl::StrCat("'", text, "' is not a valid DBID (a positive 64-bit number)"));
  }
  return key;
}

absl::StatusOr<std::pair<std::string, std::string>> ParseAssignment(absl::string_view text,
                                                                    absl::string_view what) {
  auto eq = text.find('=');
  if (eq == absl::string_view::npos || eq == 0) {
    return UsageError(absl::StrCat(what, " '", text, "': expected KEY=VALUE"));
  }
  return std::make_pair(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
}

absl::StatusOr<std::string> ReadInput(const std::string& path, std::istream& stdin_stream) {
  std::ostringstream buffer;
  if (path == "-") {
    buffer << stdin_stream.rdbuf();
    return buffer.str();
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno), "; check the path"));
  }
  buffer << file.rdbuf();
  if (file.bad()) {
    return absl::DataLossError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  return buffer.str();
}

absl::StatusOr<nlohmann::json> ReadJsonInput(const std::string& path, std::istream& stdin_stream) {
  auto text = ReadInput(path, stdin_stream);
  if (!text.ok()) return text.status();
  auto json = config::ParseJson(*text);
  if (!json.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path == "-" ? "stdin" : path, ": ", json.status().message()));
  }
  return json;
}

}  // namespace tandem::ctl
