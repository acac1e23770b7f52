// `tandemd scs`: the ScsServer following the masters, until SIGTERM.
#pragma once

#include "absl/status/status.h"
#include "scs/scs_config.h"

namespace tandem::scs {

absl::Status RunScs(const ScsConfig& config);

}  // namespace tandem::scs
