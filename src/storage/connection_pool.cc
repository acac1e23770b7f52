#include "storage/connection_pool.h"

#include "absl/strings/str_cat.h"
#include "tandem/storage/storage.h"

namespace tandem::storage {

absl::Status CheckSchemaNotNewer(const std::string& what, int64_t version) {
  if (version <= kSchemaVersion) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("database ", what, " has schema version ",
                                                    version, ", newer than this tandemd supports (",
                                                    kSchemaVersion, "); run a newer tandemd"));
}

}  // namespace tandem::storage
