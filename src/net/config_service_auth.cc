// ConfigServiceImpl: who is calling (Caller), Register (password logins),
// SetPassword and Bootstrap.
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "auth/backend_directory.h"
#include "auth/password.h"
#include "common/hash.h"
#include "config/object_types.h"
#include "net/config_service.h"
#include "net/status_convert.h"
#include "net/tls.h"
#include "spdlog/spdlog.h"
#include "tandem/config/client.h"

namespace tandem::net {
namespace {

constexpr char kSessionHeader[] = "x-tandem-session";

//! "ipv4:192.0.2.10:5432" -> "192.0.2.10"; "ipv6:[::1]:5432" -> "::1".
std::string Metadata(grpc::CallbackServerContext* ctx, const char* key) {
  const auto& md = ctx->client_metadata();
  auto it = md.find(key);
  return it == md.end() ? "" : std::string(it->second.data(), it->second.size());
}

//! Constant-time comparison of two secrets.
bool SameSecret(absl::string_view a, absl::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ (i < b.size() ? b[i] : 0);
  return diff == 0;
}

}  // namespace

std::string ConfigServiceImpl::Claimed(grpc::CallbackServerContext* ctx) {
  const std::string id = Metadata(ctx, kSessionHeader);
  if (!id.empty()) {
    absl::MutexLock lock(&mu_);
    auto s = sessions_.find(id);
    if (s != sessions_.end()) return s->second;
  }
  return absl::StrCat("anonymous@", ctx->peer());
}

absl::StatusOr<auth::Identity> ConfigServiceImpl::Caller(grpc::CallbackServerContext* ctx,
                                                         const char* call) {
  const std::string peer = PeerAddress(ctx->peer());
  if (options_.auth == nullptr) {
    auth::Identity id;
    id.kind = auth::Identity::Kind::kClaimed;
    id.name = Claimed(ctx);
    id.via = "claimed";
    id.peer = peer;
    id.administrator = true;
    id.tandem_server = true;
    return id;
  }
  auth::CallCredentials creds;
  creds.token = CallToken(ctx);
  creds.cert_name = PeerCertificateName(*ctx);
  creds.peer = peer;
  creds.on_behalf_of = Metadata(ctx, config::kOnBehalfOfMetadataKey);
  creds.forwarded_for = Metadata(ctx, config::kForwardedForMetadataKey);
  absl::StatusOr<auth::Identity> id = options_.auth->Authenticate(creds);
  if (!id.ok() && call != nullptr) {
    options_.auth->CountRefusal();
    spdlog::warn(
        "refused {} from {}{}: {}", call, peer,
        creds.cert_name.empty() ? "" : absl::StrCat(" (certificate ", creds.cert_name, ")"),
        std::string(id.status().message()));
  }
  return id;
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
  if (request->os_user().size() > 64 || request->os_host().size() > 255 ||
      request->user_name().size() > 255) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 "os_user/os_host/user_name: at most 64/255/255 bytes"));
    return reactor;
  }
  const std::string peer = PeerAddress(ctx->peer());
  response->set_application_dbid(backend_.FindApplication(request->application_name()));
  if (options_.auth != nullptr && !request->user_name().empty()) {
    PasswordLogin(reactor, *request, response, peer);
    return reactor;
  }
  if (options_.auth != nullptr) {
    absl::StatusOr<auth::Identity> id = Caller(ctx, "Register");
    if (!id.ok()) {
      reactor->Finish(ToGrpc(id.status()));
      return reactor;
    }
    response->set_identity(id->Who());
    response->set_administrator(id->administrator);
    *response->mutable_server() = backend_.Info();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  // Authentication off: the application, and (claimed) the OS user and host
  // that run it are what the history records.
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
    sessions_[id] = who;
  }
  response->set_session_id(id);
  response->set_identity(who);
  response->set_administrator(true);
  *response->mutable_server() = backend_.Info();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

