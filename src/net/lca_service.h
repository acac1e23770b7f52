// The LocalControl gRPC service of `tandemd lca` (api/tandem/control/v1/lca.proto)
// over an lca::Agent. Every call must come with a verified client
// certificate naming one of the agent's owners (the SCS that owns the host,
// or its backup); anything else is refused and counted.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "lca/agent.h"
#include "tandem/control/v1/lca.grpc.pb.h"

namespace tandem::net {

class LcaServiceImpl final : public control::v1::LocalControl::Service {
 public:
  //! `certificate` says what is wrong with the LCA's certificate
  //! (TlsStatus::CertificateAlarms); null: nothing.
  explicit LcaServiceImpl(lca::Agent& agent,
                          std::function<std::vector<std::string>()> certificate = nullptr)
      : agent_(agent), certificate_(std::move(certificate)) {}
  //! Ends open WatchStatus streams (before the server shuts down).
  void Shutdown();
  int64_t refused_calls() const { return refused_.load(); }

  grpc::Status StartProcess(grpc::ServerContext* ctx, const control::v1::StartProcessRequest* req,
                            control::v1::ProcessStatus* resp) override;
  grpc::Status StopProcess(grpc::ServerContext* ctx, const control::v1::StopProcessRequest* req,
                           control::v1::ProcessStatus* resp) override;
  grpc::Status SetMode(grpc::ServerContext* ctx, const control::v1::SetModeRequest* req,
                       control::v1::ProcessStatus* resp) override;
  grpc::Status GetStatus(grpc::ServerContext* ctx, const control::v1::GetStatusRequest* req,
                         control::v1::GetStatusResponse* resp) override;
  grpc::Status WatchStatus(grpc::ServerContext* ctx, const control::v1::WatchStatusRequest* req,
                           grpc::ServerWriter<control::v1::StatusEvent>* writer) override;

 private:
  //! OK when the caller is an owner; the refusal (and a log line) otherwise.
  grpc::Status Authorize(grpc::ServerContext* ctx, const char* call);
  control::v1::LcaHealth Health();

  lca::Agent& agent_;
  const std::function<std::vector<std::string>()> certificate_;
  std::atomic<int64_t> refused_{0};
  absl::Mutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
};

//! The AppAgent service (on the LCA's Unix socket): libtandem's stream.
//! The first message must be an AppHello with the token of the process's
//! start; then heartbeats, status reports and mode confirmations go to the
//! Agent, and the Agent's mode changes for that process come down.
class AppAgentImpl final : public control::v1::AppAgent::Service {
 public:
  explicit AppAgentImpl(lca::Agent& agent) : agent_(agent) {}
  grpc::Status Attach(grpc::ServerContext* ctx,
                      grpc::ServerReaderWriter<control::v1::AgentMessage, control::v1::AppMessage>*
                          stream) override;

 private:
  lca::Agent& agent_;
};

}  // namespace tandem::net
