// Small facts about the LCA's wire types that the LCA and the SCS share.
#pragma once

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"
#include "tandem/control/v1/lca.pb.h"

namespace tandem::lca {

//! Its process exists (starting, running or stopping).
inline bool IsActive(control::v1::ProcessState s) {
  return s == control::v1::PROCESS_STATE_STARTING || s == control::v1::PROCESS_STATE_RUNNING ||
         s == control::v1::PROCESS_STATE_STOPPING;
}

inline google::protobuf::Timestamp ToProtoTime(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}
inline absl::Time FromProtoTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(t));
}

}  // namespace tandem::lca
