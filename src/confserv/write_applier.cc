#include "confserv/write_applier.h"

#include "absl/strings/str_cat.h"
#include "common/hash.h"
#include "common/status_macros.h"
#include "config/object_types.h"
#include "config/permissions.h"
#include "config/schema.h"

namespace tandem::confserv {
namespace {

using config::TypeName;

std::string Describe(int type, int64_t dbid) {
  return absl::StrCat(TypeName(static_cast<v1::ObjectType>(type)), " ", dbid);
}

std::string Describe(const StateView& view, const ObjectKey& key) {
  StoredPtr s = view.Find(key);
  if (s == nullptr) return Describe(key.type, key.dbid);
  return absl::StrCat(TypeName(static_cast<v1::ObjectType>(key.type)), " '", s->name, "' (dbid ",
                      key.dbid, ")");
}

// The objects a permission decision looks at, as the transaction has left
// them so far.
class OverlaySource : public config::ObjectSource {
 public:
  explicit OverlaySource(const StateView& view) : view_(view) {}
  std::shared_ptr<const v1::ConfigObject> Find(v1::ObjectType type, int64_t dbid) override {
    StoredPtr s = view_.Find({type, dbid});
    if (s == nullptr) return nullptr;
    auto o = std::make_shared<v1::ConfigObject>();
    TANDEM_CHECK(o->ParseFromString(*s->data), "stored object unreadable");
    return o;
  }

 private:
  const StateView& view_;
};

class Applier {
 public:
  Applier(Overlay& overlay, const std::string& who, absl::Time now, const config::Subject* subject)
      : overlay_(overlay), who_(who), now_(now), subject_(subject), source_(overlay) {}

  absl::StatusOr<config::WriteResult> Run(const std::vector<v1::Operation>& ops) {
    config::WriteResult result;
    result.first_revision = overlay_.Revision() + 1;
    bool touches_people = false;
    for (const v1::Operation& op : ops) {
      const int type = op.has_create()   ? op.create().object().type()
                       : op.has_update() ? op.update().object().type()
                                         : op.delete_().type();
      touches_people |= type == v1::OBJECT_TYPE_PERSON || type == v1::OBJECT_TYPE_ACCESS_GROUP;
    }
    const bool had_administrator = touches_people && Administrators() > 0;
    for (size_t i = 0; i < ops.size(); ++i) {
      absl::StatusOr<v1::ConfigObject> written = Apply(ops[i]);
      if (!written.ok()) return Prefix(i, ops.size(), written.status());
      result.objects.push_back(std::move(*written));
    }
    // References are checked against the final state, so a transaction may
    // create objects that refer to each other, or delete them together.
    for (size_t i = 0; i < ops.size(); ++i) {
      absl::Status st = CheckFinal(ops[i], result.objects[i]);
      if (!st.ok()) return Prefix(i, ops.size(), st);
    }
    if (had_administrator && Administrators() == 0) {
      return absl::FailedPreconditionError(
          "refused: this would leave no administrator (no enabled person in the enabled global "
          "AccessGroup 'Administrators'); make another person an administrator first");
    }
    result.last_revision = overlay_.Revision();
    return result;
  }

 private:
  static absl::Status Prefix(size_t i, size_t n, const absl::Status& st) {
    if (n == 1) return st;
    return absl::Status(st.code(), absl::StrCat("operation[", i, "]: ", st.message()));
  }

  absl::StatusOr<v1::ConfigObject> Apply(const v1::Operation& op) {
    switch (op.op_case()) {
      case v1::Operation::kCreate:
        return Create(op.create().object());
      case v1::Operation::kUpdate:
        return Update(op.update());
      case v1::Operation::kDelete:
        return Delete(op.delete_());
      case v1::Operation::OP_NOT_SET:
        break;
    }
    return absl::InvalidArgumentError("operation: none of create, update, delete is set");
  }

