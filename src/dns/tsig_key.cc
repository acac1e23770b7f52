#include "dns/tsig_key.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dns/names.h"

namespace tandem::dns {
namespace {

struct Token {
  std::string text;
  bool quoted = false;
  int line = 0;
};

//! Splits named.conf-style text into words, quoted strings and { } ;.
absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view text, absl::string_view source) {
  std::vector<Token> tokens;
  int line = 1;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      ++i;
    } else if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '#' || text.substr(i, 2) == "//") {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (text.substr(i, 2) == "/*") {
      size_t end = text.find("*/", i + 2);
      if (end == absl::string_view::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ":", line, ": comment '/*' is never closed"));
      }
      for (size_t j = i; j < end; ++j) line += text[j] == '\n';
      i = end + 2;
    } else if (c == '"') {
      size_t end = text.find('"', i + 1);
      if (end == absl::string_view::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ":", line, ": a quoted string is never closed"));
      }
      tokens.push_back({std::string(text.substr(i + 1, end - i - 1)), true, line});
      for (size_t j = i; j < end; ++j) line += text[j] == '\n';
      i = end + 1;
    } else if (c == '{' || c == '}' || c == ';') {
      tokens.push_back({std::string(1, c), false, line});
      ++i;
    } else {
      size_t start = i;
      while (i < text.size() && !absl::ascii_isspace(static_cast<unsigned char>(text[i])) &&
             std::strchr("{};\"#", text[i]) == nullptr) {
        ++i;
      }
      tokens.push_back({std::string(text.substr(start, i - start)), false, line});
    }
  }
  return tokens;
}

//! BIND's algorithm names to ldns's.
absl::StatusOr<std::string> AlgorithmName(const std::string& bind_name, absl::string_view where) {
  std::string name = absl::AsciiStrToLower(bind_name);
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (name == "hmac-md5" || name == "hmac-md5.sig-alg.reg.int") {
    return std::string("hmac-md5.sig-alg.reg.int.");
  }
  for (const char* known :
       {"hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"}) {
    if (name == known) return name + ".";
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": unknown TSIG algorithm '", bind_name,
                   "'; use hmac-sha256 (tsig-keygen's default), hmac-sha512 or another hmac-sha*"));
}

}  // namespace

absl::StatusOr<TsigKey> ParseTsigKey(absl::string_view text, absl::string_view source) {
  absl::StatusOr<std::vector<Token>> tokens_or = Tokenize(text, source);
  if (!tokens_or.ok()) return tokens_or.status();
  const std::vector<Token>& tokens = *tokens_or;
  auto where = [&](size_t i) {
    int line = i < tokens.size() ? tokens[i].line : (tokens.empty() ? 1 : tokens.back().line);
    return absl::StrCat(source, ":", line);
  };
  auto expect = [&](size_t i, absl::string_view what) -> absl::Status {
    if (i < tokens.size() && !tokens[i].quoted && tokens[i].text == what) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        where(i), ": expected '", what, "' ",
        i < tokens.size() ? absl::StrCat("but found '", tokens[i].text, "'")
                          : std::string("but the file ends"),
        "; a key file looks like: key \"NAME\" { algorithm hmac-sha256; secret \"BASE64\"; };"));
  };

  size_t i = 0;
  while (i < tokens.size() && (tokens[i].quoted || tokens[i].text != "key")) ++i;
  if (i == tokens.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": no 'key' statement; make one with 'tsig-keygen NAME > FILE'"));
  }
  ++i;
  if (i >= tokens.size() || tokens[i].text == "{" || tokens[i].text == ";") {
    return absl::InvalidArgumentError(absl::StrCat(where(i), ": the key has no name"));
  }
  absl::StatusOr<std::string> name = AbsoluteName(tokens[i].text);
  if (!name.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where(i), ": bad key name: ", name.status().message()));
  }
  TsigKey key;
  key.name = *name;
  ++i;
  if (absl::Status s = expect(i, "{"); !s.ok()) return s;
  ++i;
  while (i < tokens.size() && !(tokens[i].text == "}" && !tokens[i].quoted)) {
    const Token& option = tokens[i];
    if (i + 1 >= tokens.size()) break;
    const Token& value = tokens[i + 1];
    if (option.text == "algorithm") {
      absl::StatusOr<std::string> algorithm = AlgorithmName(value.text, where(i + 1));
      if (!algorithm.ok()) return algorithm.status();
      key.algorithm = *algorithm;
    } else if (option.text == "secret") {
      std::string decoded;
      if (value.text.empty() || !absl::Base64Unescape(value.text, &decoded)) {
        return absl::InvalidArgumentError(
            absl::StrCat(where(i + 1), ": the secret is not valid base64"));
      }
      key.secret = value.text;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          where(i), ": unknown key option '", option.text, "' (expected algorithm or secret)"));
    }
    i += 2;
    if (absl::Status s = expect(i, ";"); !s.ok()) return s;
    ++i;
  }
  if (absl::Status s = expect(i, "}"); !s.ok()) return s;
  ++i;
  if (absl::Status s = expect(i, ";"); !s.ok()) return s;
  std::vector<std::string> missing;
  if (key.algorithm.empty()) missing.push_back("algorithm");
  if (key.secret.empty()) missing.push_back("secret");
  if (!missing.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": key \"", key.name, "\" has no ", absl::StrJoin(missing, " and ")));
  }
  return key;
}

absl::StatusOr<TsigKey> LoadTsigKey(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    int err = errno;
    std::string message = absl::StrCat("cannot read TSIG key file ", path, ": ", strerror(err));
    if (err == EACCES) return absl::PermissionDeniedError(message);
    if (err == ENOENT) {
      return absl::NotFoundError(absl::StrCat(message, "; make one with 'tsig-keygen NAME > ", path,
                                              "' and allow it in the zone's allow-update"));
    }
    return absl::NotFoundError(message);
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseTsigKey(text.str(), path);
}

}  // namespace tandem::dns
