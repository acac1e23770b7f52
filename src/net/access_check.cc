#include "net/access_check.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "config/permissions.h"
#include "config/refs.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "net/read_filter.h"
#include "net/status_convert.h"
#include "net/tls.h"
#include "spdlog/spdlog.h"

namespace tandem::net {

namespace cv1 = ::tandem::control::v1;
namespace v1 = ::tandem::config::v1;

namespace {

constexpr int kMaxObjects = 10000;

grpc::Status Refuse(grpc::StatusCode code, const std::string& message) {
  return grpc::Status(code, message);
}

}  // namespace

grpc::Status AccessCheckImpl::Check(grpc::ServerContext* ctx, const cv1::CheckAccessRequest* req,
                                    cv1::CheckAccessResponse* resp) {
  if (req->objects_size() > kMaxObjects) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT,
                  absl::StrCat("at most ", kMaxObjects, " objects per check"));
  }
  const std::optional<config::Right> right = config::ParseRight(req->right());
  if (!right.has_value()) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT,
                  absl::StrCat("right: '", req->right(), "' is none of ",
                               absl::StrJoin(config::RightNames(), ", ")));
  }
  const std::string peer = PeerAddress(ctx->peer());
  if (auth_ == nullptr) {
    resp->set_authentication_off(true);
    resp->set_who(
        absl::StrCat(req->claimed().empty() ? "anonymous" : req->claimed(), " (claimed)"));
    for (int i = 0; i < req->objects_size(); ++i) resp->add_allowed(true);
    return grpc::Status::OK;
  }
  // Only an SCS or a Message Server asks: its certificate names an enabled
  // Application of app_type SCS or MessageServer.
  auth::CallCredentials scs;
  scs.cert_name = PeerCertificateName(*ctx);
  scs.peer = peer;
  absl::StatusOr<auth::Identity> asker = auth_->Authenticate(scs);
  bool is_scs = false;
  if (asker.ok() && asker->kind == auth::Identity::Kind::kApplication) {
    v1::GetRequest get;
    get.set_type(v1::OBJECT_TYPE_APPLICATION);
    get.set_dbid(asker->dbid);
    absl::StatusOr<v1::GetResponse> app = backend_.Get(get);
    if (app.ok()) {
      const std::string type = config::AppType(app->object());
      is_scs = app->object().enabled() && (type == "SCS" || type == "MessageServer");
    }
  }
  if (!is_scs) {
    auth_->CountRefusal();
    spdlog::warn(
        "refused an access check from {}{}: not a Solution Control Server nor a "
        "Message Server",
        peer, scs.cert_name.empty() ? "" : absl::StrCat(" (certificate ", scs.cert_name, ")"));
    return Refuse(grpc::StatusCode::PERMISSION_DENIED,
                  "only a Solution Control Server or a Message Server (a client certificate "
                  "naming an enabled Application of app_type SCS or MessageServer) may ask for "
                  "access checks");
  }
  auth::CallCredentials op;
  op.token = req->token();
  op.cert_name = req->certificate();
  op.peer = req->peer().empty() ? peer : absl::StrCat(req->peer(), " via ", asker->name);
  absl::StatusOr<auth::Identity> who = auth_->Authenticate(op);
  if (!who.ok()) {
    auth_->CountRefusal();
    spdlog::warn("control '{}' through {} from {}: {}", req->action(), asker->name, op.peer,
                 std::string(who.status().message()));
    return ToGrpc(who.status());
  }
  resp->set_who(who->Who());
  const config::Subject subject = SubjectOf(*who);
  BackendSource source(backend_);
  int allowed = 0;
  for (const cv1::CheckedObject& o : req->objects()) {
    v1::GetRequest get;
    get.set_type(static_cast<v1::ObjectType>(o.type()));
    get.set_dbid(o.dbid());
    absl::StatusOr<v1::GetResponse> object = backend_.Get(get);
    const bool ok = object.ok() && config::Allowed(subject, *right, object->object(), source);
    resp->add_allowed(ok);
    allowed += ok ? 1 : 0;
  }
  if (*right != config::Right::kRead) {
    spdlog::info("control '{}' by {} through {}: {} of {} allowed ({})", req->action(), who->Who(),
                 asker->name, allowed, req->objects_size(), req->right());
  }
  return grpc::Status::OK;
}

AccessCheckClient::AccessCheckClient(std::vector<std::string> masters, const TlsFiles& tls)
    : masters_(std::move(masters)) {
  for (const std::string& m : masters_) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    stubs_.push_back(
        cv1::AccessCheck::NewStub(grpc::CreateCustomChannel(m, MakeChannelCredentials(tls), args)));
  }
}

absl::StatusOr<cv1::CheckAccessResponse> AccessCheckClient::Check(
    const cv1::CheckAccessRequest& request) {
  const size_t preferred = preferred_.load();
  std::vector<std::string> failures;
  for (size_t k = 0; k < stubs_.size(); ++k) {
    const size_t i = (preferred + k) % stubs_.size();
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    cv1::CheckAccessResponse resp;
    grpc::Status st = stubs_[i]->Check(&ctx, request, &resp);
    if (st.ok()) {
      preferred_ = i;
      return resp;
    }
    if (st.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
        st.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
        st.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      preferred_ = i;
      return FromGrpc(st);
    }
    failures.push_back(absl::StrCat(masters_[i], ": ", st.error_message()));
  }
  return absl::UnavailableError(
      absl::StrCat("no master answered the access check (", absl::StrJoin(failures, "; "),
                   "): the SCS asks a master whether you may do this; retry once a master is up"));
}

}  // namespace tandem::net
