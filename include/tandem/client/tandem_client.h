// libtandem: what an application links to read its configuration.
//
// A TandemClient connects by name to a list of configuration servers (the
// regional Configuration Server Proxy pair, or the masters), keeps a local
// cache of the object types the application asked for, calls back on every
// change, and survives the servers: it fails over between them with backoff,
// re-resolves their names on every attempt, resumes from the last revision it
// has after a reconnect (a full reload only when the server's history no
// longer covers it or has diverged), and says plainly when it is degraded
// (the proxy is in limited mode, or no server answers).
//
//   tandem::client::ClientOptions o;
//   o.servers = {"proxy1.region1:9100", "proxy2.region1:9100"};
//   o.application = "billing";
//   o.types = {tandem::config::v1::OBJECT_TYPE_APPLICATION};
//   auto c = tandem::client::TandemClient::Start(o, on_change, on_state);
//   (*c)->WaitReady(absl::Seconds(10));
//   auto me = (*c)->Find(tandem::config::v1::OBJECT_TYPE_APPLICATION, "billing");
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tandem/config/v1/config.pb.h"
#include "tandem/tls_files.h"

namespace tandem::client {

namespace v1 = ::tandem::config::v1;

struct ClientOptions {
  //! "host:port" of each server, tried in turn; names are resolved anew on
  //! every connection attempt.
  std::vector<std::string> servers;
  //! The Application this program runs as (recorded as "who" by writes).
  std::string application;
  //! Object types to cache and watch; empty = every type.
  std::vector<v1::ObjectType> types;
  absl::Duration call_timeout = absl::Seconds(5);
  //! Reconnect backoff: 100 ms doubling (with jitter) up to this.
  absl::Duration max_backoff = absl::Seconds(5);
  //! How often the server's mode (limited or not) is checked.
  absl::Duration health_interval = absl::Seconds(1);
  //! TLS to the servers: `ca` checks them; `cert`/`key` (the application's
  //! certificate, CN = its Application name) identify it. Plaintext only if
  //! the servers run so.
  TlsFiles tls;
};

enum class Health {
  kConnecting,    // never had a complete cache yet
  kHealthy,       // following a server that follows a master
  kLimited,       // the proxy has no master: reads are current as of its last contact, writes fail
  kReconnecting,  // lost the server; the cache is kept and served
  kStopped,
};
const char* HealthName(Health health);

struct ClientState {
  Health health = Health::kConnecting;
  //! The server followed now (or last).
  std::string server;
  //! The cache holds every change up to this revision.
  int64_t revision = 0;
  //! One sentence for a person: what is wrong and since when.
  std::string detail;
  int64_t reconnects = 0;
  //! Full loads after the first (history expired or diverged).
  int64_t reloads = 0;
};

//! One object changed: `object` is the new state (the old one for deletes).
struct ObjectChange {
  int64_t revision = 0;
  v1::ChangeKind kind = v1::CHANGE_KIND_UNSPECIFIED;
  v1::ConfigObject object;
};

class TandemClient {
 public:
  //! Called on the client's thread, in revision order; must not block long.
  //! After a reload (another history, or one that diverged from the cache),
  //! every object that differs from what was reported is reported again
  //! (created, updated or deleted) at the reload's revision.
  using ChangeCallback = std::function<void(const ObjectChange&)>;
  //! Called on the client's thread whenever ClientState changes.
  using StateCallback = std::function<void(const ClientState&)>;

  //! Starts the background connection; returns at once (see WaitReady).
  static absl::StatusOr<std::unique_ptr<TandemClient>> Start(ClientOptions options,
                                                             ChangeCallback on_change = nullptr,
                                                             StateCallback on_state = nullptr);
  virtual ~TandemClient() = default;
  //! Ends the connection and the callbacks. Idempotent.
  virtual void Stop() = 0;

  //! Until the cache is complete for the first time (or the timeout).
  virtual bool WaitReady(absl::Duration timeout) = 0;
  //! Until the cache holds `revision` (e.g. after a write) and the change
  //! callbacks up to it have returned, or the timeout.
  virtual bool WaitForRevision(int64_t revision, absl::Duration timeout) = 0;

  //! From the cache.
  virtual std::optional<v1::ConfigObject> Find(v1::ObjectType type, const std::string& name,
                                               int64_t tenant_dbid = 0) const = 0;
  virtual std::optional<v1::ConfigObject> Get(v1::ObjectType type, int64_t dbid) const = 0;
  virtual std::vector<v1::ConfigObject> All(v1::ObjectType type) const = 0;
  virtual ClientState state() const = 0;
};

}  // namespace tandem::client
