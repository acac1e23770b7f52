// Runs a real `tandemd msgserver` for integration tests (DaemonProcess's
// process handling); its certificate's CN is its Application's name.
#pragma once

#include <string>
#include <vector>

#include "tandem/msg/v1/bus.grpc.pb.h"
#include "testing/daemon_process.h"

namespace tandem::testing {

struct MsgServerOptions {
  std::vector<std::string> masters;
  //! Its Application (and its certificate's CN).
  std::string application = "ms";
  //! [msgserver] listen: its Application's host address and default port.
  std::string listen;
  int takeover_s = 1;
  //! More sections ([channels], [bus]).
  std::string extra_toml;
};

class MsgServerProcess : public DaemonProcess {
 public:
  explicit MsgServerProcess(MsgServerOptions options);
  //! MessageBus at this server, as `caller` (a client certificate; empty:
  //! none, the test CA only).
  std::unique_ptr<msg::v1::MessageBus::Stub> Bus(const std::string& caller = "") const;
  //! GetInfo; an empty BusInfo when it does not answer within 2 s.
  msg::v1::BusInfo Info() const;
};

}  // namespace tandem::testing
