#include "confserv/lease_keeper.h"

#include "absl/strings/str_cat.h"
#include "tandem/storage/storage.h"

namespace tandem::confserv {

LeaseKeeper::Decision LeaseKeeper::Renewed(absl::Time started, const absl::Status& result) {
  if (result.ok()) {
    Granted(started);
    return {};
  }
  if (storage::IsLeaseLost(result)) {
    return {Verdict::kStepDown, absl::StrCat("lost the master lease: ", result.message(),
                                             "; stopping (restart to rejoin as the backup)")};
  }
  if (clock_.Now() >= valid_until_) {
    return {Verdict::kStepDown,
            absl::StrCat("could not renew the master lease before it expired (", result.message(),
                         "); the backup may be the primary now: stopping (restart to rejoin)")};
  }
  return {Verdict::kRetry,
          absl::StrCat("renewing the master lease failed (will retry; it is valid for ",
                       absl::FormatDuration(valid_until_ - clock_.Now()),
                       " more): ", result.message())};
}

}  // namespace tandem::confserv
