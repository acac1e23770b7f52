// Command-line options shared by every mode of tandem-load.
#pragma once

#include <cstdint>
#include <string>

#include "tandem/tls_files.h"

namespace tandem::bench {

struct LoadOptions {
  std::string mode;
  //! host:port on the loopback interface.
  std::string server = "127.0.0.1:7000";
  int clients = 64;
  //! Measured seconds after the warm-up (closed-loop modes).
  double duration_s = 10;
  double warmup_s = 1;
  //! Mode-specific: objects to pre-create (read, populate), updates (watch-fanout),
  //! expected objects (list; 0 = do not verify).
  int64_t count = 0;
  //! Operations per Transaction when creating objects in bulk.
  int batch = 5000;
  //! How many times list repeats its full listing.
  int repeat = 3;
  //! Seconds to wait for the server to answer (ready mode).
  double timeout_s = 60;
  std::string app_name = "tandem-load";
  //! Folder DBID for the objects it creates (0: none).
  int64_t folder = 0;
  //! TLS to the server (--ca, --cert/--key) or --plaintext.
  TlsFiles tls;
  bool json = false;
};

}  // namespace tandem::bench
