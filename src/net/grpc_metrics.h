// Per-call metrics of a gRPC server: calls started, handled (by status
// code), in flight (open streams) and their latency, labelled by service and
// method as go-grpc-prometheus names them. GrpcServer installs it on every
// server it starts.
#pragma once

#include <memory>

#include "grpcpp/support/server_interceptor.h"
#include "metrics/registry.h"

namespace tandem::net {

//! An interceptor factory writing grpc_server_* into `registry`.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeGrpcMetrics(
    metrics::Registry& registry);

}  // namespace tandem::net
