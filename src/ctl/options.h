// Options shared by every tandemctl command.
#pragma once

#include <string>

#include "tandem/tls_files.h"

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
  //! TLS to the server: --ca (else a default file), --cert/--key, --plaintext.
  TlsFiles tls;
  //! Given on the command line (not only defaulted or from the environment):
  //! commands that do not talk to a configuration server refuse them.
  bool server_given = false;
  bool timeout_given = false;
  //! Who runs tandemctl, recorded with its writes until authentication
  //! lands: the OS user (the sudo caller under sudo) and the host name.
  std::string os_user;
  std::string os_host;
};

}  // namespace tandem::ctl
