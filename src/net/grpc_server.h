// A gRPC server with Tandem's defaults: keep-alive pings, reflection, and a
// bound port reported back (listen on port 0 in tests).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/server.h"
#include "tandem/tls_files.h"

namespace tandem::net {

struct ServerOptions {
  //! TLS material ([tls] of the bootstrap file), or plaintext.
  TlsFiles tls;
  //! gRPC server reflection (`grpcurl list`): the API's schema, nothing more.
  bool reflection = true;
};

class GrpcServer {
 public:
  //! Starts serving the services on `listen` ("host:port"). The services
  //! must outlive the server. Errors say what to fix in the bootstrap file.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(const std::string& listen,
                                                           std::vector<grpc::Service*> services,
                                                           const ServerOptions& options);
  //! Serves on the Unix socket `path` (replaced if it exists; mode 0666: the
  //! services check who calls by what the caller presents). No TLS: the
  //! socket never leaves the host. For the LCA's local application API.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> StartLocal(
      const std::string& path, std::vector<grpc::Service*> services);
  ~GrpcServer();
  int port() const { return port_; }
  //! Stops accepting calls, lets in-flight calls finish for up to `grace`,
  //! then cancels what is left.
  void Shutdown(absl::Duration grace);

 private:
  GrpcServer(std::unique_ptr<grpc::Server> server, int port)
      : server_(std::move(server)), port_(port) {}
  std::unique_ptr<grpc::Server> server_;
  int port_;
};

//! Writes the bound port to `path` (via a temporary file and rename, so a
//! reader never sees half a number): how tests and scripts learn a port 0.
absl::Status WritePortFile(const std::string& path, int port);

}  // namespace tandem::net
