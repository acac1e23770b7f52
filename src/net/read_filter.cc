#include "net/read_filter.h"

#include <map>

#include "common/hash.h"
#include "config/schema.h"
#include "net/config_service.h"

namespace tandem::net {
std::shared_ptr<const v1::ConfigObject> BackendSource::Find(v1::ObjectType type, int64_t dbid) {
  auto key = std::make_pair(type, dbid);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  v1::GetRequest request;
  request.set_type(type);
  request.set_dbid(dbid);
  auto got = backend_.Get(request);
  std::shared_ptr<const v1::ConfigObject> o =
      got.ok() ? std::make_shared<v1::ConfigObject>(std::move(*got->mutable_object())) : nullptr;
  cache_[key] = o;
  return o;
}

config::Subject SubjectOf(const auth::Identity& id) {
  config::Subject s;
  s.all = id.administrator || id.tandem_server || id.kind == auth::Identity::Kind::kClaimed;
  if (id.kind == auth::Identity::Kind::kPerson) s.type = v1::OBJECT_TYPE_PERSON;
  if (id.kind == auth::Identity::Kind::kApplication) s.type = v1::OBJECT_TYPE_APPLICATION;
  s.dbid = id.dbid;
  s.who = id.Who();
  return s;
}

ReadFilter::ReadFilter(const auth::Identity& caller, config::Backend& backend, bool live)
    : subject_(SubjectOf(caller)),
      sees_secrets_(SeesSecrets(caller)),
      live_(live),
      source_(backend) {}

bool ReadFilter::Visible(v1::ConfigObject* object) { return Visible(object, nullptr); }

bool ReadFilter::Visible(v1::ConfigObject* object, v1::ConfigObject* earlier) {
  if (!sees_secrets_) {
    config::StripSecrets(object);
    if (earlier != nullptr) config::StripSecrets(earlier);
  }
  if (subject_.all) return true;
  if (live_) source_.Clear();
  if (!config::Allowed(subject_, config::Right::kRead, *object, source_)) return false;
  if (!config::Allowed(subject_, config::Right::kReadPermissions, *object, source_)) {
    config::StripGrants(object);
    if (earlier != nullptr) config::StripGrants(earlier);
  }
  return true;
}

bool ReadFilter::Visible(v1::Change* change) {
  if (passes_all()) return true;
  if (!change->has_after()) return Visible(change->mutable_before(), nullptr);
  return Visible(change->mutable_after(),
                 change->has_before() ? change->mutable_before() : nullptr);
}

void ReadFilter::Filter(config::ListSnapshot* snapshot) {
  if (passes_all()) return;
  if (subject_.all) {
    RedactSnapshot(snapshot);  // only secrets to leave out
    return;
  }
  std::vector<config::ObjectBytes> kept;
  kept.reserve(snapshot->objects.size());
  for (config::ObjectBytes& bytes : snapshot->objects) {
    v1::ConfigObject o;
    if (!o.ParseFromString(*bytes) || !Visible(&o)) continue;
    kept.push_back(std::make_shared<const std::string>(DeterministicSerialize(o)));
  }
  snapshot->objects = std::move(kept);
}

}  // namespace tandem::net