void ConfigServiceImpl::PasswordLogin(grpc::ServerUnaryReactor* reactor,
                                      const v1::RegisterRequest& request,
                                      v1::RegisterResponse* response, const std::string& peer) {
  const std::string user = request.user_name();
  int64_t tenant = request.tenant_dbid();
  if (!request.tenant_name().empty()) {
    v1::GetRequest get;
    get.set_type(v1::OBJECT_TYPE_TENANT);
    get.set_name(request.tenant_name());
    absl::StatusOr<v1::GetResponse> t = backend_.Get(get);
    // An unknown tenant fails like a wrong password (no probing for names).
    tenant = t.ok() ? t->object().dbid() : -1;
  }
  options_.auth->Login(
      tenant, user, request.password(), peer,
      [this, reactor, response, user, peer](absl::StatusOr<auth::LoginResult> r) {
        if (!r.ok()) {
          spdlog::warn("refused login of {} from {}: {}", user, peer,
                       std::string(r.status().message()));
          reactor->Finish(ToGrpc(r.status()));
          return;
        }
        spdlog::info("login: {} from {}", r->identity.Who(), peer);
        response->set_token(r->token);
        response->mutable_token_expires()->set_seconds(absl::ToUnixSeconds(r->expires));
        response->set_identity(r->identity.Who());
        response->set_administrator(r->identity.administrator);
        *response->mutable_server() = backend_.Info();
        reactor->Finish(grpc::Status::OK);
      });
}

grpc::ServerUnaryReactor* ConfigServiceImpl::SetPassword(grpc::CallbackServerContext* ctx,
                                                         const v1::SetPasswordRequest* request,
                                                         v1::SetPasswordResponse* response) {
  auto* reactor = ctx->DefaultReactor();
  if (options_.auth == nullptr) {
    reactor->Finish(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                 "authentication is off on this server ([auth] mode = \"off\"): "
                                 "there are no passwords to set"));
    return reactor;
  }
  if (absl::Status serving = backend_.Serving(); !serving.ok()) {
    reactor->Finish(ToGrpc(serving));
    return reactor;
  }
  absl::StatusOr<auth::Identity> caller = Caller(ctx, "SetPassword");
  if (!caller.ok()) {
    reactor->Finish(ToGrpc(caller.status()));
    return reactor;
  }
  v1::GetRequest get;
  get.set_type(v1::OBJECT_TYPE_PERSON);
  const bool self = request->person_dbid() == 0 && request->user_name().empty();
  absl::StatusOr<v1::ConfigObject> person;
  if (self) {
    if (caller->kind != auth::Identity::Kind::kPerson) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                   "name the person whose password to set (an application has "
                                   "no password: it authenticates by certificate)"));
      return reactor;
    }
    get.set_dbid(caller->dbid);
  } else if (request->person_dbid() != 0) {
    get.set_dbid(request->person_dbid());
  }
  if (!get.has_dbid()) {
    // By user name: the directory knows how persons log in.
    auto found =
        auth::BackendDirectory(backend_).FindPerson(request->tenant_dbid(), request->user_name());
    if (!found.ok()) {
      reactor->Finish(ToGrpc(absl::NotFoundError(absl::StrCat(
          "no person with user name '", request->user_name(), "'",
          request->tenant_dbid() != 0 ? absl::StrCat(" in tenant ", request->tenant_dbid())
                                      : ""))));
      return reactor;
    }
    person = *found;
  } else {
    auto got = backend_.Get(get);
    if (!got.ok()) {
      reactor->Finish(ToGrpc(got.status()));
      return reactor;
    }
    person = got->object();
  }
  const bool own = caller->kind == auth::Identity::Kind::kPerson && caller->dbid == person->dbid();
  if (!own && !caller->administrator) {
    options_.auth->CountRefusal();
    spdlog::warn("refused SetPassword of person {} by {} from {}: not an administrator",
                 person->name(), caller->Who(), caller->peer);
    reactor->Finish(grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                 "only an administrator sets another person's password"));
    return reactor;
  }
  auto store = [this, reactor, response, person = *person, password = request->new_password(),
                who = caller->Who(), peer = caller->peer]() {
    options_.auth->SetPassword(
        person, password, [reactor, response, person, who, peer](absl::Status st) {
          if (st.ok()) {
            spdlog::info("password of person {} set by {} from {}", person.name(), who, peer);
            response->set_person_dbid(person.dbid());
          }
          reactor->Finish(ToGrpc(st));
        });
  };
  if (own && !caller->administrator) {
    // Your own password: prove you know the current one.
    options_.auth->Login(
        person->tenant_dbid(), caller->name, request->current_password(), caller->peer,
        [reactor, store](absl::StatusOr<auth::LoginResult> r) {
          if (!r.ok()) {
            reactor->Finish(grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                         "the current password is wrong (current_password)"));
            return;
          }
          store();
        });
    return reactor;
  }
  store();
  return reactor;
}

