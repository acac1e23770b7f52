// One Watch stream. Catches up from history (in pages, with no lock held
// while reading), then switches to live changes from the backend's hub
// without a gap or a duplicate; a client too slow for the live feed is moved
// back to catching up from history instead of being cut off.
#pragma once

#include <deque>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "net/read_filter.h"
#include "tandem/config/backend.h"
#include "tandem/config/v1/config.grpc.pb.h"

namespace tandem::net {

class WatchReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer>,
                           public config::ChangeSubscriber {
 public:
  //! Creates the reactor (it deletes itself when the stream is done).
  //! `filter`: what the client may see of each change, decided when it is
  //! sent (so a permission change applies at once); null: everything.
  static WatchReactor* Start(config::Backend& backend, const v1::WatchRequest& request,
                             std::shared_ptr<ReadFilter> filter);

  void OnChanges(const std::vector<config::ChangePtr>& changes) override;
  void OnShutdown() override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  enum class Mode { kCatchUp, kLive };
  WatchReactor(config::Backend& backend, const v1::WatchRequest& request,
               std::shared_ptr<ReadFilter> filter);
  bool Matches(const v1::Change& change) const;
  //! Moves queued changes into out_ (serialized); requires mu_.
  void BuildMessage() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Fail(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  //! Sends, reads history or finishes, whatever is due. Call without mu_.
  void Pump();

  config::Backend& backend_;
  const int64_t from_revision_;
  const std::shared_ptr<ReadFilter> filter_;
  absl::flat_hash_set<int> types_;
  absl::flat_hash_set<int64_t> dbids_;

  absl::Mutex mu_;
  Mode mode_ ABSL_GUARDED_BY(mu_) = Mode::kCatchUp;
  int64_t cursor_ ABSL_GUARDED_BY(mu_) = 0;     // last revision examined
  int64_t target_ ABSL_GUARDED_BY(mu_) = 0;     // published revision at subscription
  int64_t delivered_ ABSL_GUARDED_BY(mu_) = 0;  // last revision put on the wire
  std::deque<config::ChangePtr> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<config::ChangePtr> live_ ABSL_GUARDED_BY(mu_);  // buffered while catching up
  bool dropped_ ABSL_GUARDED_BY(mu_) = false;  // live feed lost: resubscribe when caught up
  bool send_marker_ ABSL_GUARDED_BY(mu_) = false;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;  // a write or a history read is in progress
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_called_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status finish_status_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer out_;  // a serialized WatchResponse, owned by the write in flight
};

}  // namespace tandem::net
