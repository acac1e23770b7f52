// Applies one write request (a list of operations) to an overlay: checks
// everything that depends on other objects, assigns DBIDs and revisions and
// builds the hash-chained changes. Objects must already have passed
// config::ValidateShape.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "confserv/overlay.h"
#include "tandem/config/backend.h"

namespace tandem::confserv {

//! On error the overlay is left in an unspecified state: apply each request
//! to its own overlay and merge it only on success.
//! `subject`: each operation needs its permissions (config/permissions.h),
//! judged on the state as the earlier operations left it; null: unchecked.
absl::StatusOr<config::WriteResult> ApplyOperations(Overlay& overlay,
                                                    const std::vector<v1::Operation>& operations,
                                                    const std::string& who, absl::Time now,
                                                    const config::Subject* subject = nullptr);

//! h_R = SHA-256(h_{R-1} || change serialized without its hash).
std::string ChainHash(const std::string& previous_hash, const v1::Change& change);

}  // namespace tandem::confserv
