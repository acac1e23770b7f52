#include "net/config_service.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/hash.h"
#include "config/object_types.h"
#include "config/schema.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "net/read_filter.h"
#include "net/status_convert.h"
#include "net/tls.h"
#include "net/watch_reactor.h"
#include "net/wire.h"
#include "spdlog/spdlog.h"
#include "tandem/config/client.h"

namespace tandem::net {

bool SeesSecrets(const auth::Identity& id) {
  return id.tandem_server || id.kind == auth::Identity::Kind::kClaimed;
}

void RedactSnapshot(config::ListSnapshot* snapshot) {
  for (config::ObjectBytes& bytes : snapshot->objects) {
    v1::ConfigObject o;
    // Only types with secret properties are parsed (Person); the type is
    // field 1 of ConfigObject, the first byte pair of its serialization.
    if (bytes->size() < 2 || (*bytes)[0] != 0x08 ||
        (*bytes)[1] != static_cast<char>(v1::OBJECT_TYPE_PERSON)) {
      continue;
    }
    if (!o.ParseFromString(*bytes) || !config::StripSecrets(&o)) continue;
    bytes = std::make_shared<const std::string>(DeterministicSerialize(o));
  }
}

std::string CallToken(grpc::CallbackServerContext* ctx) {
  return CallToken(static_cast<const grpc::ServerContextBase&>(*ctx));
}

namespace {

constexpr char kSessionHeader[] = "x-tandem-session";
// List chunks stay well under gRPC's default 4 MiB message limit.
constexpr size_t kListChunkBytes = 1 << 20;

// Streams a snapshot as serialized ListResponse messages: field 1 (objects,
// length-delimited) for each stored object, then field 2 (revision).
class ListReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  //! `slot`, if set, is released (decremented) when the stream ends.
  //! `filter`, if set, decides on each object as its chunk is made, so that
  //! judging a long listing overlaps with sending it.
  ListReactor(config::ListSnapshot snapshot, std::shared_ptr<std::atomic<int>> slot,
              std::unique_ptr<ReadFilter> filter)
      : snapshot_(std::move(snapshot)), slot_(std::move(slot)), filter_(std::move(filter)) {
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
      config::ObjectBytes& data = snapshot_.objects[pos_++];
      if (filter_ != nullptr && !filter_->Pass(&data)) continue;
      AppendLengthDelimited(&msg, 1, *data);  // objects
    }
    AppendVarintField(&msg, 2, static_cast<uint64_t>(snapshot_.revision));  // revision
    grpc::Slice slice(std::move(msg));
    buffer_ = grpc::ByteBuffer(&slice, 1);
    sent_any_ = true;
    StartWrite(&buffer_);
  }

  config::ListSnapshot snapshot_;
  std::shared_ptr<std::atomic<int>> slot_;
  std::unique_ptr<ReadFilter> filter_;
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

grpc::ServerUnaryReactor* ConfigServiceImpl::Get(grpc::CallbackServerContext* ctx,
                                                 const v1::GetRequest* request,
                                                 v1::GetResponse* response) {
  auto* reactor = ctx->DefaultReactor();
  if (absl::Status serving = backend_.Serving(); !serving.ok()) {
    reactor->Finish(ToGrpc(serving));
    return reactor;
  }
  absl::StatusOr<auth::Identity> caller = Caller(ctx, "Get");
  if (!caller.ok()) {
    reactor->Finish(ToGrpc(caller.status()));
    return reactor;
  }
  auto result = backend_.Get(*request);
  if (result.ok()) {
    *response = std::move(*result);
    ReadFilter filter(*caller, backend_);
    if (!filter.Visible(response->mutable_object())) {
      const v1::ConfigObject& o = response->object();
      const std::string refusal = config::Refusal(SubjectOf(*caller), config::Right::kRead, o);
      spdlog::warn("refused Get from {}: {}", caller->peer, refusal);
      if (options_.auth != nullptr) options_.auth->CountRefusal();
      if (options_.audit != nullptr) {
        options_.audit(true, absl::StrCat("refused Get from ", caller->Who(), " from ",
                                          caller->peer, ": ", refusal));
      }
      response->Clear();
      reactor->Finish(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, refusal));
      return reactor;
    }
  }
  reactor->Finish(ToGrpc(result.status()));
  return reactor;
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* ConfigServiceImpl::List(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* raw_request) {
  if (absl::Status serving = backend_.Serving(); !serving.ok()) {
    return new FailedStream(ToGrpc(serving));
  }
  absl::StatusOr<auth::Identity> caller = Caller(ctx, "List");
  if (!caller.ok()) return new FailedStream(ToGrpc(caller.status()));
  v1::ListRequest request;
  grpc::ByteBuffer copy(*raw_request);
  grpc::Status parsed = grpc::SerializationTraits<v1::ListRequest>::Deserialize(&copy, &request);
  if (!parsed.ok()) {
    return new FailedStream(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                         "malformed ListRequest: " + parsed.error_message()));
  }
  auto snapshot = backend_.List(request);
  if (!snapshot.ok()) return new FailedStream(ToGrpc(snapshot.status()));
  auto filter = std::make_unique<ReadFilter>(*caller, backend_);
  if (filter->reads_all()) {
    filter->Filter(&*snapshot);  // at most secrets to take out (persons only)
    filter.reset();
  }
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
  return new ListReactor(std::move(*snapshot), std::move(slot), std::move(filter));
}

