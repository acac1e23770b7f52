// The SCS's own gRPC service (api/tandem/control/v1/scs.proto) and the
// probe its partner uses to know it is alive.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "tandem/control/v1/scs.grpc.pb.h"
#include "tandem/tls_files.h"

namespace tandem::net {

class ScsServiceImpl final : public control::v1::ScsControl::Service {
 public:
  //! `info` answers GetInfo (any thread).
  explicit ScsServiceImpl(std::function<control::v1::ScsInfo()> info) : info_(std::move(info)) {}
  grpc::Status GetInfo(grpc::ServerContext* ctx, const control::v1::GetScsInfoRequest* req,
                       control::v1::ScsInfo* resp) override;

 private:
  std::function<control::v1::ScsInfo()> info_;
};

//! Asks the SCS at an address for its info, with a short deadline; keeps
//! one channel per address.
class ScsProbeClient {
 public:
  explicit ScsProbeClient(TlsFiles tls) : tls_(std::move(tls)) {}
  //! The partner's answer, or nullptr-like false when it does not answer
  //! within `deadline_ms`.
  bool Ask(const std::string& address, int deadline_ms, control::v1::ScsInfo* out);

 private:
  const TlsFiles tls_;
  std::string address_;
  std::unique_ptr<control::v1::ScsControl::Stub> stub_;
};

}  // namespace tandem::net
