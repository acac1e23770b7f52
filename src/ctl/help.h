// tandemctl's help and usage errors: the global options in every command's
// help, the failing command's help named in parse errors, "did you mean"
// for mistyped commands, and the command tree for shell completion.
#pragma once

#include <string>
#include <vector>

#include "CLI/CLI.hpp"

namespace tandem::ctl {

//! Appends a "Global options" block (the top-level options, which are valid
//! after any command) to the footer of every command under `app`.
void AddGlobalOptionsToHelp(CLI::App& app);

//! The command path argv names, as far as it names commands ("db replica
//! create"), skipping options and their values; `unknown` gets the first
//! word that should have been a command of a group that needs one and is not
//! (empty if none).
std::vector<const CLI::App*> CommandPath(const CLI::App& app, int argc, const char* const* argv,
                                         std::string* unknown);

//! The operator's line for a parse error: what is wrong, a suggestion for a
//! mistyped command, and the help of the command that failed.
std::string ParseErrorLine(const CLI::App& app, const CLI::ParseError& error, int argc,
                           const char* const* argv);

//! Checks a number of seconds: a number, > 0 and ≤ `max`; the error says
//! which ("--timeout: must be > 0").
CLI::Validator PositiveSeconds(double max);

//! A completion script for `shell` ("bash" or "zsh") from the command tree.
std::string CompletionScript(const CLI::App& app, const std::string& shell);

}  // namespace tandem::ctl
