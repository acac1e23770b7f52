// The in-memory configuration: every object, indexed by key, by name and by
// who refers to it. One writer (the committer thread) mutates it under the
// owner's exclusive lock; readers hold the shared lock.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "confserv/object_key.h"
#include "tandem/config/backend.h"

namespace tandem::confserv {

//! One object as held in memory. Immutable once built.
struct StoredObject {
  std::shared_ptr<const std::string> data;  // serialized ConfigObject
  int64_t revision = 0;
  int64_t tenant_dbid = 0;
  int64_t folder_dbid = 0;
  std::string name;
  //! Every object it refers to (tenant, folder, reference properties).
  std::vector<ObjectKey> refs;
};
using StoredPtr = std::shared_ptr<const StoredObject>;

//! Builds the stored form of an object (serializes it, collects its refs).
StoredPtr MakeStored(const v1::ConfigObject& object);
//! The same, keeping `serialized`, which must be the object's deterministic
//! serialization (as read back from storage).
StoredPtr MakeStored(const v1::ConfigObject& object, std::string serialized);

//! Read access shared by the committed state and pending overlays.
class StateView {
 public:
  virtual ~StateView() = default;
  //! nullptr if absent.
  virtual StoredPtr Find(const ObjectKey& key) const = 0;
  //! DBID of the object of that type and name in the tenant, 0 if none.
  virtual int64_t FindName(const NameKey& key) const = 0;
  //! Calls fn for each object that currently refers to `target` until fn
  //! returns false.
  virtual void ForEachReferrer(const ObjectKey& target,
                               const std::function<bool(const ObjectKey&)>& fn) const = 0;
  virtual int64_t NextDbid(int type) const = 0;
  virtual int64_t Revision() const = 0;
  virtual const std::string& RevisionHash() const = 0;
};

class ConfigState final : public StateView {
 public:
  ConfigState() = default;
  ConfigState(const ConfigState&) = delete;
  ConfigState& operator=(const ConfigState&) = delete;

  StoredPtr Find(const ObjectKey& key) const override;
  int64_t FindName(const NameKey& key) const override;
  void ForEachReferrer(const ObjectKey& target,
                       const std::function<bool(const ObjectKey&)>& fn) const override;
  int64_t NextDbid(int type) const override;
  int64_t Revision() const override { return revision_; }
  const std::string& RevisionHash() const override { return revision_hash_; }

  //! Objects of one type in DBID order.
  const absl::btree_map<int64_t, StoredPtr>* OfType(int type) const;
  int64_t ObjectCount() const { return count_; }

  //! Inserts or replaces an object; keeps the name and referrer indexes.
  void Put(const ObjectKey& key, StoredPtr object);
  void Erase(const ObjectKey& key);
  void SetRevision(int64_t revision, std::string hash);
  void SetNextDbid(int type, int64_t next) { next_dbid_[type] = next; }

 private:
  void Unindex(const ObjectKey& key, const StoredObject& old);

  std::map<int, absl::btree_map<int64_t, StoredPtr>> by_type_;
  absl::flat_hash_map<NameKey, int64_t> names_;
  absl::flat_hash_map<ObjectKey, absl::flat_hash_set<ObjectKey>> referrers_;
  std::map<int, int64_t> next_dbid_;
  int64_t count_ = 0;
  int64_t revision_ = 0;
  std::string revision_hash_ = std::string(32, '\0');
};

}  // namespace tandem::confserv
