// How tandemctl talks to a Solution Control Server (app, host and solution
// commands): an interface, so that src/ctl needs no gRPC headers; the
// executable passes the gRPC implementation (src/exe/tandemctl.cc).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tandem/control/v1/scs.pb.h"
#include "tandem/tls_files.h"

namespace tandem::ctl {

namespace cv1 = ::tandem::control::v1;

class ScsClient {
 public:
  virtual ~ScsClient() = default;
  virtual absl::StatusOr<cv1::ScsStatusResponse> Status(const cv1::ScsStatusRequest& request) = 0;
  virtual absl::StatusOr<cv1::ControlResponse> Control(const cv1::ControlRequest& request) = 0;
};

struct ScsClientOptions {
  //! HOST:PORT of the SCS's ScsControl.
  std::string address;
  TlsFiles tls;
  //! The operator's session token (tandemctl login).
  std::string token;
  //! With authentication off: who runs tandemctl ("tandemctl (alice@ops)").
  std::string claimed;
  absl::Duration timeout = absl::Seconds(10);
};

using ScsClientFactory = std::function<std::unique_ptr<ScsClient>(const ScsClientOptions&)>;

}  // namespace tandem::ctl
