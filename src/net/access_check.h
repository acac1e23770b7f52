// Control actions are authorized by the master: the SCS, which holds neither
// persons nor grants, asks AccessCheck.Check (api/tandem/control/v1/
// access.proto) with what the operator presented, and the master answers
// with the operator's identity and, per object, config::Allowed. So one
// authorization function decides reads, writes and control actions alike,
// over the master's own state.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/authenticator.h"
#include "tandem/config/backend.h"
#include "tandem/control/v1/access.grpc.pb.h"
#include "tandem/tls_files.h"

namespace tandem::net {

//! The master's side. `auth` null: authentication is off (everyone may).
class AccessCheckImpl final : public control::v1::AccessCheck::Service {
 public:
  AccessCheckImpl(config::Backend& backend, auth::Authenticator* auth)
      : backend_(backend), auth_(auth) {}
  grpc::Status Check(grpc::ServerContext* ctx, const control::v1::CheckAccessRequest* request,
                     control::v1::CheckAccessResponse* response) override;

 private:
  config::Backend& backend_;
  auth::Authenticator* const auth_;
};

//! The SCS's side: asks the masters in turn (the last one that answered
//! first), with the SCS's certificate.
class AccessCheckClient {
 public:
  //! Channels connect lazily: nothing is dialed until the first check.
  AccessCheckClient(std::vector<std::string> masters, const TlsFiles& tls);
  //! The master's answer; its UNAUTHENTICATED / PERMISSION_DENIED as they
  //! are; UNAVAILABLE saying so when no master answers.
  absl::StatusOr<control::v1::CheckAccessResponse> Check(
      const control::v1::CheckAccessRequest& request);

 private:
  const std::vector<std::string> masters_;
  //! One per master (stubs are thread-safe: checks run side by side).
  std::vector<std::unique_ptr<control::v1::AccessCheck::Stub>> stubs_;
  std::atomic<size_t> preferred_{0};
};

}  // namespace tandem::net
