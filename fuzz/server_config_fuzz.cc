// Arbitrary text as a tandemd bootstrap file. Must never crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "confserv/server_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)tandem::confserv::ParseServerConfig(text, "fuzz.toml");
  return 0;
}
