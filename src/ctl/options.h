// Options shared by every tandemctl command.
#pragma once

#include <string>

namespace tandem::ctl {

enum class OutputFormat { kTable, kJson };

struct GlobalOptions {
  //! "host:port"; from --server, else TANDEM_SERVER, else 127.0.0.1:9000.
  std::string server = "127.0.0.1:9000";
  OutputFormat output = OutputFormat::kTable;
  //! Application name tandemctl registers as (recorded as "who" in history).
  std::string app = "tandemctl";
  //! Deadline of each unary call, and of connecting.
  double timeout_s = 10;
};

}  // namespace tandem::ctl
