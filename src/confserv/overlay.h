// Uncommitted changes layered over a StateView. The committer validates a
// batch of writes against an overlay of the committed state, and each
// request against an overlay of the batch, so that a failed request is
// dropped without touching the others and nothing is visible to readers
// until it is durable.
#pragma once

#include <vector>

#include "confserv/config_state.h"

namespace tandem::confserv {

class Overlay final : public StateView {
 public:
  explicit Overlay(const StateView& parent) : parent_(parent) {}
  Overlay(const Overlay&) = delete;
  Overlay& operator=(const Overlay&) = delete;

  StoredPtr Find(const ObjectKey& key) const override;
  int64_t FindName(const NameKey& key) const override;
  void ForEachReferrer(const ObjectKey& target,
                       const std::function<bool(const ObjectKey&)>& fn) const override;
  int64_t NextDbid(int type) const override;
  int64_t Revision() const override;
  const std::string& RevisionHash() const override;

  //! Writes (object) or deletes (nullptr) `key`, and appends the change
  //! (which carries the new revision and hash).
  void Put(const ObjectKey& key, StoredPtr object, v1::Change change);
  void SetNextDbid(int type, int64_t next) { next_dbid_[type] = next; }

  //! Moves everything into `parent`, which must be this overlay's parent.
  void MergeInto(Overlay& parent);

  bool empty() const { return changes_.empty(); }
  //! Final state of each touched key (nullptr = deleted).
  const absl::flat_hash_map<ObjectKey, StoredPtr>& changed() const { return changed_; }
  //! Changes in revision order.
  const std::vector<v1::Change>& changes() const { return changes_; }
  const std::map<int, int64_t>& next_dbid() const { return next_dbid_; }

 private:
  const StateView& parent_;
  absl::flat_hash_map<ObjectKey, StoredPtr> changed_;
  absl::flat_hash_map<NameKey, int64_t> names_;  // 0 = freed
  std::map<int, int64_t> next_dbid_;
  std::vector<v1::Change> changes_;
};

}  // namespace tandem::confserv
