#include "auth/backend_directory.h"

#include "absl/strings/str_cat.h"

namespace tandem::auth {

absl::StatusOr<v1::ConfigObject> BackendDirectory::ByDbid(v1::ObjectType type, int64_t dbid) {
  v1::GetRequest request;
  request.set_type(type);
  request.set_dbid(dbid);
  absl::StatusOr<v1::GetResponse> r = backend_.Get(request);
  if (!r.ok()) return r.status();
  return r->object();
}

absl::StatusOr<v1::ConfigObject> BackendDirectory::FindPerson(int64_t tenant,
                                                              const std::string& user) {
  // Persons are few; a login lists them (by user_name, else by name).
  v1::ListRequest request;
  request.set_type(v1::OBJECT_TYPE_PERSON);
  request.set_tenant_dbid(tenant);
  absl::StatusOr<config::ListSnapshot> all = backend_.List(request);
  if (!all.ok()) return all.status();
  for (const config::ObjectBytes& bytes : all->objects) {
    v1::ConfigObject o;
    if (!o.ParseFromString(*bytes) || o.tenant_dbid() != tenant) continue;
    auto user_name = o.properties().find("user_name");
    const std::string login =
        user_name != o.properties().end() && !user_name->second.string_value().empty()
            ? user_name->second.string_value()
            : o.name();
    if (login == user) return o;
  }
  return absl::NotFoundError(absl::StrCat("no person '", user, "'"));
}

absl::StatusOr<v1::ConfigObject> BackendDirectory::PersonByDbid(int64_t dbid) {
  return ByDbid(v1::OBJECT_TYPE_PERSON, dbid);
}

absl::StatusOr<v1::ConfigObject> BackendDirectory::FindApplication(const std::string& name) {
  const int64_t dbid = backend_.FindApplication(name);
  if (dbid == 0) return absl::NotFoundError(absl::StrCat("no Application '", name, "'"));
  return ByDbid(v1::OBJECT_TYPE_APPLICATION, dbid);
}

absl::StatusOr<v1::ConfigObject> BackendDirectory::TenantByDbid(int64_t dbid) {
  return ByDbid(v1::OBJECT_TYPE_TENANT, dbid);
}

bool BackendDirectory::IsAdministrator(int64_t person_dbid) {
  v1::GetRequest request;
  request.set_type(v1::OBJECT_TYPE_ACCESS_GROUP);
  request.set_name(kAdministrators);
  request.set_tenant_dbid(0);
  absl::StatusOr<v1::GetResponse> group = backend_.Get(request);
  if (!group.ok() || !group->object().enabled()) return false;
  auto members = group->object().properties().find("members");
  if (members == group->object().properties().end()) return false;
  for (const v1::Value& m : members->second.list_value().values()) {
    if (m.has_ref_value() && m.ref_value().dbid() == person_dbid) return true;
  }
  return false;
}

bool BackendDirectory::HasAdministrator() {
  v1::GetRequest request;
  request.set_type(v1::OBJECT_TYPE_ACCESS_GROUP);
  request.set_name(kAdministrators);
  absl::StatusOr<v1::GetResponse> group = backend_.Get(request);
  if (!group.ok()) return false;
  auto members = group->object().properties().find("members");
  return members != group->object().properties().end() &&
         members->second.list_value().values_size() > 0;
}

void BackendDirectory::StorePassword(int64_t person_dbid, std::string hash, int64_t tokens_after,
                                     std::function<void(absl::Status)> done) {
  absl::StatusOr<v1::ConfigObject> person = PersonByDbid(person_dbid);
  if (!person.ok()) {
    done(person.status());
    return;
  }
  v1::ConfigObject updated = *person;
  (*updated.mutable_properties())["password_hash"].set_string_value(std::move(hash));
  (*updated.mutable_properties())["tokens_after"].set_int_value(tokens_after);
  const int64_t expected = updated.revision();
  updated.set_revision(0);
  config::WriteRequest write;
  v1::Operation op;
  *op.mutable_update()->mutable_object() = std::move(updated);
  op.mutable_update()->set_expected_revision(expected);
  write.operations.push_back(std::move(op));
  write.who = "tandem (password of person " + person->name() + ")";
  write.server_made = true;
  write.done = [done = std::move(done)](absl::StatusOr<config::WriteResult> r) {
    done(r.status());
  };
  backend_.Write(std::move(write));
}

}  // namespace tandem::auth
