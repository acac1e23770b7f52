#include "net/config_service.h"

#include "absl/strings/str_cat.h"
#include "common/hash.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "net/status_convert.h"
#include "net/watch_reactor.h"
#include "net/wire.h"

namespace tandem::net {
namespace {

constexpr char kSessionHeader[] = "x-tandem-session";
// List chunks stay well under gRPC's default 4 MiB message limit.
constexpr size_t kListChunkBytes = 1 << 20;

// Streams a snapshot as serialized ListResponse messages: field 1 (objects,
// length-delimited) for each stored object, then field 2 (revision).
class ListReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  //! `slot`, if set, is released (decremented) when the stream ends.
  ListReactor(config::ListSnapshot snapshot, std::shared_ptr<std::atomic<int>> slot)
      : snapshot_(std::move(snapshot)), slot_(std::move(slot)) {
    Next();
  }
  ~ListReactor() override {
    if (slot_ != nullptr) slot_->fetch_sub(1);
  }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
      return;
    }
    Next();
  }
  void OnDone() override { delete this; }

 private:
  void Next() {
    if (pos_ >= snapshot_.objects.size() && sent_any_) {
      Finish(grpc::Status::OK);
      return;
    }
    std::string msg;
    msg.reserve(kListChunkBytes + 64);
    while (pos_ < snapshot_.objects.size() && msg.size() < kListChunkBytes) {
      const std::string& data = *snapshot_.objects[pos_++];
      AppendLengthDelimited(&msg, 1, data);  // objects
    }
    AppendVarintField(&msg, 2, static_cast<uint64_t>(snapshot_.revision));  // revision
    grpc::Slice slice(std::move(msg));
    buffer_ = grpc::ByteBuffer(&slice, 1);
    sent_any_ = true;
    StartWrite(&buffer_);
  }

  config::ListSnapshot snapshot_;
  std::shared_ptr<std::atomic<int>> slot_;
  size_t pos_ = 0;
  bool sent_any_ = false;
  grpc::ByteBuffer buffer_;
};

// A stream that ends at once with an error.
struct FailedStream final : grpc::ServerWriteReactor<grpc::ByteBuffer> {
  explicit FailedStream(grpc::Status st) { Finish(std::move(st)); }
  void OnDone() override { delete this; }
};

}  // namespace

std::string ConfigServiceImpl::Who(grpc::CallbackServerContext* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find(kSessionHeader);
  if (it != md.end()) {
    std::string id(it->second.data(), it->second.size());
    absl::MutexLock lock(&mu_);
    auto s = sessions_.find(id);
    if (s != sessions_.end()) return s->second;
  }
  return absl::StrCat("anonymous@", ctx->peer());
}

grpc::ServerUnaryReactor* ConfigServiceImpl::Register(grpc::CallbackServerContext* ctx,
                                                      const v1::RegisterRequest* request,
                                                      v1::RegisterResponse* response) {
  auto* reactor = ctx->DefaultReactor();
  // Not gated by Serving(): the response's ServerInfo tells a client that it
  // reached a backup, and where the primary is.
  if (request->application_name().empty() || request->application_name().size() > 255) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 "application_name: give the application name (1-255 bytes)"));
    return reactor;
  }
  if (request->os_user().size() > 64 || request->os_host().size() > 255) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "os_user/os_host: at most 64/255 bytes"));
    return reactor;
  }
  // Who the history records: the application, and (claimed, until
  // authentication) the OS user and host that run it.
  std::string who = request->application_name();
  if (!request->os_user().empty() || !request->os_host().empty()) {
    absl::StrAppend(&who, " (", request->os_user(), "@", request->os_host(), ")");
  }
  // A proxy forwards writes registered under this name: keep it a valid one.
  if (who.size() > 255) {
    size_t n = 255;  // at a UTF-8 character boundary
    while (n > 0 && (static_cast<unsigned char>(who[n]) & 0xC0) == 0x80) --n;
    who.resize(n);
  }
  std::string id = RandomId();
  {
    absl::MutexLock lock(&mu_);
    // Sessions are tiny; bound them anyway so a misbehaving client cannot
    // grow the map without limit.
    if (sessions_.size() >= 100'000) sessions_.clear();
    sessions_[id] = std::move(who);
  }
  response->set_session_id(id);
  response->set_application_dbid(backend_.FindApplication(request->application_name()));
  *response->mutable_server() = backend_.Info();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* ConfigServiceImpl::Get(grpc::CallbackServerContext* ctx,
                                                 const v1::GetRequest* request,
                                                 v1::GetResponse* response) {
  auto* reactor = ctx->DefaultReactor();
  if (absl::Status serving = backend_.Serving(); !serving.ok()) {
    reactor->Finish(ToGrpc(serving));
    return reactor;
  }
  auto result = backend_.Get(*request);
  if (result.ok()) *response = std::move(*result);
  reactor->Finish(ToGrpc(result.status()));
  return reactor;
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* ConfigServiceImpl::List(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* raw_request) {
  (void)ctx;
  if (absl::Status serving = backend_.Serving(); !serving.ok()) {
    return new FailedStream(ToGrpc(serving));
  }
  v1::ListRequest request;
  grpc::ByteBuffer copy(*raw_request);
  grpc::Status parsed = grpc::SerializationTraits<v1::ListRequest>::Deserialize(&copy, &request);
  if (!parsed.ok()) {
    return new FailedStream(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                         "malformed ListRequest: " + parsed.error_message()));
  }
  auto snapshot = backend_.List(request);
  if (!snapshot.ok()) return new FailedStream(ToGrpc(snapshot.status()));
  std::shared_ptr<std::atomic<int>> slot;
  if (snapshot->objects.size() >= kLargeList) {
    if (large_lists_->fetch_add(1) >= options_.max_large_lists) {
      large_lists_->fetch_sub(1);
      return new FailedStream(
          grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                       absl::StrCat("this server is already streaming ", options_.max_large_lists,
                                    " large listings (", snapshot->objects.size(),
                                    " objects asked for); retry in a moment")));
    }
    slot = large_lists_;
  }
  return new ListReactor(std::move(*snapshot), std::move(slot));
}

