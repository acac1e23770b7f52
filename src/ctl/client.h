// The calls tandemctl makes to a configuration server. Commands use this
// interface so that tests can substitute a fake server.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ctl/options.h"
#include "tandem/config/v1/config.pb.h"

namespace tandem::ctl {

namespace v1 = ::tandem::config::v1;

//! Statuses are the server's, unchanged; commands turn them into operator
//! messages with DescribeRpcError. Not thread-safe: one command at a time.
class ConfigClient {
 public:
  using ListFn = std::function<absl::Status(const v1::ListResponse&)>;
  using WatchFn = std::function<void(const v1::WatchResponse&)>;

  virtual ~ConfigClient() = default;

  //! Registers as the configured application; later calls carry the
  //! session id. Called once before any other call (again to re-register
  //! after the server restarted).
  virtual absl::StatusOr<v1::RegisterResponse> Register() = 0;
  virtual absl::StatusOr<v1::GetResponse> Get(const v1::GetRequest& request) = 0;
  //! Calls fn for every streamed chunk; stops at fn's first error.
  virtual absl::Status List(const v1::ListRequest& request, const ListFn& fn) = 0;
  virtual absl::StatusOr<v1::CreateResponse> Create(const v1::CreateRequest& request) = 0;
  virtual absl::StatusOr<v1::UpdateResponse> Update(const v1::UpdateRequest& request) = 0;
  virtual absl::StatusOr<v1::DeleteResponse> Delete(const v1::DeleteRequest& request) = 0;
  //! `timeout` replaces the usual per-call deadline (big imports).
  virtual absl::StatusOr<v1::TransactionResponse> Transaction(const v1::TransactionRequest& request,
                                                              absl::Duration timeout) = 0;
  //! Blocks delivering responses to fn until the stream ends (its status is
  //! returned; OK when the server closed it) or `stop` becomes true (OK).
  virtual absl::Status Watch(const v1::WatchRequest& request, const WatchFn& fn,
                             const std::atomic<bool>& stop) = 0;
  virtual absl::StatusOr<v1::HistoryResponse> History(const v1::HistoryRequest& request) = 0;
  virtual absl::StatusOr<v1::ServerInfo> GetServerInfo() = 0;
};

using ConfigClientPtr = std::unique_ptr<ConfigClient>;

//! A client over gRPC to options.server; connects lazily on the first call.
ConfigClientPtr NewGrpcClient(const GlobalOptions& options);

//! Metadata key carrying the session id returned by Register.
inline constexpr char kSessionMetadataKey[] = "x-tandem-session";

}  // namespace tandem::ctl
