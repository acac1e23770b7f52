// One connection (gRPC channel) from the proxy to the master it follows,
// shared by the feed and by forwarded writes. A new one is made for every
// connect attempt, so the master's name is resolved again each time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "net/config_client.h"
#include "tandem/config/client.h"

namespace tandem::csproxy {

class MasterConnection {
 public:
  //! `address` is "host:port" as configured.
  //! A connection to the master at `address`, over TLS with `tls` (the
  //! proxy's certificate identifies it) unless plaintext.
  MasterConnection(std::string address, const TlsFiles& tls);
  MasterConnection(const MasterConnection&) = delete;
  MasterConnection& operator=(const MasterConnection&) = delete;

  const std::string& address() const { return address_; }
  //! A new, unregistered client on this connection.
  config::ConfigClientPtr NewClient(const std::string& application, absl::Duration timeout);
  //! How a forwarded write reaches the master as its writer: with the
  //! writer's session token, or as the application the proxy writes on
  //! behalf of (a certificate identity), or (authentication off) registered
  //! under the writer's name; for a write the proxy's server made (a password
  //! hash), none: the proxy's own certificate.
  struct Writer {
    std::string who;
    std::string token;
    std::string on_behalf_of;
    std::string forwarded_for;  //!< the writer's address
    std::string Key() const {
      return who + "\n" + token + "\n" + on_behalf_of + "\n" + forwarded_for;
    }
  };
  //! A client registered with the master for `writer`: a pooled one, else a
  //! new one.
  absl::StatusOr<config::ConfigClientPtr> Acquire(const Writer& writer);
  //! Returns a client that is still usable to the pool.
  void Release(const Writer& writer, config::ConfigClientPtr client);

 private:
  const std::string address_;
  const net::ClientChannelPtr channel_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::vector<config::ConfigClientPtr>> idle_ ABSL_GUARDED_BY(mu_);
  size_t idle_count_ ABSL_GUARDED_BY(mu_) = 0;
};
using MasterConnectionPtr = std::shared_ptr<MasterConnection>;

}  // namespace tandem::csproxy