  absl::StatusOr<v1::ConfigObject> Create(v1::ConfigObject obj) {
    const int type = obj.type();
    const int64_t next = overlay_.NextDbid(type);
    if (obj.dbid() != 0) {
      if (obj.dbid() < next) {
        return absl::AlreadyExistsError(
            absl::StrCat("dbid: ", Describe(type, obj.dbid()),
                         (overlay_.Find({type, obj.dbid()}) != nullptr
                              ? " exists"
                              : " was used before (DBIDs are never reused)"),
                         "; omit dbid to get a new one"));
      }
      overlay_.SetNextDbid(type, obj.dbid() + 1);
    } else {
      obj.set_dbid(next);
      overlay_.SetNextDbid(type, next + 1);
    }
    TANDEM_RETURN_IF_ERROR(CheckNameFree(obj, 0));
    TANDEM_RETURN_IF_ERROR(ResolveNames(&obj));
    if (subject_ != nullptr) {
      if (!config::MayCreateIn(*subject_, obj, source_)) {
        return Denied(config::Right::kCreate, obj);
      }
      // Grants given with the object: Change Permissions where it goes
      // (judged without its own grants, which cannot grant themselves).
      v1::ConfigObject bare = obj;
      config::StripGrants(&bare);
      if (!config::SameGrants(bare, obj) &&
          !config::Allowed(*subject_, config::Right::kChangePermissions, bare, source_)) {
        return Denied(config::Right::kChangePermissions, obj);
      }
    }
    return Record(v1::CHANGE_KIND_CREATED, nullptr, std::move(obj));
  }

  absl::StatusOr<v1::ConfigObject> Update(const v1::UpdateRequest& req) {
    v1::ConfigObject obj = req.object();
    ObjectKey key{obj.type(), obj.dbid()};
    if (obj.dbid() == 0) return absl::InvalidArgumentError("object.dbid: required for an update");
    StoredPtr current = overlay_.Find(key);
    if (current == nullptr) {
      return absl::NotFoundError(absl::StrCat(Describe(key.type, key.dbid), " does not exist"));
    }
    TANDEM_RETURN_IF_ERROR(CheckExpected(key, *current, req.expected_revision()));
    TANDEM_RETURN_IF_ERROR(CheckNameFree(obj, obj.dbid()));
    TANDEM_RETURN_IF_ERROR(ResolveNames(&obj));
    KeepSecrets(*current, &obj);
    v1::ConfigObject before;
    TANDEM_CHECK(before.ParseFromString(*current->data), "stored object unreadable");
    // Readers without Read Permissions never see the grants: an update that
    // leaves the property out keeps them ("permissions": [] removes them).
    if (!obj.properties().contains("permissions") && before.properties().contains("permissions")) {
      (*obj.mutable_properties())["permissions"] = before.properties().at("permissions");
    }
    if (subject_ != nullptr) {
      if (!config::Allowed(*subject_, config::Right::kChange, before, source_)) {
        return Denied(config::Right::kChange, before);
      }
      if (!config::SameGrants(before, obj) &&
          !config::Allowed(*subject_, config::Right::kChangePermissions, before, source_)) {
        return Denied(config::Right::kChangePermissions, before);
      }
      // Grants the writer cannot see would be replaced unseen (its copy of
      // the object came without them): changing them needs Read Permissions
      // too, once there are any.
      if (!config::SameGrants(before, obj) && config::HasGrants(before) &&
          !config::Allowed(*subject_, config::Right::kReadPermissions, before, source_)) {
        return Denied(config::Right::kReadPermissions, before);
      }
      if ((obj.folder_dbid() != before.folder_dbid() || obj.tenant_dbid() != before.tenant_dbid() ||
           config::EnclosingFolder(obj) != config::EnclosingFolder(before)) &&
          !config::MayCreateIn(*subject_, obj, source_)) {
        return Denied(config::Right::kCreate, obj);  // moved where it may not create
      }
    }
    return Record(v1::CHANGE_KIND_UPDATED, current, std::move(obj));
  }

  absl::StatusOr<v1::ConfigObject> Delete(const v1::DeleteRequest& req) {
    ObjectKey key{req.type(), req.dbid()};
    StoredPtr current = overlay_.Find(key);
    if (current == nullptr) {
      return absl::NotFoundError(absl::StrCat(Describe(key.type, key.dbid), " does not exist"));
    }
    TANDEM_RETURN_IF_ERROR(CheckExpected(key, *current, req.expected_revision()));
    v1::Change change = NewChange(v1::CHANGE_KIND_DELETED, key);
    TANDEM_CHECK(change.mutable_before()->ParseFromString(*current->data),
                 "stored object unreadable");
    if (subject_ != nullptr &&
        !config::Allowed(*subject_, config::Right::kDelete, change.before(), source_)) {
      return Denied(config::Right::kDelete, change.before());
    }
    Chain(&change);
    overlay_.Put(key, nullptr, std::move(change));
    deleted_names_[key] = current->name;
    return v1::ConfigObject();
  }

