// The proxy's in-memory copy of the master's configuration: every object
// (confserv::ConfigState), the last N changes for watchers that resume, and
// the fan-out to this proxy's watch streams (confserv::WatchHub).
//
// One writer, the master link's thread, calls Install / Apply / Invalidate;
// readers (gRPC threads) call the rest from any thread. Every change is
// applied only after its hash chains onto the copy's own hash, so the copy
// only ever holds what the master it follows has.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "confserv/config_state.h"
#include "confserv/watch_hub.h"
#include "tandem/config/backend.h"

namespace tandem::csproxy {

//! Checks that `change` follows `state` (revision R+1 and hash
//! ChainHash(h_R, change)) and applies it: the object when `apply_object`,
//! the revision and hash always. When it does not follow, `state` is
//! unchanged and the status says why: ABORTED for a revision gap (resubscribe),
//! FAILED_PRECONDITION for a hash that does not chain (diverged history).
absl::Status ApplyVerified(confserv::ConfigState& state, const v1::Change& change,
                           bool apply_object = true);

class ConfigCopy {
 public:
  explicit ConfigCopy(int64_t history_max_count);
  ConfigCopy(const ConfigCopy&) = delete;
  ConfigCopy& operator=(const ConfigCopy&) = delete;

  // --- the writer (master link) ---

  //! Replaces the whole copy with `state` of lineage `history_id`. The change
  //! window starts empty at the state's revision; watch streams of the old
  //! copy end with UNAVAILABLE (they resubscribe and resync).
  void Install(std::unique_ptr<confserv::ConfigState> state, std::string history_id);
  //! Verifies and applies changes in order, then publishes them to watchers.
  //! Stops at the first that does not follow (see ApplyVerified); those
  //! before it stay applied.
  absl::Status Apply(const std::vector<v1::Change>& changes);
  //! The copy is no longer to be served (the proxy stops):
  //! ends every watch stream; new ones end at once until Install.
  void Invalidate();

  // --- readers, any thread ---

  bool loaded() const;
  int64_t revision() const;
  std::string revision_hash() const;
  std::string history_id() const;
  int64_t object_count() const;
  //! Oldest revision still in the change window (revision + 1 when empty).
  int64_t oldest_revision() const;
  //! Waits until the copy reached `revision` (or replaced by Install); false
  //! on timeout.
  bool WaitForRevision(int64_t revision, absl::Duration timeout) const;

  absl::StatusOr<v1::GetResponse> Get(const v1::GetRequest& request) const;
  absl::StatusOr<config::ListSnapshot> List(const v1::ListRequest& request) const;
  //! From the change window; OUT_OF_RANGE "history expired" before it.
  absl::StatusOr<config::HistoryPage> History(int64_t since_revision, int64_t limit) const;
  int64_t Subscribe(config::ChangeSubscriber* subscriber);
  void Unsubscribe(config::ChangeSubscriber* subscriber);
  int64_t FindApplication(const std::string& name) const;
  //! Calls fn for every object of `type` in DBID order (tests compare copies).
  void ForEachObject(int type, const std::function<void(const std::string&)>& fn) const;

 private:
  const int64_t history_max_count_;
  mutable absl::Mutex mu_;
  std::unique_ptr<confserv::ConfigState> state_ ABSL_GUARDED_BY(mu_);
  std::string history_id_ ABSL_GUARDED_BY(mu_);
  bool loaded_ ABSL_GUARDED_BY(mu_) = false;
  //! Changes window_base_+1 .. revision, contiguous.
  std::deque<config::ChangePtr> window_ ABSL_GUARDED_BY(mu_);
  int64_t window_base_ ABSL_GUARDED_BY(mu_) = 0;

  // Lock order: hub_mu_ before mu_. Held while publishing, subscribing and
  // replacing the hub, so a subscriber never sees two hubs.
  absl::Mutex hub_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::unique_ptr<confserv::WatchHub> hub_ ABSL_GUARDED_BY(hub_mu_);
};

}  // namespace tandem::csproxy
