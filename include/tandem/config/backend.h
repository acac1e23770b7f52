// What the ConfigService network front end serves from. The master
// Configuration Server (src/confserv) implements it over the Configuration
// Database; the Configuration Server Proxy will implement it over its
// in-memory copy. All methods may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "tandem/config/v1/config.pb.h"

namespace tandem {
//! Short name for the wire types inside Tandem code.
namespace v1 = ::tandem::config::v1;
}  // namespace tandem

namespace tandem::config {

//! A committed change with its serialized form, which every watch stream
//! shares instead of serializing the change once per watcher.
struct CommittedChange {
  v1::Change change;
  std::string wire;
  int64_t revision() const { return change.revision(); }

  //! What each permission subject may see of this change, serialized (null:
  //! nothing), decided by the first of its watches to send it and reused by
  //! the others (net::ReadFilter::Judge).
  mutable absl::Mutex verdicts_mu;
  mutable std::vector<std::pair<std::string, std::shared_ptr<const std::string>>> verdicts
      ABSL_GUARDED_BY(verdicts_mu);
};
using ChangePtr = std::shared_ptr<const CommittedChange>;
using ObjectBytes = std::shared_ptr<const std::string>;

//! Receives committed changes in revision order. Called from the publishing
//! thread with the hub lock held: must not block and must not call
//! Subscribe/Unsubscribe.
class ChangeSubscriber {
 public:
  virtual ~ChangeSubscriber() = default;
  virtual void OnChanges(const std::vector<ChangePtr>& changes) = 0;
  //! The server is stopping: finish the stream.
  virtual void OnShutdown() = 0;
};

//! A consistent listing: serialized ConfigObjects at one revision.
struct ListSnapshot {
  int64_t revision = 0;
  std::vector<ObjectBytes> objects;
};

struct HistoryPage {
  std::vector<v1::Change> changes;
  bool more = false;
  int64_t revision = 0;
};

struct WriteResult {
  //! One per operation: the object as written (empty for deletes).
  std::vector<v1::ConfigObject> objects;
  int64_t first_revision = 0;
  int64_t last_revision = 0;
};

//! A write: operations applied atomically. `done` is called exactly once,
//! possibly on another thread, after the write is durable or has failed.
struct Subject;  // config/permissions.h

struct WriteRequest {
  std::vector<v1::Operation> operations;
  //! Who writes, recorded in history ("person alice from 192.0.2.10").
  std::string who;
  //! For a proxy to forward the write with the caller's own credentials:
  //! its session token, or else "application NAME" (a certificate identity).
  std::string token;
  std::string on_behalf_of;
  //! The writer's address as the server that took the call saw it (a proxy
  //! passes it on to the master for the history).
  std::string peer;
  //! Made by the server itself (a password hash): secret properties allowed.
  bool server_made = false;
  //! Whose permissions the master checks each operation against
  //! (config/permissions.h); null: not checked (the server's own writes).
  std::shared_ptr<const Subject> subject;
  std::function<void(absl::StatusOr<WriteResult>)> done;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual absl::StatusOr<v1::GetResponse> Get(const v1::GetRequest& request) = 0;
  virtual absl::StatusOr<ListSnapshot> List(const v1::ListRequest& request) = 0;
  virtual void Write(WriteRequest request) = 0;
  //! Changes after `since_revision`; OUT_OF_RANGE "history expired" when
  //! some of them are no longer retained.
  virtual absl::StatusOr<HistoryPage> History(int64_t since_revision, int64_t limit) = 0;
  //! Registers a subscriber and returns the last published revision: the
  //! subscriber receives every change after it, until Unsubscribe returns.
  virtual int64_t Subscribe(ChangeSubscriber* subscriber) = 0;
  virtual void Unsubscribe(ChangeSubscriber* subscriber) = 0;
  virtual v1::ServerInfo Info() = 0;
  //! OK when this server answers clients. Otherwise the status every call
  //! but GetServerInfo gets (a backup master: UNAVAILABLE naming the primary).
  virtual absl::Status Serving() { return absl::OkStatus(); }
  //! DBID of the Application of that name (any tenant), 0 if none.
  virtual int64_t FindApplication(const std::string& name) = 0;
};

}  // namespace tandem::config
