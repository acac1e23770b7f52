// What one caller may see of the configuration: every read path of
// ConfigServiceImpl (Get, List, Watch, History; on the master and on a proxy
// alike) passes objects and changes through a ReadFilter built from the
// caller's identity. It leaves out what the caller may not Read
// (config::Allowed), the grants when it lacks Read Permissions, and secret
// properties for all but Tandem's servers.
#pragma once

#include <map>
#include <memory>
#include <utility>

#include "auth/authenticator.h"
#include "config/permissions.h"
#include "tandem/config/backend.h"

namespace tandem::net {

//! The permission subject of an identity: administrators, Tandem's servers
//! and claimed identities (authentication off) get every right.
config::Subject SubjectOf(const auth::Identity& id);

//! The objects a decision looks at (folders, tenants, groups), read from the
//! backend once each until Clear().
class BackendSource : public config::ObjectSource {
 public:
  explicit BackendSource(config::Backend& backend) : backend_(backend) {}
  std::shared_ptr<const v1::ConfigObject> Find(v1::ObjectType type, int64_t dbid) override;
  void Clear() { cache_.clear(); }

 private:
  config::Backend& backend_;
  std::map<std::pair<v1::ObjectType, int64_t>, std::shared_ptr<const v1::ConfigObject>> cache_;
};

class ReadFilter {
 public:
  //! `live`: every decision reads the state afresh (a Watch, which lives
  //! across changes); otherwise one call's decisions share what they read
  //! (a listing or a history page is one point in time).
  ReadFilter(const auth::Identity& caller, config::Backend& backend, bool live = false);

  //! Sees everything unchanged (a Tandem server): no parsing needed.
  bool passes_all() const { return subject_.all && sees_secrets_; }
  //! Sees every object (perhaps without secrets).
  bool reads_all() const { return subject_.all; }

  //! May the caller read `object`? If so, strips what it may not see.
  bool Visible(v1::ConfigObject* object);
  //! The same for a change (its `after`, or `before` for a deletion, decides).
  bool Visible(v1::Change* change);
  //! A committed change as this caller may see it, serialized; null if it
  //! may not. Decided once per permission subject and change: the watches
  //! of one subject share the decision (made with the permissions as they
  //! are when the first of them sends it, at or after the change's
  //! revision).
  std::shared_ptr<const std::string> Judge(const config::CommittedChange& change);
  //! Leaves out of a listing what the caller may not see.
  void Filter(config::ListSnapshot* snapshot);
  //! One object of a listing: false if the caller may not see it; else
  //! `*bytes` is what it may see (the same bytes if nothing was stripped).
  bool Pass(config::ObjectBytes* bytes);

 private:
  struct Decision {
    bool read = false;
    bool read_permissions = false;
  };
  Decision Decide(const v1::ConfigObject& object);
  //! Decides on `object`; strips `earlier` (its previous version) alike;
  //! `*stripped` tells whether anything was taken out.
  bool Visible(v1::ConfigObject* object, v1::ConfigObject* earlier, bool* stripped);

  config::Subject subject_;
  bool sees_secrets_;
  bool live_;
  std::string verdict_key_;  //!< the subject, for CommittedChange::verdicts
  BackendSource source_;
  //! Not live: the decisions for objects without grants of their own, by
  //! (enclosing folder, tenant).
  std::map<std::pair<int64_t, int64_t>, Decision> decisions_;
};

}  // namespace tandem::net
