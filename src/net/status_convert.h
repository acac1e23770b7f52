// Conversion between absl::Status (used everywhere inside Tandem) and
// grpc::Status (only at the network edge).
#pragma once

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace tandem::net {

grpc::Status ToGrpc(const absl::Status& status);
absl::Status FromGrpc(const grpc::Status& status);

}  // namespace tandem::net
