// libtandem's client of the Message Server pair (`tandemd msgserver`):
// publish to a channel, and subscribe to one with resumption.
//
//   tandem::client::BusOptions o{.servers = {"ms-a:5100", "ms-b:5100"}, .tls = tls};
//   tandem::client::BusPublisher pub(o);
//   auto seq = pub.Publish("scs_distributed", payload);
//
//   auto sub = tandem::client::BusSubscriber::Start(o, "scs_distributed", {},
//       [](const tandem::client::BusDelivery& d) { ... });
//
// Both follow the pair: a backup's refusal sends them to its partner, an
// unreachable server to the other. A subscriber resumes from the last
// history and sequence it was given, so after a reconnect or a switchover
// it gets what it missed, or a notice saying what it cannot be given (a gap,
// messages lost with the old primary, a history unknown to the server).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tandem/tls_files.h"

namespace tandem::client {

struct BusOptions {
  //! "host:port" of the pair's servers (one, without a pair).
  std::vector<std::string> servers;
  //! TLS material; the client certificate names the calling Application.
  TlsFiles tls;
  //! A person's session token (tandemctl login), instead of a certificate.
  std::string token;
  //! With authentication off: the name to claim.
  std::string claimed;
  //! How long Publish keeps trying the servers.
  absl::Duration timeout = absl::Seconds(5);
};

struct BusMessage {
  std::string channel;
  int64_t seq = 0;
  std::string history;
  absl::Time published_at;
  std::string publisher;
  std::string payload;
};

struct BusNotice {
  enum class Kind { kStarted, kGap, kDiverged, kUnknownHistory };
  Kind kind = Kind::kStarted;
  std::string history;
  int64_t next_seq = 0;
  int64_t missed = 0;
  std::string text;
};

//! What a subscriber is handed: a notice (at every (re)start, and with it
//! what could not be given) and/or messages in order.
struct BusDelivery {
  bool has_notice = false;
  BusNotice notice;
  std::vector<BusMessage> messages;
};

//! Where a subscriber stands: resume from here.
struct BusPosition {
  std::string history;
  //! The next sequence wanted; a new subscriber: 0 new messages only, 1
  //! everything kept.
  int64_t next_seq = 0;
};

class BusPublisher {
 public:
  explicit BusPublisher(BusOptions options);
  ~BusPublisher();
  struct Published {
    int64_t seq = 0;
    std::string history;
    std::string server;
  };
  //! Once the acting server holds it. Refusals that retrying cannot mend
  //! (permission, size, name) return at once; otherwise the servers are
  //! tried until `timeout`.
  absl::StatusOr<Published> Publish(const std::string& channel, const std::string& payload);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class BusSubscriber {
 public:
  //! Called on the subscriber's thread, in order; must not block long.
  using Handler = std::function<void(const BusDelivery&)>;
  //! How the subscription stands, for the log: "subscribed at ms-a:5100",
  //! "ms-a:5100: ... (retrying)".
  using StateHandler = std::function<void(const std::string&)>;
  //! Subscribes in the background and returns at once; reconnects and
  //! resumes until Stop.
  static std::unique_ptr<BusSubscriber> Start(BusOptions options, std::string channel,
                                              BusPosition from, Handler on_delivery,
                                              StateHandler on_state = nullptr);
  virtual ~BusSubscriber() = default;
  virtual BusPosition position() const = 0;
  //! Is a stream open now?
  virtual bool connected() const = 0;
  //! Ends the subscription (joins its thread).
  virtual void Stop() = 0;
};

}  // namespace tandem::client
