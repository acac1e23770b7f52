// tandemctl's command line: global options, subcommands, exit codes.
#pragma once

#include <iostream>

#include "ctl/context.h"
#include "ctl/scs_client.h"

namespace tandem::ctl {

//! Parses argv, runs the chosen command and returns the process exit code:
//! 0 on success, 1 for server and user errors, 2 for usage errors. Every
//! error is one line "tandemctl: ..." on `err`.
int RunCli(int argc, const char* const* argv, const ClientFactory& factory,
           std::istream& in = std::cin, std::ostream& out = std::cout,
           std::ostream& err = std::cerr);
//! The same, with `scs` to reach Solution Control Servers (app, host and
//! solution commands; without one they say they cannot).
int RunCli(int argc, const char* const* argv, const ClientFactory& factory,
           const ScsClientFactory& scs, std::istream& in = std::cin, std::ostream& out = std::cout,
           std::ostream& err = std::cerr);

}  // namespace tandem::ctl
