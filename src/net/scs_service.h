// The SCS's own gRPC service (api/tandem/control/v1/scs.proto) and the
// probe its partner uses to know it is alive. What the operator's calls do
// is the SCS's business (ScsOperations, implemented by scs::OperatorApi);
// this file only carries what the caller presented.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "tandem/config/client.h"
#include "tandem/control/v1/scs.grpc.pb.h"
#include "tandem/tls_files.h"

namespace tandem::net {

//! What an operator's call to the SCS carried.
struct OperatorCall {
  //! "authorization: Bearer TOKEN".
  std::string token;
  //! CN of the caller's verified client certificate.
  std::string certificate;
  //! The caller's address.
  std::string peer;
  //! With authentication off: the name it gave ("x-tandem-claimed").
  std::string claimed;
};

//! The metadata key a client's claimed name travels in.
using config::kClaimedMetadataKey;

class ScsOperations {
 public:
  virtual ~ScsOperations() = default;
  virtual control::v1::ScsInfo Info() = 0;
  virtual absl::StatusOr<control::v1::ScsStatusResponse> Status(
      const OperatorCall& call, const control::v1::ScsStatusRequest& request) = 0;
  virtual absl::StatusOr<control::v1::ControlResponse> Control(
      const OperatorCall& call, const control::v1::ControlRequest& request) = 0;
};

class ScsServiceImpl final : public control::v1::ScsControl::Service {
 public:
  //! `ops` answers every call (any thread) and must outlive the service.
  explicit ScsServiceImpl(ScsOperations& ops) : ops_(ops) {}
  grpc::Status GetInfo(grpc::ServerContext* ctx, const control::v1::GetScsInfoRequest* req,
                       control::v1::ScsInfo* resp) override;
  grpc::Status Status(grpc::ServerContext* ctx, const control::v1::ScsStatusRequest* req,
                      control::v1::ScsStatusResponse* resp) override;
  grpc::Status Control(grpc::ServerContext* ctx, const control::v1::ControlRequest* req,
                       control::v1::ControlResponse* resp) override;

 private:
  ScsOperations& ops_;
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

//! An operator's client of one SCS (tandemctl app/host/solution): TLS with
//! `tls` (the CA; a certificate if the operator has one), the session token
//! sent as "authorization: Bearer".
class ScsControlClient {
 public:
  ScsControlClient(const std::string& address, const TlsFiles& tls, std::string token,
                   std::string claimed, absl::Duration timeout);
  absl::StatusOr<control::v1::ScsStatusResponse> Status(
      const control::v1::ScsStatusRequest& request);
  absl::StatusOr<control::v1::ControlResponse> Control(const control::v1::ControlRequest& request);

 private:
  void Prepare(grpc::ClientContext& ctx) const;
  const std::string address_;
  const std::string token_;
  const std::string claimed_;
  const absl::Duration timeout_;
  std::unique_ptr<control::v1::ScsControl::Stub> stub_;
};

}  // namespace tandem::net
