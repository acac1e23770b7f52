#include "confserv/overlay.h"

#include <algorithm>

namespace tandem::confserv {

StoredPtr Overlay::Find(const ObjectKey& key) const {
  auto it = changed_.find(key);
  return it != changed_.end() ? it->second : parent_.Find(key);
}

int64_t Overlay::FindName(const NameKey& key) const {
  auto it = names_.find(key);
  return it != names_.end() ? it->second : parent_.FindName(key);
}

void Overlay::ForEachReferrer(const ObjectKey& target,
                              const std::function<bool(const ObjectKey&)>& fn) const {
  // Objects changed here are judged by their new state, the rest by the parent.
  for (const auto& [key, obj] : changed_) {
    if (obj != nullptr &&
        std::find(obj->refs.begin(), obj->refs.end(), target) != obj->refs.end()) {
      if (!fn(key)) return;
    }
  }
  bool go_on = true;
  parent_.ForEachReferrer(target, [&](const ObjectKey& key) {
    if (changed_.contains(key)) return true;
    go_on = fn(key);
    return go_on;
  });
}

int64_t Overlay::NextDbid(int type) const {
  auto it = next_dbid_.find(type);
  return it != next_dbid_.end() ? it->second : parent_.NextDbid(type);
}

int64_t Overlay::Revision() const {
  return changes_.empty() ? parent_.Revision() : changes_.back().revision();
}

const std::string& Overlay::RevisionHash() const {
  return changes_.empty() ? parent_.RevisionHash() : changes_.back().hash();
}

void Overlay::Put(const ObjectKey& key, StoredPtr object, v1::Change change) {
  StoredPtr old = Find(key);
  if (old != nullptr) names_[NameKey{key.type, old->tenant_dbid, old->name}] = 0;
  if (object != nullptr) names_[NameKey{key.type, object->tenant_dbid, object->name}] = key.dbid;
  changed_[key] = std::move(object);
  changes_.push_back(std::move(change));
}

void Overlay::MergeInto(Overlay& parent) {
  for (auto& [k, v] : changed_) parent.changed_[k] = std::move(v);
  for (auto& [k, v] : names_) parent.names_[k] = v;
  for (auto& [k, v] : next_dbid_) parent.next_dbid_[k] = v;
  for (auto& c : changes_) parent.changes_.push_back(std::move(c));
  changed_.clear();
  names_.clear();
  next_dbid_.clear();
  changes_.clear();
}

}  // namespace tandem::confserv
