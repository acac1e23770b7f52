// The configuration servers the console talks to: one shared gRPC channel
// each, tried in the configured order. A call goes to the server that
// answered last; when it is unreachable (or a backup master refusing), the
// call moves to the next one. Every call carries the caller's token.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/config_client.h"
#include "tandem/config/client.h"

namespace tandem::console {

class ServerPool {
 public:
  //! `tls`: the CA checking the servers (no client certificate is sent).
  ServerPool(std::vector<std::string> servers, TlsFiles tls, absl::Duration timeout);

  //! What a server last did, for the page's status line.
  struct ServerState {
    std::string address;
    bool reachable = true;
    std::string error;  //!< the last failure, if unreachable
    absl::Time since;   //!< when it became (un)reachable
  };

  //! Runs `fn` with a client carrying `token` at the current server; an
  //! UNAVAILABLE answer moves to the next server and tries again there
  //! (each server once). `*server` (if given) gets the one that answered.
  absl::Status Call(const std::string& token,
                    const std::function<absl::Status(config::ConfigClient&)>& fn,
                    std::string* server = nullptr);
  //! A client of server `index` (for a watch stream of its own).
  config::ConfigClientPtr ClientAt(size_t index, const std::string& token) const;
  //! The server calls go to now.
  size_t current() const;
  //! Records the outcome of a call (or stream) at server `index`.
  void Record(size_t index, const absl::Status& status);
  size_t size() const { return servers_.size(); }
  std::vector<ServerState> States() const;

 private:
  struct Server {
    std::string address;
    net::ClientChannelPtr channel;
  };
  std::vector<Server> servers_;
  const absl::Duration timeout_;
  mutable absl::Mutex mu_;
  size_t current_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<ServerState> states_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem::console
