#include "scs/pair_backends.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/host_port.h"
#include "common/logging.h"
#include "config/refs.h"
#include "net/config_client.h"
#include "spdlog/spdlog.h"

namespace tandem::scs {
namespace {

namespace v1 = ::tandem::config::v1;
using config::RefDbid;

PairLock LockOf(const v1::ConfigObject& app, const std::string& section) {
  PairLock l;
  l.revision = app.revision();
  auto s = app.annex().find(section);
  if (s == app.annex().end()) return l;
  auto h = s->second.entries().find("holder");
  if (h != s->second.entries().end()) l.holder = h->second;
  auto e = s->second.entries().find("epoch");
  if (e != s->second.entries().end()) (void)absl::SimpleAtoi(e->second, &l.epoch);
  return l;
}

}  // namespace

std::optional<PairMembers> FindPair(const client::TandemClient& config, const std::string& me) {
  std::optional<v1::ConfigObject> self = config.Find(v1::OBJECT_TYPE_APPLICATION, me);
  if (!self.has_value()) return std::nullopt;
  if (const int64_t b = RefDbid(*self, "backup"); b != 0) {
    if (auto backup = config.Get(v1::OBJECT_TYPE_APPLICATION, b)) {
      return PairMembers{backup->name(), me};
    }
  }
  for (const v1::ConfigObject& a : config.All(v1::OBJECT_TYPE_APPLICATION)) {
    if (RefDbid(a, "backup") == self->dbid()) return PairMembers{a.name(), a.name()};
  }
  return std::nullopt;
}

std::string AddressOf(const client::TandemClient& config, const std::string& application) {
  std::optional<v1::ConfigObject> app = config.Find(v1::OBJECT_TYPE_APPLICATION, application);
  if (!app.has_value()) return "";
  std::optional<v1::ConfigObject> host = config.Get(v1::OBJECT_TYPE_HOST, RefDbid(*app, "host"));
  if (!host.has_value()) return "";
  const int64_t port = config::AppPort(*app, /*or_first=*/true);
  auto addr = host->properties().find("address");
  if (port == 0 || addr == host->properties().end()) return "";
  return HostPort{addr->second.string_value(), static_cast<int>(port)}.ToString();
}

ConfigEpochStore::ConfigEpochStore(client::TandemClient& config, std::string lock_application,
                                   std::vector<std::string> masters,
                                   config::ClientOptions client_options, std::string section)
    : config_(config),
      lock_application_(std::move(lock_application)),
      section_(std::move(section)),
      masters_(std::move(masters)),
      client_options_(std::move(client_options)) {}

absl::StatusOr<PairLock> ConfigEpochStore::Read() {
  std::optional<v1::ConfigObject> app =
      config_.Find(v1::OBJECT_TYPE_APPLICATION, lock_application_);
  if (!app.has_value()) {
    return absl::NotFoundError(absl::StrCat("no Application ", lock_application_));
  }
  PairLock l = LockOf(*app, section_);
  return l.revision < written_.revision ? written_ : l;
}

absl::StatusOr<PairLock> ConfigEpochStore::Take(const PairLock& seen, const std::string& me) {
  std::optional<v1::ConfigObject> app =
      config_.Find(v1::OBJECT_TYPE_APPLICATION, lock_application_);
  if (!app.has_value()) {
    return absl::NotFoundError(absl::StrCat("no Application ", lock_application_));
  }
  v1::UpdateRequest req;
  *req.mutable_object() = *app;
  req.mutable_object()->clear_revision();
  auto& entries = *(*req.mutable_object()->mutable_annex())[section_].mutable_entries();
  entries["holder"] = me;
  entries["epoch"] = absl::StrCat(seen.epoch + 1);
  req.set_expected_revision(seen.revision);
  if (clients_.empty()) {
    for (const std::string& m : masters_) {
      config::ClientOptions o = client_options_;
      o.server = m;
      clients_.push_back(net::NewGrpcConfigClient(o));
    }
  }
  absl::Status last = absl::UnavailableError("no master configured");
  std::vector<std::string> errors;  // every master's: the backup's alone hides the primary's
  for (size_t i = 0; i < clients_.size(); ++i) {
    absl::StatusOr<v1::UpdateResponse> r = clients_[i]->Update(req);
    if (r.ok()) {
      written_ = {me, seen.epoch + 1, r->revision()};
      return written_;
    }
    last = r.status();
    if (absl::IsAborted(last)) return last;  // someone else took it first
    errors.push_back(absl::StrCat(masters_[i], ": ", last.message()));
  }
  spdlog::warn("cannot take the pair's lock in {}'s annex [{}]: {}", lock_application_, section_,
               absl::StrJoin(errors, "; "));
  return last;
}

bool GrpcPartnerProbe::Alive() {
  const std::string address = AddressOf(config_, partner_);
  if (address.empty()) return false;
  control::v1::ScsInfo info;
  return client_.Ask(address, 500, &info);
}

}  // namespace tandem::scs
