#include "ctl/input.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "config/object_json.h"
#include "config/object_types.h"
#include "ctl/errors.h"
#include "ctl/suggest.h"

namespace tandem::ctl {

absl::StatusOr<v1::ObjectType> ParseTypeArg(absl::string_view text) {
  auto type = config::ParseType(text);
  if (type.ok()) return *type;
  std::vector<std::string> names = {"app"};
  for (v1::ObjectType t : config::AllTypes()) {
    names.push_back(absl::AsciiStrToLower(config::TypeName(t)));
  }
  const std::string hint = ClosestMatch(absl::AsciiStrToLower(text), names);
  return UsageError(absl::StrCat(type.status().message(),
                                 hint.empty() ? "" : absl::StrCat("; did you mean '", hint, "'?")));
}

std::string ObjectKey::ToString() const {
  if (EitherWay() || dbid == 0) return absl::StrCat("'", name, "'");
  return absl::StrCat("dbid ", dbid);
}

namespace {

bool AllDigits(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

absl::StatusOr<int64_t> ParseDbid(absl::string_view text, absl::string_view original) {
  int64_t dbid = 0;
  if (!AllDigits(text) || !absl::SimpleAtoi(text, &dbid) || dbid <= 0) {
    return UsageError(
        absl::StrCat("'", original, "' is not a valid DBID (a positive 64-bit number)"));
  }
  return dbid;
}

}  // namespace

absl::StatusOr<ObjectKey> ParseKey(absl::string_view text) {
  if (text.empty()) return UsageError("the object NAME or DBID is empty");
  ObjectKey key;
  if (absl::ConsumePrefix(&text, "dbid:")) {
    auto dbid = ParseDbid(text, absl::StrCat("dbid:", text));
    if (!dbid.ok()) return dbid.status();
    key.dbid = *dbid;
    return key;
  }
  if (absl::ConsumePrefix(&text, "name:")) {
    if (text.empty()) return UsageError("'name:' needs a name after it");
    key.name = std::string(text);
    return key;
  }
  key.name = std::string(text);
  // Digits are a DBID too when they can be one ("0" is only a name).
  if (AllDigits(text) && (!absl::SimpleAtoi(text, &key.dbid) || key.dbid <= 0)) key.dbid = 0;
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