grpc::ServerUnaryReactor* ConfigServiceImpl::SubmitWrite(
    grpc::CallbackServerContext* ctx, std::vector<v1::Operation> ops,
    std::function<void(config::WriteResult&)> fill, const char* call) {
  auto* reactor = ctx->DefaultReactor();
  if (absl::Status serving = backend_.Serving(); !serving.ok()) {
    reactor->Finish(ToGrpc(serving));
    return reactor;
  }
  absl::StatusOr<auth::Identity> caller = Caller(ctx, call);
  if (!caller.ok()) {
    reactor->Finish(ToGrpc(caller.status()));
    return reactor;
  }
  // Secret properties (a password hash) are the server's to write, or a
  // Tandem server's forwarding what its own server made.
  if (!SeesSecrets(*caller)) {
    for (size_t i = 0; i < ops.size(); ++i) {
      const v1::ConfigObject* o = ops[i].has_create()   ? &ops[i].create().object()
                                  : ops[i].has_update() ? &ops[i].update().object()
                                                        : nullptr;
      if (o == nullptr) continue;
      if (std::string secret = config::SecretPropertyIn(*o); !secret.empty()) {
        reactor->Finish(grpc::Status(
            grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat(ops.size() > 1 ? absl::StrCat("operation[", i, "]: ") : "", "properties.",
                         secret,
                         ": set by the server only; set a password with tandemctl passwd")));
        return reactor;
      }
    }
  }
  // What the audit trail will say of each operation (the names come from
  // the result: a delete has only its dbid).
  std::vector<std::string> what;
  for (const v1::Operation& op : ops) {
    if (op.has_create()) {
      what.push_back("created " + config::TypeName(op.create().object().type()));
    } else if (op.has_update()) {
      what.push_back("updated " + config::TypeName(op.update().object().type()));
    } else {
      what.push_back(absl::StrCat("deleted ", config::TypeName(op.delete_().type()), " dbid ",
                                  op.delete_().dbid()));
    }
  }
  config::WriteRequest req;
  req.operations = std::move(ops);
  if (config::Subject subject = SubjectOf(*caller); !subject.all) {
    req.subject = std::make_shared<const config::Subject>(std::move(subject));
  }
  req.who = caller->kind == auth::Identity::Kind::kClaimed
                ? caller->name
                : absl::StrCat(caller->Who(), " from ", caller->peer);
  req.token = CallToken(ctx);
  req.peer = caller->peer;
  if (req.token.empty() && caller->kind == auth::Identity::Kind::kApplication) {
    req.on_behalf_of = absl::StrCat("application ", caller->name);
  }
  req.done = [auth = options_.auth, audit = options_.audit, reactor, fill = std::move(fill), call,
              who = req.who, what = std::move(what)](absl::StatusOr<config::WriteResult> result) {
    if (result.ok() && audit != nullptr) {
      std::string sentence = absl::StrCat(who, ": ");
      for (size_t i = 0; i < what.size() && i < 10; ++i) {
        absl::StrAppend(&sentence, i > 0 ? ", " : "", what[i]);
        if (i < result->objects.size() && !result->objects[i].name().empty()) {
          absl::StrAppend(&sentence, " '", result->objects[i].name(), "' (dbid ",
                          result->objects[i].dbid(), ")");
        }
      }
      if (what.size() > 10) absl::StrAppend(&sentence, " and ", what.size() - 10, " more");
      absl::StrAppend(&sentence, " at revision ", result->last_revision);
      audit(false, sentence);
    }
    if (result.ok()) fill(*result);
    if (result.status().code() == absl::StatusCode::kPermissionDenied) {
      spdlog::warn("refused {} from {}: {}", call, who, std::string(result.status().message()));
      if (auth != nullptr) auth->CountRefusal();
      if (audit != nullptr) {
        audit(true, absl::StrCat("refused ", call, " from ", who, ": ", result.status().message()));
      }
    }
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
  return SubmitWrite(
      ctx, std::move(ops),
      [response](config::WriteResult& r) {
        *response->mutable_object() = std::move(r.objects[0]);
        config::StripSecrets(response->mutable_object());
        response->set_revision(r.last_revision);
      },
      "Create");
}

grpc::ServerUnaryReactor* ConfigServiceImpl::Update(grpc::CallbackServerContext* ctx,
                                                    const v1::UpdateRequest* request,
                                                    v1::UpdateResponse* response) {
  std::vector<v1::Operation> ops(1);
  *ops[0].mutable_update() = *request;
  return SubmitWrite(
      ctx, std::move(ops),
      [response](config::WriteResult& r) {
        *response->mutable_object() = std::move(r.objects[0]);
        config::StripSecrets(response->mutable_object());
        response->set_revision(r.last_revision);
      },
      "Update");
}

grpc::ServerUnaryReactor* ConfigServiceImpl::Delete(grpc::CallbackServerContext* ctx,
                                                    const v1::DeleteRequest* request,
                                                    v1::DeleteResponse* response) {
  std::vector<v1::Operation> ops(1);
  *ops[0].mutable_delete_() = *request;
  return SubmitWrite(
      ctx, std::move(ops),
      [response](config::WriteResult& r) { response->set_revision(r.last_revision); }, "Delete");
}

grpc::ServerUnaryReactor* ConfigServiceImpl::Transaction(grpc::CallbackServerContext* ctx,
                                                         const v1::TransactionRequest* request,
                                                         v1::TransactionResponse* response) {
  std::vector<v1::Operation> ops(request->operations().begin(), request->operations().end());
  return SubmitWrite(
      ctx, std::move(ops),
      [response](config::WriteResult& r) {
        for (auto& o : r.objects) {
          config::StripSecrets(&o);
          *response->add_objects() = std::move(o);
        }
        response->set_first_revision(r.first_revision);
        response->set_last_revision(r.last_revision);
      },
      "Transaction");
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* ConfigServiceImpl::Watch(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* raw_request) {
  if (absl::Status serving = backend_.Serving(); !serving.ok()) {
    return new FailedStream(ToGrpc(serving));
  }
  absl::StatusOr<auth::Identity> caller = Caller(ctx, "Watch");
  if (!caller.ok()) return new FailedStream(ToGrpc(caller.status()));
  v1::WatchRequest request;
  grpc::ByteBuffer copy(*raw_request);
  if (!grpc::SerializationTraits<v1::WatchRequest>::Deserialize(&copy, &request).ok()) {
    return new FailedStream(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed WatchRequest"));
  }
  auto filter = std::make_shared<ReadFilter>(*caller, backend_, /*live=*/true);
  return WatchReactor::Start(backend_, request, filter->passes_all() ? nullptr : filter);
}

grpc::ServerUnaryReactor* ConfigServiceImpl::History(grpc::CallbackServerContext* ctx,
                                                     const v1::HistoryRequest* request,
                                                     v1::HistoryResponse* response) {
  auto* reactor = ctx->DefaultReactor();
  if (absl::Status serving = backend_.Serving(); !serving.ok()) {
    reactor->Finish(ToGrpc(serving));
    return reactor;
  }
  absl::StatusOr<auth::Identity> caller = Caller(ctx, "History");
  if (!caller.ok()) {
    reactor->Finish(ToGrpc(caller.status()));
    return reactor;
  }
  auto page = backend_.History(request->since_revision(), request->limit());
  if (page.ok()) {
    ReadFilter filter(*caller, backend_);
    for (auto& c : page->changes) {
      if (filter.Visible(&c)) *response->add_changes() = std::move(c);
    }
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
  const v1::ServerInfo full = backend_.Info();
  if (options_.auth != nullptr && !Caller(ctx, nullptr).ok()) {
    // Anyone may ask what a server is; how it is built (storage, history)
    // only those who may use it.
    response->set_role(full.role());
    response->set_revision(full.revision());
    response->set_proxy_mode(full.proxy_mode());
    response->set_primary_address(full.primary_address());
    response->set_version(full.version());
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  *response = full;
  if (options_.auth != nullptr) response->set_refused_calls(options_.auth->refusals());
  if (options_.alarms) {
    for (std::string& alarm : options_.alarms()) response->add_alarms(std::move(alarm));
  }
  if (options_.auth == nullptr) {
    response->add_alarms(
        "authentication is off ([auth] mode = \"off\"): anyone who connects may read and "
        "change everything");
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace tandem::net
