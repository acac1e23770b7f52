#include "common/arguments.h"

#include "absl/strings/str_cat.h"

namespace tandem {

absl::StatusOr<std::vector<std::string>> SplitArguments(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote == '\'') {
      if (c == '\'') {
        quote = 0;
      } else {
        word += c;
      }
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= line.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("arguments end in a lone backslash: ", line));
      }
      const char next = line[++i];
      // Inside double quotes a backslash escapes only what the shell lets it.
      if (quote == '"' && next != '"' && next != '\\' && next != '$' && next != '`') word += '\\';
      word += next;
      in_word = true;
      continue;
    }
    if (quote == '"') {
      if (c == '"') {
        quote = 0;
      } else {
        word += c;
      }
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    word += c;
    in_word = true;
  }
  if (quote != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unterminated ", quote == '"' ? "double" : "single", " quote in arguments: ", line));
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace tandem
