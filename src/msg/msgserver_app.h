// `tandemd msgserver`: the Bus served over gRPC, following the masters (its
// pair, its partner's address, who may publish and subscribe), until
// SIGTERM. The pieces it is made of are here so that tests can assemble
// them on simulated time or with real processes.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/serial_executor.h"
#include "msg/alarm_engine.h"
#include "msg/bus.h"
#include "msg/bus_service.h"
#include "msg/msg_config.h"
#include "net/access_check.h"
#include "net/channel.h"
#include "scs/pair_role.h"
#include "tandem/client/tandem_client.h"
#include "tandem/msg/v1/bus.grpc.pb.h"

namespace tandem::msg {

//! Who may publish and subscribe, decided by the master (AccessCheck) from
//! the grants on the pair's first Application (the server's own without a
//! pair): Read subscribes, Execute publishes. A decision is reused for `cache` (and, while no
//! master answers, for as long as it is needed): the bus keeps working through a master failover
//! for callers it has seen.
class MasterBusAccess final : public BusAccess {
 public:
  using Ask = std::function<absl::StatusOr<control::v1::CheckAccessResponse>(
      const control::v1::CheckAccessRequest&)>;
  //! `application` is the one whose grants decide; `own_dbid` gives its
  //! dbid, asked each time (it may appear later).
  MasterBusAccess(std::string application, std::function<int64_t()> own_dbid, Ask ask,
                  absl::Duration cache, Clock& clock);
  ~MasterBusAccess() override;
  //! Answers the checks still waiting (before the server shuts down: they
  //! finish its calls); later checks are asked on the caller's thread.
  void Stop() { asker_.Stop(); }
  void Check(const net::OperatorCall& call, const std::string& right,
             std::function<void(absl::StatusOr<std::string>)> done) override;

 private:
  struct Decision {
    absl::StatusOr<std::string> who;
    absl::Time at;
  };
  absl::StatusOr<std::string> Decide(const net::OperatorCall& call, const std::string& right,
                                     const std::string& key);

  const std::string application_;
  const std::function<int64_t()> own_dbid_;
  const Ask ask_;
  const absl::Duration cache_;
  Clock& clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Decision> decisions_ ABSL_GUARDED_BY(mu_);
  //! Misses are asked here, not on gRPC's threads.
  SerialExecutor asker_;
};

//! A MessageBus stub for the partner's address as the configuration gives
//! it now: one channel while the address stays put, a new one when it moves.
//! One thread at a time.
class PartnerStub {
 public:
  explicit PartnerStub(net::ChannelOptions options) : options_(std::move(options)) {}
  msg::v1::MessageBus::Stub& For(const std::string& address);

 private:
  const net::ChannelOptions options_;
  std::string dialed_;
  std::unique_ptr<msg::v1::MessageBus::Stub> stub_;
};

//! The backup's copy of the acting server: a Copy stream from the partner,
//! applied to the bus, opened again whenever it breaks, while not acting.
class BusCopier {
 public:
  //! `address` is asked each time a stream opens (the partner may move).
  BusCopier(Bus& bus, std::function<std::string()> address, TlsFiles tls);
  ~BusCopier();
  bool copying() const { return copying_.load(); }
  void Stop();

 private:
  void Run();
  absl::Status CopyOnce(const std::string& address);

  Bus& bus_;
  const std::function<std::string()> address_;
  std::atomic<bool> copying_{false};
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* ctx_ ABSL_GUARDED_BY(mu_) = nullptr;
  PartnerStub stub_;  // the copier's thread only
  std::thread thread_;
};

//! The partner Message Server answers GetInfo and acts.
class BusPartnerProbe final : public scs::PartnerProbe {
 public:
  BusPartnerProbe(std::function<std::string()> address, TlsFiles tls);
  bool Alive() override;

 private:
  const std::function<std::string()> address_;
  PartnerStub stub_;
};

//! The bus channel on which the Log Message Server publishes each alarm
//! raised or cleared (msg.v1.Alarm as JSON).
inline constexpr char kAlarmsChannel[] = "alarms";

//! The built-in rules and the configuration's AlarmConditions that have a
//! detection id.
std::vector<AlarmRule> AlarmRulesOf(const client::TandemClient& cfg);

absl::Status RunMsgServer(const MsgConfig& config);

}  // namespace tandem::msg
