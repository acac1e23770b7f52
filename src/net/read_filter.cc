#include "net/read_filter.h"

#include <map>

#include "absl/strings/str_cat.h"
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
      verdict_key_(absl::StrCat(subject_.type, ":", subject_.dbid, subject_.all ? ":all" : "",
                                sees_secrets_ ? ":secrets" : "")),
      source_(backend) {}

bool ReadFilter::Visible(v1::ConfigObject* object) {
  bool stripped = false;
  return Visible(object, nullptr, &stripped);
}

bool ReadFilter::Visible(v1::ConfigObject* object, v1::ConfigObject* earlier, bool* stripped) {
  *stripped = false;
  if (!sees_secrets_) {
    *stripped |= config::StripSecrets(object);
    if (earlier != nullptr) *stripped |= config::StripSecrets(earlier);
  }
  if (subject_.all) return true;
  if (live_) source_.Clear();
  const Decision d = Decide(*object);
  if (!d.read) return false;
  if (!d.read_permissions) {
    *stripped |= config::StripGrants(object);
    if (earlier != nullptr) *stripped |= config::StripGrants(earlier);
  }
  return true;
}

bool ReadFilter::Visible(v1::Change* change) {
  if (passes_all()) return true;
  bool stripped = false;
  if (!change->has_after()) return Visible(change->mutable_before(), nullptr, &stripped);
  return Visible(change->mutable_after(), change->has_before() ? change->mutable_before() : nullptr,
                 &stripped);
}

ReadFilter::Decision ReadFilter::Decide(const v1::ConfigObject& object) {
  // Without grants of its own, an object's rights are its containers':
  // within one call (a listing, a history page) they are decided once per
  // folder and tenant.
  const bool memo = !live_ && !config::HasGrants(object);
  const std::pair<int64_t, int64_t> key{
      config::EnclosingFolder(object),
      object.type() == v1::OBJECT_TYPE_TENANT ? 0 : object.tenant_dbid()};
  if (memo) {
    auto it = decisions_.find(key);
    if (it != decisions_.end()) return it->second;
  }
  Decision d;
  d.read = config::Allowed(subject_, config::Right::kRead, object, source_);
  d.read_permissions =
      d.read && config::Allowed(subject_, config::Right::kReadPermissions, object, source_);
  if (memo) decisions_[key] = d;
  return d;
}

std::shared_ptr<const std::string> ReadFilter::Judge(const config::CommittedChange& c) {
  {
    absl::MutexLock lock(&c.verdicts_mu);
    for (const auto& [key, wire] : c.verdicts) {
      if (key == verdict_key_) return wire;
    }
  }
  v1::Change copy = c.change;
  std::shared_ptr<const std::string> wire;
  if (Visible(&copy)) wire = std::make_shared<const std::string>(DeterministicSerialize(copy));
  absl::MutexLock lock(&c.verdicts_mu);
  // Bounded: a change watched by very many distinct subjects is judged
  // afresh for the ones beyond.
  if (c.verdicts.size() < 256) c.verdicts.emplace_back(verdict_key_, wire);
  return wire;
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
    if (Pass(&bytes)) kept.push_back(std::move(bytes));
  }
  snapshot->objects = std::move(kept);
}

bool ReadFilter::Pass(config::ObjectBytes* bytes) {
  v1::ConfigObject o;
  bool stripped = false;
  if (!o.ParseFromString(**bytes) || !Visible(&o, nullptr, &stripped)) return false;
  // Unchanged objects keep their shared bytes (no second serialization).
  if (stripped) *bytes = std::make_shared<const std::string>(DeterministicSerialize(o));
  return true;
}

}  // namespace tandem::net
