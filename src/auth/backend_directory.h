// Directory over any config::Backend: the master's database or a proxy's
// copy answer who persons, applications and administrators are, and take
// password changes as ordinary (server-made) writes.
#pragma once

#include "auth/authenticator.h"
#include "tandem/config/backend.h"

namespace tandem::auth {

class BackendDirectory final : public Directory {
 public:
  explicit BackendDirectory(config::Backend& backend) : backend_(backend) {}

  absl::StatusOr<v1::ConfigObject> FindPerson(int64_t tenant, const std::string& user) override;
  absl::StatusOr<v1::ConfigObject> PersonByDbid(int64_t dbid) override;
  absl::StatusOr<v1::ConfigObject> FindApplication(const std::string& name) override;
  absl::StatusOr<v1::ConfigObject> TenantByDbid(int64_t dbid) override;
  bool IsAdministrator(int64_t person_dbid) override;
  //! Does the Administrators group have a member (is there someone to log in)?
  bool HasAdministrator();
  void StorePassword(int64_t person_dbid, std::string hash, int64_t tokens_after,
                     std::function<void(absl::Status)> done) override;

 private:
  absl::StatusOr<v1::ConfigObject> ByDbid(v1::ObjectType type, int64_t dbid);
  config::Backend& backend_;
};

}  // namespace tandem::auth