  // Enabled persons in the enabled global AccessGroup "Administrators".
  int Administrators() {
    const int64_t dbid =
        overlay_.FindName(NameKey{v1::OBJECT_TYPE_ACCESS_GROUP, 0, config::kAdministratorsGroup});
    auto group = dbid == 0 ? nullptr : source_.Find(v1::OBJECT_TYPE_ACCESS_GROUP, dbid);
    if (group == nullptr || !group->enabled()) return 0;
    auto members = group->properties().find("members");
    if (members == group->properties().end()) return 0;
    int n = 0;
    for (const v1::Value& m : members->second.list_value().values()) {
      auto person = source_.Find(v1::OBJECT_TYPE_PERSON, m.ref_value().dbid());
      n += person != nullptr && person->enabled();
    }
    return n;
  }

  absl::Status Denied(config::Right right, const v1::ConfigObject& object) const {
    return absl::PermissionDeniedError(config::Refusal(*subject_, right, object));
  }

  // Clients never see secret properties (a password hash), so an update
  // that leaves one out keeps the current value.
  static void KeepSecrets(const StoredObject& current, v1::ConfigObject* obj) {
    const config::TypeSpec* spec = config::FindTypeSpec(obj->type());
    if (spec == nullptr) return;
    v1::ConfigObject before;
    bool parsed = false;
    for (const config::FieldSpec& f : spec->properties) {
      if (!f.secret || obj->properties().contains(f.name)) continue;
      if (!parsed) {
        TANDEM_CHECK(before.ParseFromString(*current.data), "stored object unreadable");
        parsed = true;
      }
      auto it = before.properties().find(f.name);
      if (it != before.properties().end()) (*obj->mutable_properties())[f.name] = it->second;
    }
  }

  absl::Status CheckExpected(const ObjectKey& key, const StoredObject& current, int64_t expected) {
    if (expected != 0 && expected != current.revision) {
      return absl::AbortedError(absl::StrCat(
          "stale update refused: ", Describe(overlay_, key), " is at revision ", current.revision,
          ", you expected ", expected, "; read it again and reapply your change"));
    }
    return absl::OkStatus();
  }

  absl::Status CheckNameFree(const v1::ConfigObject& obj, int64_t self) {
    int64_t holder = overlay_.FindName(NameKey{obj.type(), obj.tenant_dbid(), obj.name()});
    if (holder != 0 && holder != self) {
      return absl::AlreadyExistsError(
          absl::StrCat("name: a ", TypeName(obj.type()), " named '", obj.name(), "' already exists",
                       obj.tenant_dbid() != 0 ? absl::StrCat(" in tenant ", obj.tenant_dbid()) : "",
                       " (dbid ", holder, ")"));
    }
    return absl::OkStatus();
  }

  // Turns references given by name into DBIDs (the referring object's
  // tenant first, then global objects).
  absl::Status ResolveNames(v1::ConfigObject* obj) {
    const int64_t tenant = obj->tenant_dbid();
    return config::ForEachRef(obj, [&](v1::Ref* ref, const std::string& path) -> absl::Status {
      if (ref->dbid() != 0) {
        ref->clear_name();
        return absl::OkStatus();
      }
      int64_t dbid = overlay_.FindName(NameKey{ref->type(), tenant, ref->name()});
      if (dbid == 0 && ref->type() == obj->type() && ref->name() == obj->name()) {
        dbid = obj->dbid();  // itself (a grant to an application on its own object)
      }
      if (dbid == 0 && tenant != 0) dbid = overlay_.FindName(NameKey{ref->type(), 0, ref->name()});
      if (dbid == 0) {
        return absl::NotFoundError(
            absl::StrCat(path, ": no ", TypeName(ref->type()), " named '", ref->name(), "'"));
      }
      ref->set_dbid(dbid);
      ref->clear_name();
      return absl::OkStatus();
    });
  }

