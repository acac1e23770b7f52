#include "confserv/config_state.h"

#include "common/hash.h"
#include "config/schema.h"

namespace tandem::confserv {

StoredPtr MakeStored(const v1::ConfigObject& object) {
  return MakeStored(object, DeterministicSerialize(object));
}

StoredPtr MakeStored(const v1::ConfigObject& object, std::string serialized) {
  auto s = std::make_shared<StoredObject>();
  s->data = std::make_shared<const std::string>(std::move(serialized));
  s->revision = object.revision();
  s->tenant_dbid = object.tenant_dbid();
  s->folder_dbid = object.folder_dbid();
  s->name = object.name();
  if (object.tenant_dbid() != 0) s->refs.push_back({v1::OBJECT_TYPE_TENANT, object.tenant_dbid()});
  if (object.folder_dbid() != 0) s->refs.push_back({v1::OBJECT_TYPE_FOLDER, object.folder_dbid()});
  // ForEachRef wants a mutable object; the walk itself does not modify it.
  v1::ConfigObject copy = object;
  (void)config::ForEachRef(&copy, [&](v1::Ref* ref, const std::string&) {
    ObjectKey k{ref->type(), ref->dbid()};
    if (std::find(s->refs.begin(), s->refs.end(), k) == s->refs.end()) s->refs.push_back(k);
    return absl::OkStatus();
  });
  return s;
}

StoredPtr ConfigState::Find(const ObjectKey& key) const {
  auto t = by_type_.find(key.type);
  if (t == by_type_.end()) return nullptr;
  auto it = t->second.find(key.dbid);
  return it == t->second.end() ? nullptr : it->second;
}

int64_t ConfigState::FindName(const NameKey& key) const {
  auto it = names_.find(key);
  return it == names_.end() ? 0 : it->second;
}

void ConfigState::ForEachReferrer(const ObjectKey& target,
                                  const std::function<bool(const ObjectKey&)>& fn) const {
  auto it = referrers_.find(target);
  if (it == referrers_.end()) return;
  for (const ObjectKey& k : it->second) {
    if (!fn(k)) return;
  }
}

int64_t ConfigState::NextDbid(int type) const {
  auto it = next_dbid_.find(type);
  return it == next_dbid_.end() ? 1 : it->second;
}

const absl::btree_map<int64_t, StoredPtr>* ConfigState::OfType(int type) const {
  auto it = by_type_.find(type);
  return it == by_type_.end() ? nullptr : &it->second;
}

void ConfigState::Unindex(const ObjectKey& key, const StoredObject& old) {
  names_.erase(NameKey{key.type, old.tenant_dbid, old.name});
  for (const ObjectKey& r : old.refs) {
    auto it = referrers_.find(r);
    if (it == referrers_.end()) continue;
    it->second.erase(key);
    if (it->second.empty()) referrers_.erase(it);
  }
}

void ConfigState::Put(const ObjectKey& key, StoredPtr object) {
  auto& slot = by_type_[key.type][key.dbid];
  if (slot != nullptr) {
    Unindex(key, *slot);
  } else {
    ++count_;
  }
  names_[NameKey{key.type, object->tenant_dbid, object->name}] = key.dbid;
  for (const ObjectKey& r : object->refs) referrers_[r].insert(key);
  if (key.dbid >= NextDbid(key.type)) next_dbid_[key.type] = key.dbid + 1;
  slot = std::move(object);
}

void ConfigState::Erase(const ObjectKey& key) {
  auto t = by_type_.find(key.type);
  if (t == by_type_.end()) return;
  auto it = t->second.find(key.dbid);
  if (it == t->second.end()) return;
  Unindex(key, *it->second);
  t->second.erase(it);
  --count_;
}

void ConfigState::SetRevision(int64_t revision, std::string hash) {
  revision_ = revision;
  revision_hash_ = std::move(hash);
}

}  // namespace tandem::confserv
