// What one caller may see of the configuration: every read path of
// ConfigServiceImpl (Get, List, Watch, History; on the master and on a proxy
// alike) passes objects and changes through a ReadFilter built from the
// caller's identity. It leaves out what the caller may not Read
// (config::Allowed), the grants when it lacks Read Permissions, and secret
// properties for all but Tandem's servers.
#pragma once

#include <memory>

#include "auth/authenticator.h"
#include "config/permissions.h"
#include "tandem/config/backend.h"

namespace tandem::net {

//! The permission subject of an identity: administrators, Tandem's servers
//! and claimed identities (authentication off) get every right.
config::Subject SubjectOf(const auth::Identity& id);

class ReadFilter {
 public:
  ReadFilter(const auth::Identity& caller, config::Backend& backend);

  //! Sees everything unchanged (a Tandem server): no parsing needed.
  bool passes_all() const { return subject_.all && sees_secrets_; }
  //! Sees every object (perhaps without secrets).
  bool reads_all() const { return subject_.all; }

  //! May the caller read `object`? If so, strips what it may not see.
  bool Visible(v1::ConfigObject* object);
  //! The same for a change (its `after`, or `before` for a deletion, decides).
  bool Visible(v1::Change* change);
  //! Leaves out of a listing what the caller may not see.
  void Filter(config::ListSnapshot* snapshot);

 private:
  //! Decides on `object`; strips `earlier` (its previous version) alike.
  bool Visible(v1::ConfigObject* object, v1::ConfigObject* earlier);

  config::Subject subject_;
  bool sees_secrets_;
  config::Backend& backend_;
};

}  // namespace tandem::net