grpc::ServerUnaryReactor* ConfigServiceImpl::SubmitWrite(
    grpc::CallbackServerContext* ctx, std::vector<v1::Operation> ops,
    std::function<void(config::WriteResult&)> fill) {
  auto* reactor = ctx->DefaultReactor();
  if (absl::Status serving = backend_.Serving(); !serving.ok()) {
    reactor->Finish(ToGrpc(serving));
    return reactor;
  }
  config::WriteRequest req;
  req.operations = std::move(ops);
  req.who = Who(ctx);
  req.done = [reactor, fill = std::move(fill)](absl::StatusOr<config::WriteResult> result) {
    if (result.ok()) fill(*result);
    reactor->Finish(ToGrpc(result.status()));
  };
  backend_.Write(std::move(req));
  return reactor;
}

grpc::ServerUnaryReactor* ConfigServiceImpl::Create(grpc::CallbackServerContext* ctx,
                                                    const v1::CreateRequest* request,
                                                    v1::CreateResponse* response) {
  std::vector<v1::Operation> ops(1);
  *ops[0].mutable_create() = *request;
  return SubmitWrite(ctx, std::move(ops), [response](config::WriteResult& r) {
    *response->mutable_object() = std::move(r.objects[0]);
    response->set_revision(r.last_revision);
  });
}

grpc::ServerUnaryReactor* ConfigServiceImpl::Update(grpc::CallbackServerContext* ctx,
                                                    const v1::UpdateRequest* request,
                                                    v1::UpdateResponse* response) {
  std::vector<v1::Operation> ops(1);
  *ops[0].mutable_update() = *request;
  return SubmitWrite(ctx, std::move(ops), [response](config::WriteResult& r) {
    *response->mutable_object() = std::move(r.objects[0]);
    response->set_revision(r.last_revision);
  });
}

grpc::ServerUnaryReactor* ConfigServiceImpl::Delete(grpc::CallbackServerContext* ctx,
                                                    const v1::DeleteRequest* request,
                                                    v1::DeleteResponse* response) {
  std::vector<v1::Operation> ops(1);
  *ops[0].mutable_delete_() = *request;
  return SubmitWrite(ctx, std::move(ops), [response](config::WriteResult& r) {
    response->set_revision(r.last_revision);
  });
}

grpc::ServerUnaryReactor* ConfigServiceImpl::Transaction(grpc::CallbackServerContext* ctx,
                                                         const v1::TransactionRequest* request,
                                                         v1::TransactionResponse* response) {
  std::vector<v1::Operation> ops(request->operations().begin(), request->operations().end());
  return SubmitWrite(ctx, std::move(ops), [response](config::WriteResult& r) {
    for (auto& o : r.objects) *response->add_objects() = std::move(o);
    response->set_first_revision(r.first_revision);
    response->set_last_revision(r.last_revision);
  });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* ConfigServiceImpl::Watch(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* raw_request) {
  (void)ctx;
  if (absl::Status serving = backend_.Serving(); !serving.ok()) {
    return new FailedStream(ToGrpc(serving));
  }
  v1::WatchRequest request;
  grpc::ByteBuffer copy(*raw_request);
  if (!grpc::SerializationTraits<v1::WatchRequest>::Deserialize(&copy, &request).ok()) {
    return new FailedStream(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed WatchRequest"));
  }
  return WatchReactor::Start(backend_, request);
}

grpc::ServerUnaryReactor* ConfigServiceImpl::History(grpc::CallbackServerContext* ctx,
                                                     const v1::HistoryRequest* request,
                                                     v1::HistoryResponse* response) {
  auto* reactor = ctx->DefaultReactor();
  if (absl::Status serving = backend_.Serving(); !serving.ok()) {
    reactor->Finish(ToGrpc(serving));
    return reactor;
  }
  auto page = backend_.History(request->since_revision(), request->limit());
  if (page.ok()) {
    for (auto& c : page->changes) *response->add_changes() = std::move(c);
    response->set_more(page->more);
    response->set_revision(page->revision);
  }
  reactor->Finish(ToGrpc(page.status()));
  return reactor;
}

grpc::ServerUnaryReactor* ConfigServiceImpl::GetServerInfo(grpc::CallbackServerContext* ctx,
                                                           const v1::ServerInfoRequest* request,
                                                           v1::ServerInfo* response) {
  (void)request;
  auto* reactor = ctx->DefaultReactor();
  *response = backend_.Info();
  if (options_.alarms) {
    for (std::string& alarm : options_.alarms()) response->add_alarms(std::move(alarm));
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace tandem::net
