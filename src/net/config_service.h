// gRPC front end of ConfigService over any config::Backend (the master's
// database today, the proxy's copy later). Uses the callback API: no thread
// is parked per call or per watch stream.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "auth/authenticator.h"
#include "tandem/config/backend.h"
#include "tandem/config/v1/config.grpc.pb.h"

namespace tandem::net {

//! Does this caller get secret properties (a password hash)? Tandem's own
//! servers do (they keep full copies), and everyone when authentication is off.
bool SeesSecrets(const auth::Identity& id);
//! Leaves the secret properties out of what a client is sent.
void RedactSnapshot(config::ListSnapshot* snapshot);
//! The session token of a call ("authorization: Bearer TOKEN"), or "".
std::string CallToken(grpc::CallbackServerContext* ctx);

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
    //! Decides who is calling; null = authentication off (every call is
    //! let in, the application name a client registers as is recorded).
    auth::Authenticator* auth = nullptr;
    //! The master's [auth] bootstrap_file: the secret Bootstrap checks
    //! (empty: Bootstrap is refused, as on a proxy).
    std::string bootstrap_file = {};
    //! Told of every committed write and every refused call, as one
    //! sentence (the audit trail into the Log Database; null: the log only).
    //! `refused` says which. Called on the committer's or gRPC's thread: it
    //! must not block.
    std::function<void(bool refused, const std::string& sentence)> audit = nullptr;
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
  grpc::ServerUnaryReactor* SetPassword(grpc::CallbackServerContext* ctx,
                                        const v1::SetPasswordRequest* request,
                                        v1::SetPasswordResponse* response) override;
  grpc::ServerUnaryReactor* Bootstrap(grpc::CallbackServerContext* ctx,
                                      const v1::BootstrapRequest* request,
                                      v1::BootstrapResponse* response) override;

 private:
  //! The caller's identity (every call but GetServerInfo needs one), or the
  //! refusal, logged with the peer and `call` and counted.
  absl::StatusOr<auth::Identity> Caller(grpc::CallbackServerContext* ctx, const char* call);
  //! With authentication off: the session's application name, else the peer.
  std::string Claimed(grpc::CallbackServerContext* ctx);
  //! Answers a password login (on the authenticator's login thread).
  void PasswordLogin(grpc::ServerUnaryReactor* reactor, const v1::RegisterRequest& request,
                     v1::RegisterResponse* response, const std::string& peer);
  //! Submits operations; `fill` copies the result into the response.
  grpc::ServerUnaryReactor* SubmitWrite(grpc::CallbackServerContext* ctx,
                                        std::vector<v1::Operation> ops,
                                        std::function<void(config::WriteResult&)> fill,
                                        const char* call);

  config::Backend& backend_;
  const Options options_;
  //! Large listings streaming now (shared with their reactors).
  std::shared_ptr<std::atomic<int>> large_lists_ = std::make_shared<std::atomic<int>>(0);
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::string> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tandem::net
