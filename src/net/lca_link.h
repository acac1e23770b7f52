// The SCS's connection to one LCA: a WatchStatus stream (reopened with
// backoff when it breaks) whose picture and changes go to the sink, and the
// commands to send, in order, on a thread of their own (a slow or dead LCA
// delays only its own host). Mutual TLS with the SCS's certificate.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tandem/control/v1/lca.pb.h"
#include "tandem/tls_files.h"

namespace tandem::net {

namespace cv1 = ::tandem::control::v1;

using LcaCommand =
    std::variant<cv1::StartProcessRequest, cv1::StopProcessRequest, cv1::SetModeRequest>;

//! Called on the link's threads; must not block long.
struct LcaEvents {
  std::function<void(const std::string& host, std::vector<cv1::ProcessStatus> picture)> up;
  std::function<void(const std::string& host, cv1::ProcessStatus status)> status;
  //! What the LCA says about itself: in its first event, then when it
  //! changes. May be null.
  std::function<void(const std::string& host, cv1::LcaHealth health)> health;
  //! The stream broke, or the LCA was silent for longer than the link's
  //! silence limit; `last_heard` is when its last message came.
  std::function<void(const std::string& host, const std::string& why, absl::Time last_heard)> down;
  //! A command the LCA refused or that could not be sent.
  std::function<void(const std::string& host, const LcaCommand& command, const absl::Status& why)>
      failed;
};

inline constexpr absl::Duration kSilenceLimit = absl::Milliseconds(1000);

class LcaLink {
 public:
  //! `address` is HOST:PORT of the LCA (the Host's address and lca_port).
  //! An LCA sends an event at least every 250 ms; one silent for
  //! kSilenceLimit is taken as lost (its stream is cancelled and reopened).
  LcaLink(std::string host, std::string address, TlsFiles tls, LcaEvents events);
  ~LcaLink();
  LcaLink(const LcaLink&) = delete;
  LcaLink& operator=(const LcaLink&) = delete;

  void Send(LcaCommand command);
  const std::string& address() const { return address_; }

 private:
  void Watch();
  void Sender();
  void Watchdog();

  const std::string host_;
  const std::string address_;
  const TlsFiles tls_;
  const LcaEvents events_;
  struct Shared;
  std::shared_ptr<Shared> shared_;
  std::thread watcher_;
  std::thread sender_;
  std::thread watchdog_;
};

}  // namespace tandem::net
