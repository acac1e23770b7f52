// Command-line words from one string, as an Application object's `arguments`
// holds them.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tandem {

//! Splits `line` into words the way a POSIX shell does (blanks separate;
//! 'single' and "double" quotes and backslash escape), expanding nothing:
//! no variables, globs or redirections. An unterminated quote is an error.
absl::StatusOr<std::vector<std::string>> SplitArguments(const std::string& line);

}  // namespace tandem