grpc::ServerUnaryReactor* ConfigServiceImpl::Bootstrap(grpc::CallbackServerContext* ctx,
                                                       const v1::BootstrapRequest* request,
                                                       v1::BootstrapResponse* response) {
  auto* reactor = ctx->DefaultReactor();
  const std::string peer = PeerAddress(ctx->peer());
  auto refuse = [&](grpc::StatusCode code, const std::string& why) {
    if (options_.auth != nullptr) options_.auth->CountRefusal();
    spdlog::warn("refused Bootstrap from {}: {}", peer, why);
    reactor->Finish(grpc::Status(code, why));
    return reactor;
  };
  if (options_.auth == nullptr) {
    return refuse(grpc::StatusCode::FAILED_PRECONDITION,
                  "authentication is off on this server ([auth] mode = \"off\")");
  }
  if (options_.bootstrap_file.empty()) {
    return refuse(grpc::StatusCode::FAILED_PRECONDITION,
                  "this server takes no bootstrap (a proxy, or no [auth] bootstrap_file): run it "
                  "against the master");
  }
  if (absl::Status serving = backend_.Serving(); !serving.ok()) {
    reactor->Finish(ToGrpc(serving));
    return reactor;
  }
  std::ifstream in(options_.bootstrap_file);
  std::stringstream secret;
  secret << in.rdbuf();
  const std::string expected(absl::StripAsciiWhitespace(secret.str()));
  if (!in || expected.empty()) {
    return refuse(grpc::StatusCode::FAILED_PRECONDITION,
                  absl::StrCat("no bootstrap secret in ", options_.bootstrap_file,
                               " (used already, or not written): on the master's host, "
                               "`tandemd confserv --new-bootstrap-secret -f FILE` writes one"));
  }
  if (!SameSecret(absl::StripAsciiWhitespace(request->secret()), expected)) {
    return refuse(grpc::StatusCode::PERMISSION_DENIED,
                  absl::StrCat("wrong bootstrap secret (it is in ", options_.bootstrap_file,
                               " on the master's host)"));
  }
  if (request->user_name().empty()) {
    return refuse(grpc::StatusCode::INVALID_ARGUMENT, "user_name: give the administrator's name");
  }
  if (absl::Status st = auth::CheckPasswordRules(request->password(), request->user_name(),
                                                 options_.auth->config().rules);
      !st.ok()) {
    reactor->Finish(ToGrpc(st));
    return reactor;
  }
  absl::StatusOr<std::string> hash =
      auth::HashPassword(request->password(), options_.auth->config().argon2);
  if (!hash.ok()) {
    reactor->Finish(ToGrpc(hash.status()));
    return reactor;
  }
  // The person (created or updated) and the Administrators group that
  // contains it, in one transaction.
  std::vector<v1::Operation> ops;
  auto existing = auth::BackendDirectory(backend_).FindPerson(0, request->user_name());
  v1::ConfigObject person;
  if (existing.ok()) {
    person = *existing;
    const int64_t expected_revision = person.revision();
    person.set_revision(0);
    person.set_enabled(true);
    (*person.mutable_properties())["password_hash"].set_string_value(*hash);
    (*person.mutable_properties())["tokens_after"].set_int_value(absl::ToUnixMillis(absl::Now()));
    v1::Operation op;
    *op.mutable_update()->mutable_object() = person;
    op.mutable_update()->set_expected_revision(expected_revision);
    ops.push_back(std::move(op));
  } else {
    person.set_type(v1::OBJECT_TYPE_PERSON);
    person.set_name(request->user_name());
    person.set_enabled(true);
    (*person.mutable_properties())["user_name"].set_string_value(request->user_name());
    (*person.mutable_properties())["password_hash"].set_string_value(*hash);
    v1::Operation op;
    *op.mutable_create()->mutable_object() = person;
    ops.push_back(std::move(op));
  }
  v1::GetRequest get_group;
  get_group.set_type(v1::OBJECT_TYPE_ACCESS_GROUP);
  get_group.set_name(auth::kAdministrators);
  auto group = backend_.Get(get_group);
  v1::Value member;
  member.mutable_ref_value()->set_type(v1::OBJECT_TYPE_PERSON);
  if (existing.ok()) {
    member.mutable_ref_value()->set_dbid(existing->dbid());
  } else {
    member.mutable_ref_value()->set_name(request->user_name());
  }
  if (group.ok()) {
    v1::ConfigObject g = group->object();
    bool present = false;
    for (const v1::Value& m : g.properties().contains("members")
                                  ? g.properties().at("members").list_value().values()
                                  : google::protobuf::RepeatedPtrField<v1::Value>()) {
      present = present || (existing.ok() && m.ref_value().dbid() == existing->dbid());
    }
    if (!present || !g.enabled()) {
      const int64_t expected_revision = g.revision();
      g.set_revision(0);
      g.set_enabled(true);
      if (!present) {
        *(*g.mutable_properties())["members"].mutable_list_value()->add_values() = member;
      }
      v1::Operation op;
      *op.mutable_update()->mutable_object() = std::move(g);
      op.mutable_update()->set_expected_revision(expected_revision);
      ops.push_back(std::move(op));
    }
  } else {
    v1::ConfigObject g;
    g.set_type(v1::OBJECT_TYPE_ACCESS_GROUP);
    g.set_name(auth::kAdministrators);
    g.set_enabled(true);
    (*g.mutable_properties())["description"].set_string_value(
        "Tandem administrators (may do everything)");
    *(*g.mutable_properties())["members"].mutable_list_value()->add_values() = member;
    v1::Operation op;
    *op.mutable_create()->mutable_object() = std::move(g);
    ops.push_back(std::move(op));
  }
  config::WriteRequest write;
  write.operations = std::move(ops);
  write.who = absl::StrCat("bootstrap of administrator ", request->user_name(), " from ", peer);
  write.server_made = true;
  const std::string file = options_.bootstrap_file, user = request->user_name();
  write.done = [reactor, response, file, user, peer](absl::StatusOr<config::WriteResult> r) {
    if (!r.ok()) {
      reactor->Finish(ToGrpc(r.status()));
      return;
    }
    // Used once: the file goes; a new one is written for the next recovery.
    std::remove(file.c_str());
    spdlog::warn("bootstrap: {} is an administrator now (from {}); {} was removed", user, peer,
                 file);
    response->set_person_dbid(r->objects.empty() ? 0 : r->objects[0].dbid());
    response->set_revision(r->last_revision);
    reactor->Finish(grpc::Status::OK);
  };
  backend_.Write(std::move(write));
  return reactor;
}

}  // namespace tandem::net
