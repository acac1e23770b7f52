// `tandemd console`: runs the operator's browser console until SIGTERM.
#pragma once

#include "absl/status/status.h"
#include "console/console_config.h"

namespace tandem::console {

absl::Status RunConsole(const ConsoleConfig& config);

}  // namespace tandem::console
