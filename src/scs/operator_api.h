// What an operator's call to the SCS does (tandemctl app|host|solution):
// the targets are resolved against what this SCS manages, the master is
// asked whether the caller may (Read to see, Execute to start, stop, restart
// or switch over; the one authorization function, over the master's state),
// every control action is audited before it is carried out, and the
// ScsServer's loop carries it out.
#pragma once

#include <functional>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "net/scs_service.h"
#include "scs/audit_log.h"
#include "scs/scs_bus.h"
#include "scs/scs_server.h"
#include "tandem/client/tandem_client.h"
#include "tandem/control/v1/access.pb.h"

namespace tandem::scs {

//! Asks the master (net::AccessCheckClient::Check in production).
using AccessCheckFn = std::function<absl::StatusOr<control::v1::CheckAccessResponse>(
    const control::v1::CheckAccessRequest&)>;

//! Everything the SCS shows, unfiltered: what it publishes on the bus.
control::v1::ScsStatusResponse FullPicture(ScsServer& server);

class OperatorApi : public net::ScsOperations {
 public:
  //! `config` must cache Hosts, Applications and Solutions.
  OperatorApi(ScsServer& server, client::TandemClient& config, AccessCheckFn check, AuditLog& audit,
              Clock& clock = Clock::Real())
      : server_(server), config_(config), check_(std::move(check)), audit_(audit), clock_(clock) {}

  //! The Message Server link: statuses of the whole environment, commands
  //! for hosts other SCSs own forwarded to them. Set before serving.
  void set_bus(ScsBus* bus) { bus_ = bus; }

  control::v1::ScsInfo Info() override { return server_.Info(); }
  absl::StatusOr<control::v1::ScsStatusResponse> Status(
      const net::OperatorCall& call, const control::v1::ScsStatusRequest& request) override;
  absl::StatusOr<control::v1::ControlResponse> Control(
      const net::OperatorCall& call, const control::v1::ControlRequest& request) override;

 private:
  control::v1::CheckAccessRequest CheckRequest(const net::OperatorCall& call, const char* right,
                                               std::string action) const;
  void Audit(const net::OperatorCall& call, const std::string& who, const std::string& action,
             const std::string& target, const std::string& outcome, const std::string& detail);

  ScsServer& server_;
  client::TandemClient& config_;
  const AccessCheckFn check_;
  //! The Host.scs of an Application's host ("" when unknown).
  std::string OwnerOf(const std::string& application) const;

  AuditLog& audit_;
  Clock& clock_;
  ScsBus* bus_ = nullptr;
};

}  // namespace tandem::scs
