// Small facts about the LCA's wire types that the LCA and the SCS share.
#pragma once

#include "common/proto_time.h"
#include "tandem/control/v1/lca.pb.h"

namespace tandem::lca {

//! Its process exists (starting, running or stopping).
inline bool IsActive(control::v1::ProcessState s) {
  return s == control::v1::PROCESS_STATE_STARTING || s == control::v1::PROCESS_STATE_RUNNING ||
         s == control::v1::PROCESS_STATE_STOPPING;
}

using ::tandem::FromProtoTime;
using ::tandem::ToProtoTime;

}  // namespace tandem::lca
