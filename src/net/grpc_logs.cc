#include "net/grpc_logs.h"

#include <cstdlib>

#include "grpc/support/log.h"
#include "spdlog/spdlog.h"

namespace tandem::net {
namespace {

void ToSpdlog(gpr_log_func_args* args) {
  if (args->severity == GPR_LOG_SEVERITY_DEBUG) return;
  if (args->severity == GPR_LOG_SEVERITY_INFO) {
    spdlog::debug("grpc: {}", args->message);
  } else {
    spdlog::warn("grpc: {}", args->message);
  }
}

void Discard(gpr_log_func_args*) {}

}  // namespace

void SendGrpcLogsToSpdlog() {
  if (std::getenv("GRPC_VERBOSITY") != nullptr) return;  // asked for gRPC's own output
  gpr_set_log_function(&ToSpdlog);
}

void SilenceGrpcLogs() {
  if (std::getenv("GRPC_VERBOSITY") != nullptr) return;
  gpr_set_log_function(&Discard);
}

}  // namespace tandem::net
