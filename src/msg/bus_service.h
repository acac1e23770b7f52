// MessageBus (api/tandem/msg/v1/bus.proto) over a Bus: publishers,
// subscribers' streams and the partner's copy. Who may do what is decided by
// a BusAccess (the master, in production) before anything is touched.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "msg/bus.h"
#include "net/scs_service.h"
#include "tandem/msg/v1/bus.grpc.pb.h"

namespace tandem::msg {

namespace mv1 = ::tandem::msg::v1;

//! Decides who may publish ("execute") and subscribe ("read").
class BusAccess {
 public:
  virtual ~BusAccess() = default;
  //! `done` gets the caller's identity ("application scs-r1") when it may,
  //! else UNAUTHENTICATED / PERMISSION_DENIED saying what to do, or
  //! UNAVAILABLE when it cannot be decided now. May run on another thread.
  virtual void Check(const net::OperatorCall& call, const std::string& right,
                     std::function<void(absl::StatusOr<std::string>)> done) = 0;
};

struct BusServiceOptions {
  std::string application;
  //! The pair's other server (may copy); empty without a pair.
  std::string partner;
  //! Copy is refused to a caller whose certificate is not the partner's;
  //! false only for plaintext (no certificates to tell).
  bool check_partner_certificate = true;
  //! Messages per Delivery.
  size_t batch = 256;
};

class BusServiceImpl final : public mv1::MessageBus::CallbackService {
 public:
  //! `bus` and `access` must outlive the service. `copying` says whether a
  //! backup's copy is live now (for GetInfo).
  BusServiceImpl(Bus& bus, BusAccess& access, BusServiceOptions options,
                 std::function<bool()> copying);

  grpc::ServerUnaryReactor* GetInfo(grpc::CallbackServerContext* ctx,
                                    const mv1::GetBusInfoRequest* req, mv1::BusInfo* resp) override;
  grpc::ServerUnaryReactor* Publish(grpc::CallbackServerContext* ctx,
                                    const mv1::PublishRequest* req,
                                    mv1::PublishResponse* resp) override;
  grpc::ServerWriteReactor<mv1::Delivery>* Subscribe(grpc::CallbackServerContext* ctx,
                                                     const mv1::SubscribeRequest* req) override;
  grpc::ServerWriteReactor<mv1::CopyEvent>* Copy(grpc::CallbackServerContext* ctx,
                                                 const mv1::CopyRequest* req) override;

 private:
  Bus& bus_;
  BusAccess& access_;
  const BusServiceOptions options_;
  const std::function<bool()> copying_;
};

//! What a caller presented (token, certificate, peer, claimed name).
net::OperatorCall CallOf(grpc::CallbackServerContext& ctx);

//! Message <-> wire.
void ToWire(const std::string& channel, const Message& m, mv1::BusMessage* out);
Message FromWire(const mv1::BusMessage& m);

}  // namespace tandem::msg
