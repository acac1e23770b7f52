// One logical client of the load generator: its own channel (and so its own TCP
// connection) and its own session.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/client_context.h"
#include "load/options.h"
#include "tandem/config/v1/config.grpc.pb.h"

namespace tandem::bench {

namespace v1 = ::tandem::config::v1;

class LoadClient {
 public:
  LoadClient(const std::string& target, const TlsFiles& tls);
  LoadClient(const LoadClient&) = delete;
  LoadClient& operator=(const LoadClient&) = delete;

  //! Calls Register once; afterwards every context carries the session id.
  absl::Status Register(const std::string& application_name);

  //! A fresh context with the session metadata and a deadline `timeout` from now.
  std::unique_ptr<grpc::ClientContext> NewContext(
      std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  v1::ConfigService::Stub& stub() { return *stub_; }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ConfigService::Stub> stub_;
  std::string session_id_;
};

using LoadClientPtr = std::unique_ptr<LoadClient>;

//! `n` registered clients of options.server, each on its own channel; set
//! up from a few threads.
absl::StatusOr<std::vector<LoadClientPtr>> MakeClients(const LoadOptions& options, int n);

//! A Host with the required address; `i` varies its properties.
//! Objects made by MakeHost/MakeApplication go into this folder (--folder);
//! 0 (the default): outside any folder.
void SetObjectFolder(int64_t folder_dbid);
v1::ConfigObject MakeHost(const std::string& name, int64_t i);

//! An Application running on `host_dbid`, with a port and a command line.
v1::ConfigObject MakeApplication(const std::string& name, int64_t host_dbid, int64_t i);

//! Creates `objects` with Transactions of at most `batch` operations each, one after
//! another; returns the objects as written by the server (with DBIDs and revisions).
absl::StatusOr<std::vector<v1::ConfigObject>> CreateInBatches(
    LoadClient& client, const std::vector<v1::ConfigObject>& objects, int batch);

//! A short random tag that keeps object names of different runs apart.
std::string RunTag();

//! "status CODE: message" for logs.
std::string Describe(const grpc::Status& status);

}  // namespace tandem::bench
