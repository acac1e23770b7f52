// PairRole's store and probe over the real thing: the lock in an annex
// section of an Application (`[scs-pair]`; the Message Server's pair uses
// `[msg-pair]`), read from the followed configuration and swapped with an
// Update carrying expected_revision through the masters; and the partner
// SCS's GetInfo at its Host's address and its `default` port.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/scs_service.h"
#include "scs/pair_role.h"
#include "tandem/client/tandem_client.h"
#include "tandem/config/client.h"

namespace tandem::scs {

//! The SCS pair `me` belongs to, from the configuration: its partner (its
//! backup, or the SCS whose backup it is) and the Application whose annex
//! holds the lock (the pair's first member). No partner: std::nullopt.
struct PairMembers {
  std::string partner;
  std::string lock_application;
};
std::optional<PairMembers> FindPair(const client::TandemClient& config, const std::string& me);

//! "address:port" of an Application: its Host's address and its `default`
//! port (or the first); empty when it has none.
std::string AddressOf(const client::TandemClient& config, const std::string& application);

class ConfigEpochStore : public EpochStore {
 public:
  ConfigEpochStore(client::TandemClient& config, std::string lock_application,
                   std::vector<std::string> masters, config::ClientOptions client_options,
                   std::string section = "scs-pair");
  absl::StatusOr<PairLock> Read() override;
  absl::StatusOr<PairLock> Take(const PairLock& seen, const std::string& me) override;

 private:
  client::TandemClient& config_;
  const std::string lock_application_;
  //! The annex section the lock is in ("scs-pair", "msg-pair").
  const std::string section_;
  const std::vector<std::string> masters_;
  const config::ClientOptions client_options_;
  std::vector<config::ConfigClientPtr> clients_;
  //! What we wrote last: newer than the followed cache for a moment.
  PairLock written_;
};

class GrpcPartnerProbe : public PartnerProbe {
 public:
  GrpcPartnerProbe(client::TandemClient& config, std::string partner, TlsFiles tls)
      : config_(config), partner_(std::move(partner)), client_(std::move(tls)) {}
  bool Alive() override;

 private:
  client::TandemClient& config_;
  const std::string partner_;
  net::ScsProbeClient client_;
};

}  // namespace tandem::scs
