// Replacing a file so that a reader never sees half of it: the content goes
// to PATH.tmp, then rename(2). With `durable`, the data and the directory
// entry are on disk (fsync) before it returns: state that must survive a
// crash (the LCA's state file), as opposed to status and port files.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace tandem {

struct AtomicWriteOptions {
  bool durable = false;
  //! Mode of a new file.
  int mode = 0644;
};

//! The error names the file and the cause.
absl::Status WriteFileAtomically(const std::string& path, const std::string& data,
                                 AtomicWriteOptions options = {});

}  // namespace tandem
