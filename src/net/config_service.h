// gRPC front end of ConfigService over any config::Backend (the master's
// database today, the proxy's copy later). Uses the callback API: no thread
// is parked per call or per watch stream.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "tandem/config/backend.h"
#include "tandem/config/v1/config.grpc.pb.h"

namespace tandem::net {

// List is a raw method: stored objects are already serialized, so listing
// frames them into ListResponse messages without parsing and re-serializing
// (a repeated message field and a repeated bytes field share a wire format).
// Watch is raw too: every watcher shares each change's serialized bytes.
class ConfigServiceImpl final
    : public v1::ConfigService::WithRawCallbackMethod_Watch<
          v1::ConfigService::WithRawCallbackMethod_List<v1::ConfigService::CallbackService>> {
 public:
  struct Options {
    //! At most this many listings of at least kLargeList objects stream at
    //! once; more are refused with RESOURCE_EXHAUSTED (clients back off and
    //! retry), so that many proxies reloading together cannot swamp a master.
    int max_large_lists = 8;
    //! More alarms for GetServerInfo (e.g. TlsStatus::Alarms).
    std::function<std::vector<std::string>()> alarms;
  };
  //! A listing this large counts against Options::max_large_lists.
  static constexpr size_t kLargeList = 1000;

  explicit ConfigServiceImpl(config::Backend& backend) : ConfigServiceImpl(backend, Options()) {}
  ConfigServiceImpl(config::Backend& backend, Options options)
      : backend_(backend), options_(options) {}

  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* ctx,
                                     const v1::RegisterRequest* request,
                                     v1::RegisterResponse* response) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* ctx, const v1::GetRequest* request,
                                v1::GetResponse* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* List(grpc::CallbackServerContext* ctx,
                                                   const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* Create(grpc::CallbackServerContext* ctx,
                                   const v1::CreateRequest* request,
                                   v1::CreateResponse* response) override;
  grpc::ServerUnaryReactor* Update(grpc::CallbackServerContext* ctx,
                                   const v1::UpdateRequest* request,
                                   v1::UpdateResponse* response) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx,
                                   const v1::DeleteRequest* request,
                                   v1::DeleteResponse* response) override;
  grpc::ServerUnaryReactor* Transaction(grpc::CallbackServerContext* ctx,
                                        const v1::TransactionRequest* request,
                                        v1::TransactionResponse* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Watch(grpc::CallbackServerContext* ctx,
                                                    const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* History(grpc::CallbackServerContext* ctx,
                                    const v1::HistoryRequest* request,
                                    v1::HistoryResponse* response) override;
  grpc::ServerUnaryReactor* GetServerInfo(grpc::CallbackServerContext* ctx,
                                          const v1::ServerInfoRequest* request,
                                          v1::ServerInfo* response) override;

 private:
  //! "who" for history: the session's application name, else the peer.
  std::string Who(grpc::CallbackServerContext* ctx);
  //! Submits operations; `fill` copies the result into the response.
  grpc::ServerUnaryReactor* SubmitWrite(grpc::CallbackServerContext* ctx,
                                        std::vector<v1::Operation> ops,
                                        std::function<void(config::WriteResult&)> fill);

  config::Backend& backend_;
  const Options options_;
  //! Large listings streaming now (shared with their reactors).
  std::shared_ptr<std::atomic<int>> large_lists_ = std::make_shared<std::atomic<int>>(0);
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::string> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem::net