  v1::Change NewChange(v1::ChangeKind kind, const ObjectKey& key) {
    v1::Change change;
    change.set_revision(overlay_.Revision() + 1);
    change.set_kind(kind);
    change.set_type(static_cast<v1::ObjectType>(key.type));
    change.set_dbid(key.dbid);
    change.set_who(who_);
    int64_t us = absl::ToUnixMicros(now_);
    change.mutable_committed_at()->set_seconds(us / 1'000'000);
    change.mutable_committed_at()->set_nanos(static_cast<int32_t>(us % 1'000'000) * 1000);
    return change;
  }

  void Chain(v1::Change* change) { change->set_hash(ChainHash(overlay_.RevisionHash(), *change)); }

  v1::ConfigObject Record(v1::ChangeKind kind, const StoredPtr& before, v1::ConfigObject obj) {
    ObjectKey key{obj.type(), obj.dbid()};
    v1::Change change = NewChange(kind, key);
    obj.set_revision(change.revision());
    if (before != nullptr) {
      TANDEM_CHECK(change.mutable_before()->ParseFromString(*before->data),
                   "stored object unreadable");
    }
    *change.mutable_after() = obj;
    Chain(&change);
    overlay_.Put(key, MakeStored(obj), std::move(change));
    return obj;
  }

  absl::Status CheckFinal(const v1::Operation& op, const v1::ConfigObject& written) {
    if (op.has_delete_()) {
      ObjectKey target{op.delete_().type(), op.delete_().dbid()};
      if (overlay_.Find(target) != nullptr) return absl::OkStatus();  // re-created later
      std::vector<ObjectKey> referrers;
      overlay_.ForEachReferrer(target, [&](const ObjectKey& k) {
        referrers.push_back(k);
        return referrers.size() < 5;
      });
      if (referrers.empty()) return absl::OkStatus();
      std::string names;
      for (const auto& r : referrers)
        absl::StrAppend(&names, names.empty() ? "" : ", ", Describe(overlay_, r));
      return absl::FailedPreconditionError(absl::StrCat(
          "delete refused: ", config::TypeName(static_cast<v1::ObjectType>(target.type)), " '",
          deleted_names_[target], "' (dbid ", target.dbid, ") is still referred to by ", names,
          referrers.size() >= 5 ? " and others" : "", "; remove those references first"));
    }
    ObjectKey key{written.type(), written.dbid()};
    StoredPtr final_state = overlay_.Find(key);
    if (final_state == nullptr || final_state->revision != written.revision()) {
      return absl::OkStatus();  // superseded by a later operation, checked there
    }
    auto exists = [&](const std::string& path, int type, int64_t dbid) -> absl::Status {
      // A grant may name the object itself (an application's own rights).
      if (type == key.type && dbid == key.dbid && path.rfind("properties.permissions", 0) != 0) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": an object cannot refer to itself"));
      }
      if (overlay_.Find({type, dbid}) == nullptr) {
        return absl::NotFoundError(
            absl::StrCat(path, ": ", Describe(type, dbid), " does not exist"));
      }
      return absl::OkStatus();
    };
    if (written.tenant_dbid() != 0) {
      TANDEM_RETURN_IF_ERROR(exists("tenant_dbid", v1::OBJECT_TYPE_TENANT, written.tenant_dbid()));
    }
    if (written.folder_dbid() != 0) {
      TANDEM_RETURN_IF_ERROR(exists("folder_dbid", v1::OBJECT_TYPE_FOLDER, written.folder_dbid()));
    }
    v1::ConfigObject copy = written;
    return config::ForEachRef(&copy, [&](v1::Ref* ref, const std::string& path) {
      return exists(path, ref->type(), ref->dbid());
    });
  }

  Overlay& overlay_;
  const std::string& who_;
  const absl::Time now_;
  const config::Subject* const subject_;
  OverlaySource source_;
  absl::flat_hash_map<ObjectKey, std::string> deleted_names_;
};

}  // namespace

std::string ChainHash(const std::string& previous_hash, const v1::Change& change) {
  v1::Change copy = change;
  copy.clear_hash();
  return Sha256(previous_hash, DeterministicSerialize(copy));
}

absl::StatusOr<config::WriteResult> ApplyOperations(Overlay& overlay,
                                                    const std::vector<v1::Operation>& operations,
                                                    const std::string& who, absl::Time now,
                                                    const config::Subject* subject) {
  if (operations.empty()) return absl::InvalidArgumentError("operations: empty transaction");
  return Applier(overlay, who, now, subject).Run(operations);
}

}  // namespace tandem::confserv
