#include "console/console_server.h"

#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <regex>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/at_once.h"
#include "common/host_port.h"
#include "common/listen_check.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "common/tcp_probe.h"
#include "config/object_json.h"
#include "config/object_types.h"
#include "console/console_assets.h"
#include "dr/servers.h"
#include "httplib.h"
#include "net/channel.h"
#include "net/scs_service.h"
#include "net/status_convert.h"
#include "spdlog/spdlog.h"
#include "tandem/client/log_client.h"
#include "tandem/msg/v1/log.grpc.pb.h"

namespace tandem::console {
namespace {

namespace v1 = config::v1;
using nlohmann::json;

constexpr char kCookie[] = "tandem_session";
constexpr char kSameOriginHeader[] = "X-Tandem-Console";
//! A page whose live stream falls this many messages behind is told to
//! reload instead (the console never buffers without bound).
constexpr size_t kMaxQueuedMessages = 10000;
//! An idle stream sends a comment this often (finds closed pages).
constexpr absl::Duration kKeepAlive = absl::Seconds(15);
// A Regions stream says at least this often how fresh its picture is.
constexpr absl::Duration kRegionsAlive = absl::Seconds(2);
// Sessions whose Regions picture is kept fresh at once.
constexpr size_t kMaxSiteMonitors = 32;
//! History scanned for one object's changes (the API has no per-object
//! filter): pages of 10,000.
constexpr int kMaxHistoryPages = 50;

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(config::DumpJson(body), "application/json; charset=utf-8");
}

void SendError(httplib::Response& res, int status, const std::string& message,
               json extra = json::object()) {
  extra["error"] = message;
  SendJson(res, status, extra);
}

int HttpStatusOf(const absl::Status& st) {
  switch (st.code()) {
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 502;
  }
}

//! The object field a validation message names ("properties.port: must be
//! an integer" -> "properties.port"), or "" if it names none.
std::string FieldOf(absl::string_view message) {
  static const std::regex kField(
      R"(^(name|enabled|folder_dbid|tenant_dbid|(properties|options|annex)\.[A-Za-z0-9_\-]+)([.\[][^ ]*)?$)");
  for (absl::string_view part : absl::StrSplit(message, ": ")) {
    const std::string p(absl::StripAsciiWhitespace(part));
    std::smatch m;
    if (std::regex_match(p, m, kField)) return m[1].str();
  }
  return "";
}

std::optional<std::string> CookieValue(const httplib::Request& req, absl::string_view name) {
  const std::string header = req.get_header_value("Cookie");
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, name) && absl::ConsumePrefix(&part, "=")) {
      return std::string(part);
    }
  }
  return std::nullopt;
}

absl::StatusOr<json> BodyJson(const httplib::Request& req) {
  if (req.body.empty()) return absl::InvalidArgumentError("the request has no JSON body");
  absl::StatusOr<json> body = config::ParseJson(req.body);
  if (!body.ok()) return body.status();
  if (!body->is_object()) return absl::InvalidArgumentError("the body must be a JSON object");
  return body;
}

absl::StatusOr<v1::ObjectType> TypeOf(const std::string& text) { return config::ParseType(text); }

// /api/objects/TYPE/DBID: false after answering 400 for a bad type or DBID.
bool ObjectAddress(const httplib::Request& req, httplib::Response& res,
                   const absl::StatusOr<v1::ObjectType>& type, int64_t* dbid) {
  if (!type.ok()) {
    SendError(res, 400, std::string(type.status().message()));
    return false;
  }
  if (!absl::SimpleAtoi(std::string(req.matches[2]), dbid)) {
    SendError(res, 400, "the DBID must be a whole number");
    return false;
  }
  return true;
}

int64_t Int64Param(const httplib::Request& req, const char* name, bool* ok) {
  if (!req.has_param(name)) return 0;
  int64_t v = 0;
  if (!absl::SimpleAtoi(req.get_param_value(name), &v) || v < 0) *ok = false;
  return v;
}

// One call through the pool with the person's token: its answer, or why not.
template <typename Response, typename Fn>
absl::StatusOr<Response> CallPool(ServerPool& pool, const std::string& token, Fn fn) {
  Response out;
  absl::Status st = pool.Call(token, [&](config::ConfigClient& client) {
    absl::StatusOr<Response> r = fn(client);
    if (r.ok()) out = *std::move(r);
    return r.status();
  });
  if (!st.ok()) return st;
  return out;
}

// An exception must not leave a content provider (httplib does not catch
// it there: the process would end): the stream ends instead, and the page
// reconnects.
template <typename Fn>
auto Guarded(Fn fn) {
  return [fn = std::move(fn)](size_t offset, httplib::DataSink& sink) mutable -> bool {
    try {
      return fn(offset, sink);
    } catch (const std::exception& e) {
      spdlog::error("console: an event stream failed: {}", e.what());
      return false;
    }
  };
}

std::string StreamMessage(const std::string& event, const json& data, int64_t id = -1) {
  std::string out;
  if (id >= 0) absl::StrAppend(&out, "id: ", id, "\n");
  absl::StrAppend(&out, "event: ", event, "\ndata: ", config::DumpJson(data), "\n\n");
  return out;
}

//! One page's live stream: a watch at a server, on a thread of its own,
//! feeding the HTTP response.
struct LiveStream {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> queue;  // SSE messages, ready to send
  bool ended = false;             // the watch ended; its last message is queued
  std::atomic<bool> stop{false};
  //! Joined by the response's releaser, which httplib always calls.
  std::thread watcher;
  bool started = false;
  void End() {
    stop = true;
    if (watcher.joinable()) watcher.join();
  }
};

}  // namespace

ConsoleServer::ConsoleServer(const ConsoleConfig& config, const Clock& clock)
    : config_(config),
      clock_(clock),
      sessions_(clock, config.session_idle, config.max_sessions),
      pool_(config.servers, config.tls, config.call_timeout) {}

ConsoleServer::~ConsoleServer() { Stop(); }

void ConsoleServer::Stop() {
  stopping_ = true;
  if (http_ != nullptr) http_->stop();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<std::unique_ptr<ConsoleServer>> ConsoleServer::Start(const ConsoleConfig& config,
                                                                    const Clock& clock) {
  TANDEM_ASSIGN_OR_RETURN(HostPort hp, ParseHostPort(config.listen, "[server] listen", true));
  TANDEM_RETURN_IF_ERROR(CheckListenAddress(config.listen, "[server] listen"));
  std::unique_ptr<ConsoleServer> s(new ConsoleServer(config, clock));
  if (!config.site.empty()) {
    absl::StatusOr<dr::Site> site = dr::LoadSite(config.site);
    if (!site.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("[console] site: ", site.status().message(),
                       " (the Regions page needs the site file of `tandemctl dr`; leave site out "
                       "to run without it)"));
    }
    // The console's own trust (CA, no client certificate): the servers tell
    // each person what that person's token may see.
    site->tls = TlsFiles{};
    site->tls.ca = config.tls.ca;
    site->tls_given = true;
    s->site_ = std::move(*site);
  }
  s->log_servers_ = config.log_servers;
  if (s->log_servers_.empty() && s->site_) {
    for (const dr::Region& r : s->site_->regions) {
      s->log_servers_.insert(s->log_servers_.end(), r.message_servers.begin(),
                             r.message_servers.end());
    }
  }
  {
    // One channel per Log Message Server, kept: a page asks every second.
    net::ChannelOptions co;
    co.tls.ca = config.tls.ca;  // no client certificate: the person's token decides
    for (const std::string& a : s->log_servers_) {
      s->log_channels_.push_back(net::MakeChannel(a, co));
    }
  }
  s->scs_ = config.scs;
  if (s->scs_.empty() && s->site_) {
    for (const dr::Region& r : s->site_->regions) {
      s->scs_.insert(s->scs_.end(), r.scs.begin(), r.scs.end());
    }
  }
  s->http_ = std::make_unique<httplib::SSLServer>(config.tls.cert.c_str(), config.tls.key.c_str());
  if (!s->http_->is_valid()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot use [tls] cert '", config.tls.cert, "' and key '", config.tls.key,
                     "' for HTTPS: check that both are readable PEM files of one key pair"));
  }
  httplib::SSLServer& http = *s->http_;
  const int threads = config.max_connections;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_read_timeout(30, 0);
  http.set_write_timeout(10, 0);
  http.set_payload_max_length(4 << 20);
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  s->Routes();
  metrics::Registry& registry = metrics::Registry::Default();
  ConsoleServer* self = s.get();
  s->collector_ = registry.AddCollector([self](metrics::SampleWriter& w) {
    w.Gauge("tandem_console_sessions", "Browser sessions logged in", {},
            static_cast<double>(self->sessions_.size()));
    w.Gauge("tandem_console_event_streams", "Live update streams open (one per open page)", {},
            static_cast<double>(self->streams_.load()));
    int64_t monitors = 0;
    {
      absl::MutexLock lock(&self->monitors_mu_);
      for (const auto& [token, m] : self->monitors_) monitors += m.expired() ? 0 : 1;
    }
    w.Gauge("tandem_console_region_monitors",
            "Regions pictures kept fresh (one per person's session watching the page)", {},
            static_cast<double>(monitors));
  });
  const int port = hp.port == 0 ? http.bind_to_any_port(hp.host) : hp.port;
  if (port <= 0 || (hp.port != 0 && !http.bind_to_port(hp.host, hp.port))) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", config.listen,
                     ": the address is in use or not of this host (check [server] listen)"));
  }
  s->port_ = port;
  s->thread_ = std::thread([&http] { http.listen_after_bind(); });
  return s;
}

void ConsoleServer::Routes() {
  httplib::SSLServer& http = *http_;
  metrics::Family<metrics::Counter>& requests = metrics::Registry::Default().Counter(
      "tandem_console_http_requests_total", "HTTP requests answered, by status code", {"code"});
  http.set_post_routing_handler([&requests](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' "
                   "data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                   "form-action 'self'");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Strict-Transport-Security", "max-age=31536000");
    requests.With({std::to_string(res.status)})->Increment();
  });
  for (const Asset& asset : Assets()) {
    const std::string path = asset.path == "/index.html" ? "/" : std::string(asset.path);
    http.Get(path, [&asset](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "no-cache");
      res.set_content(std::string(asset.content), std::string(asset.content_type));
    });
  }
  using Handler = void (ConsoleServer::*)(const httplib::Request&, httplib::Response&);
  const auto bind = [this](Handler h) {
    return [this, h](const httplib::Request& req, httplib::Response& res) { (this->*h)(req, res); };
  };
  http.Post("/api/login", bind(&ConsoleServer::Login));
  http.Post("/api/logout", bind(&ConsoleServer::Logout));
  http.Get("/api/session", bind(&ConsoleServer::SessionInfo));
  http.Get("/api/status", bind(&ConsoleServer::Status));
  http.Get("/api/objects", bind(&ConsoleServer::ListObjects));
  http.Get(R"(/api/objects/([A-Za-z_]+)/([0-9]+))", bind(&ConsoleServer::GetObject));
  http.Get(R"(/api/objects/([A-Za-z_]+)/([0-9]+)/history)", bind(&ConsoleServer::ObjectHistory));
  http.Post(R"(/api/objects/([A-Za-z_]+))", bind(&ConsoleServer::CreateObject));
  http.Put(R"(/api/objects/([A-Za-z_]+)/([0-9]+))", bind(&ConsoleServer::UpdateObject));
  http.Delete(R"(/api/objects/([A-Za-z_]+)/([0-9]+))", bind(&ConsoleServer::DeleteObject));
  http.Get("/api/events", bind(&ConsoleServer::Events));
  http.Get("/api/regions/events", bind(&ConsoleServer::RegionEvents));
  http.Get("/api/regions/history", bind(&ConsoleServer::RegionHistory));
  http.Get("/api/apps", bind(&ConsoleServer::Applications));
  http.Get("/api/apps/events", bind(&ConsoleServer::ApplicationEvents));
  http.Post("/api/apps/control", bind(&ConsoleServer::ControlApplication));
  http.Get("/api/alarms/events", bind(&ConsoleServer::AlarmEvents));
  http.Post("/api/alarms/clear", bind(&ConsoleServer::ClearAlarm));
  http.Get("/api/logs/events", bind(&ConsoleServer::LogEvents));
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404 && res.body.empty()) {
      if (absl::StartsWith(req.path, "/api/")) {
        SendError(res, 404, absl::StrCat("no such API call: ", req.method, " ", req.path));
        res.status = 404;
      } else {
        res.set_content(absl::StrCat(req.path, " is not served here: the console is at /\n"),
                        "text/plain; charset=utf-8");
      }
    }
  });
  http.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("console: {} {} failed: {}", req.method, req.path, what);
        SendError(res, 500, "the console failed on this request (its log says why)");
      });
}

std::optional<Session> ConsoleServer::Authenticated(const httplib::Request& req,
                                                    httplib::Response& res) {
  std::optional<std::string> id = CookieValue(req, kCookie);
  std::optional<Session> session = id ? sessions_.Find(*id) : std::nullopt;
  if (!session) {
    SendError(res, 401, id ? "your session has ended: log in again" : "not logged in: log in first",
              {{"relogin", true}});
  }
  return session;
}

bool ConsoleServer::SameOrigin(const httplib::Request& req, httplib::Response& res) {
  if (req.get_header_value(kSameOriginHeader) == "1") return true;
  SendError(res, 403,
            absl::StrCat("refused: changes must come from the console's own page (header ",
                         kSameOriginHeader, " missing)"));
  return false;
}

void ConsoleServer::Fail(const Session& session, const absl::Status& status,
                         httplib::Response& res) {
  const int code = HttpStatusOf(status);
  json extra = json::object();
  if (code == 401) {
    sessions_.Remove(session.id);
    extra["relogin"] = true;
  }
  if (code == 400 || code == 404 || code == 409) {
    const std::string field = FieldOf(status.message());
    if (!field.empty()) extra["field"] = field;
  }
  SendError(res, code, std::string(status.message()), std::move(extra));
}

void ConsoleServer::Login(const httplib::Request& req, httplib::Response& res) {
  if (!SameOrigin(req, res)) return;
  absl::StatusOr<json> body = BodyJson(req);
  if (!body.ok()) return SendError(res, 400, std::string(body.status().message()));
  const auto text = [&](const char* key) -> std::string {
    auto it = body->find(key);
    return it != body->end() && it->is_string() ? it->get<std::string>() : "";
  };
  v1::RegisterRequest credentials;
  credentials.set_user_name(text("user"));
  credentials.set_password(text("password"));
  const std::string tenant = text("tenant");
  int64_t tenant_dbid = 0;
  if (absl::SimpleAtoi(tenant, &tenant_dbid)) {
    credentials.set_tenant_dbid(tenant_dbid);
  } else if (!tenant.empty()) {
    credentials.set_tenant_name(tenant);
  }
  if (credentials.user_name().empty() || credentials.password().empty()) {
    return SendError(res, 400, "give your user name and password");
  }
  credentials.set_client_version(absl::StrCat("tandem-console/", TANDEM_VERSION));
  credentials.set_os_host(req.remote_addr);
  v1::RegisterResponse reg;
  std::string server;
  absl::Status st = pool_.Call(
      "",
      [&](config::ConfigClient& client) {
        absl::StatusOr<v1::RegisterResponse> r = client.Login(credentials);
        if (!r.ok()) return r.status();
        reg = *r;
        return absl::OkStatus();
      },
      &server);
  if (!st.ok()) {
    const int code = HttpStatusOf(st);
    spdlog::info("console: login of '{}' from {} refused: {}", credentials.user_name(),
                 req.remote_addr, std::string(st.message()));
    return SendError(res, code == 403 ? 401 : code, std::string(st.message()));
  }
  if (reg.token().empty()) {
    return SendError(res, 502,
                     absl::StrCat("server ", server,
                                  " gave no session token: is its [auth] mode \"off\"? The "
                                  "console needs authentication on"));
  }
  Session s;
  s.token = reg.token();
  s.identity = reg.identity();
  s.administrator = reg.administrator();
  if (reg.has_token_expires()) {
    s.token_expires = absl::FromUnixSeconds(reg.token_expires().seconds());
  }
  s = sessions_.Create(std::move(s));
  spdlog::info("console: {} logged in from {} (at {})", s.identity, req.remote_addr, server);
  res.set_header("Set-Cookie",
                 absl::StrCat(kCookie, "=", s.id, "; Path=/; HttpOnly; Secure; SameSite=Strict"));
  SendJson(res, 200,
           {{"identity", s.identity},
            {"administrator", s.administrator},
            {"expires", config::FormatRfc3339(s.token_expires)},
            {"server", server},
            {"regions", site_.has_value()},
            {"applications", !scs_.empty()},
            {"alarms", !log_servers_.empty()}});
}

void ConsoleServer::Logout(const httplib::Request& req, httplib::Response& res) {
  if (!SameOrigin(req, res)) return;
  if (std::optional<std::string> id = CookieValue(req, kCookie)) sessions_.Remove(*id);
  res.set_header("Set-Cookie",
                 absl::StrCat(kCookie, "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"));
  SendJson(res, 200, {{"ok", true}});
}

void ConsoleServer::SessionInfo(const httplib::Request& req, httplib::Response& res) {
  std::optional<Session> s = Authenticated(req, res);
  if (!s) return;
  SendJson(res, 200,
           {{"identity", s->identity},
            {"administrator", s->administrator},
            {"expires", config::FormatRfc3339(s->token_expires)},
            {"regions", site_.has_value()},
            {"applications", !scs_.empty()},
            {"alarms", !log_servers_.empty()}});
}

void ConsoleServer::Status(const httplib::Request& req, httplib::Response& res) {
  std::optional<Session> s = Authenticated(req, res);
  if (!s) return;
  v1::ServerInfo info;
  std::string server;
  absl::Status st = pool_.Call(
      s->token,
      [&](config::ConfigClient& client) {
        absl::StatusOr<v1::ServerInfo> r = client.GetServerInfo();
        if (!r.ok()) return r.status();
        info = *r;
        return absl::OkStatus();
      },
      &server);
  json servers = json::array();
  for (const ServerPool::ServerState& state : pool_.States()) {
    servers.push_back({{"address", state.address},
                       {"reachable", state.reachable},
                       {"error", state.error},
                       {"since", config::FormatRfc3339(state.since)}});
  }
  json out = {{"servers", servers}};
  if (st.ok()) {
    out["server"] = server;
    out["role"] = absl::AsciiStrToLower(absl::StripPrefix(v1::Role_Name(info.role()), "ROLE_"));
    out["revision"] = info.revision();
    out["node"] = info.node();
    out["version"] = info.version();
  } else {
    out["error"] = std::string(st.message());
  }
  SendJson(res, st.ok() ? 200 : HttpStatusOf(st), out);
}

void ConsoleServer::ListObjects(const httplib::Request& req, httplib::Response& res) {
  std::optional<Session> s = Authenticated(req, res);
  if (!s) return;
  std::vector<v1::ObjectType> types;
  if (req.has_param("type") && !req.get_param_value("type").empty()) {
    absl::StatusOr<v1::ObjectType> type = TypeOf(req.get_param_value("type"));
    if (!type.ok()) return SendError(res, 400, std::string(type.status().message()));
    types.push_back(*type);
  } else {
    types = config::AllTypes();
  }
  bool ok = true;
  v1::ListRequest request;
  request.set_folder_dbid(Int64Param(req, "folder", &ok));
  request.set_tenant_dbid(Int64Param(req, "tenant", &ok));
  if (!ok) return SendError(res, 400, "folder and tenant must be DBIDs (whole numbers)");
  if (req.has_param("name")) request.set_name_pattern(req.get_param_value("name"));
  json objects = json::array();
  int64_t revision = 0;
  for (v1::ObjectType type : types) {
    request.set_type(type);
    absl::Status st = pool_.Call(s->token, [&](config::ConfigClient& client) {
      json these = json::array();
      absl::Status listed = client.List(request, [&](const v1::ListResponse& chunk) {
        for (const v1::ConfigObject& o : chunk.objects()) these.push_back(config::ObjectToJson(o));
        if (chunk.revision() > 0) revision = std::max(revision, chunk.revision());
        return absl::OkStatus();
      });
      if (listed.ok()) {
        for (json& o : these) objects.push_back(std::move(o));
      }
      return listed;
    });
    if (!st.ok()) return Fail(*s, st, res);
  }
  SendJson(res, 200, {{"revision", revision}, {"objects", std::move(objects)}});
}

void ConsoleServer::GetObject(const httplib::Request& req, httplib::Response& res) {
  std::optional<Session> s = Authenticated(req, res);
  if (!s) return;
  absl::StatusOr<v1::ObjectType> type = TypeOf(req.matches[1]);
  int64_t dbid = 0;
  if (!ObjectAddress(req, res, type, &dbid)) return;
  v1::GetRequest request;
  request.set_type(*type);
  request.set_dbid(dbid);
  absl::StatusOr<v1::GetResponse> got = CallPool<v1::GetResponse>(
      pool_, s->token, [&](config::ConfigClient& c) { return c.Get(request); });
  if (!got.ok()) return Fail(*s, got.status(), res);
  SendJson(res, 200,
           {{"revision", got->revision()}, {"object", config::ObjectToJson(got->object())}});
}

void ConsoleServer::CreateObject(const httplib::Request& req, httplib::Response& res) {
  if (!SameOrigin(req, res)) return;
  std::optional<Session> s = Authenticated(req, res);
  if (!s) return;
  absl::StatusOr<v1::ObjectType> type = TypeOf(req.matches[1]);
  if (!type.ok()) return SendError(res, 400, std::string(type.status().message()));
  absl::StatusOr<json> body = BodyJson(req);
  if (!body.ok()) return SendError(res, 400, std::string(body.status().message()));
  absl::StatusOr<v1::ConfigObject> object =
      config::ObjectFromJson(body->value("object", json::object()), *type);
  if (!object.ok()) return Fail(*s, object.status(), res);
  v1::CreateRequest request;
  *request.mutable_object() = *object;
  absl::StatusOr<v1::CreateResponse> made = CallPool<v1::CreateResponse>(
      pool_, s->token, [&](config::ConfigClient& c) { return c.Create(request); });
  if (!made.ok()) return Fail(*s, made.status(), res);
  SendJson(res, 201,
           {{"revision", made->revision()}, {"object", config::ObjectToJson(made->object())}});
}

void ConsoleServer::UpdateObject(const httplib::Request& req, httplib::Response& res) {
  if (!SameOrigin(req, res)) return;
  std::optional<Session> s = Authenticated(req, res);
  if (!s) return;
  absl::StatusOr<v1::ObjectType> type = TypeOf(req.matches[1]);
  int64_t dbid = 0;
  if (!ObjectAddress(req, res, type, &dbid)) return;
  absl::StatusOr<json> body = BodyJson(req);
  if (!body.ok()) return SendError(res, 400, std::string(body.status().message()));
  const json expected = body->value("expected_revision", json());
  if (!expected.is_number_integer() || expected.get<int64_t>() <= 0) {
    return SendError(res, 400,
                     "expected_revision is required: the revision of the object you edited "
                     "(so that a newer change is not overwritten)");
  }
  absl::StatusOr<v1::ConfigObject> object =
      config::ObjectFromJson(body->value("object", json::object()), *type);
  if (!object.ok()) return Fail(*s, object.status(), res);
  if (object->dbid() != 0 && object->dbid() != dbid) {
    return SendError(res, 400, "object.dbid differs from the DBID in the address");
  }
  object->set_dbid(dbid);
  v1::UpdateRequest request;
  *request.mutable_object() = *object;
  request.set_expected_revision(expected.get<int64_t>());
  absl::StatusOr<v1::UpdateResponse> updated = CallPool<v1::UpdateResponse>(
      pool_, s->token, [&](config::ConfigClient& c) { return c.Update(request); });
  if (absl::IsAborted(updated.status())) {
    // Stale: show the user the version that is there now.
    v1::GetRequest get;
    get.set_type(*type);
    get.set_dbid(dbid);
    json extra = {{"stale", true}};
    absl::StatusOr<v1::GetResponse> current = CallPool<v1::GetResponse>(
        pool_, s->token, [&](config::ConfigClient& c) { return c.Get(get); });
    // Without it the refusal still stands; the page says to reload.
    if (current.ok()) {
      extra["current"] = {{"revision", current->revision()},
                          {"object", config::ObjectToJson(current->object())}};
    }
    return SendError(res, 409, std::string(updated.status().message()), std::move(extra));
  }
  if (!updated.ok()) return Fail(*s, updated.status(), res);
  SendJson(
      res, 200,
      {{"revision", updated->revision()}, {"object", config::ObjectToJson(updated->object())}});
}

void ConsoleServer::DeleteObject(const httplib::Request& req, httplib::Response& res) {
  if (!SameOrigin(req, res)) return;
  std::optional<Session> s = Authenticated(req, res);
  if (!s) return;
  absl::StatusOr<v1::ObjectType> type = TypeOf(req.matches[1]);
  if (!type.ok()) return SendError(res, 400, std::string(type.status().message()));
  int64_t dbid = 0;
  bool ok = absl::SimpleAtoi(std::string(req.matches[2]), &dbid);
  const int64_t expected = Int64Param(req, "expected_revision", &ok);
  if (!ok || expected <= 0) {
    return SendError(res, 400, "expected_revision is required: the revision of the object you saw");
  }
  v1::DeleteRequest request;
  request.set_type(*type);
  request.set_dbid(dbid);
  request.set_expected_revision(expected);
  absl::StatusOr<v1::DeleteResponse> deleted = CallPool<v1::DeleteResponse>(
      pool_, s->token, [&](config::ConfigClient& c) { return c.Delete(request); });
  if (!deleted.ok()) return Fail(*s, deleted.status(), res);
  SendJson(res, 200, {{"revision", deleted->revision()}});
}

void ConsoleServer::ObjectHistory(const httplib::Request& req, httplib::Response& res) {
  std::optional<Session> s = Authenticated(req, res);
  if (!s) return;
  absl::StatusOr<v1::ObjectType> type = TypeOf(req.matches[1]);
  int64_t dbid = 0;
  if (!ObjectAddress(req, res, type, &dbid)) return;
  json changes = json::array();
  bool truncated = false;
  absl::Status st = pool_.Call(s->token, [&](config::ConfigClient& client) {
    changes = json::array();
    int64_t since = 0;
    for (int page = 0; page < kMaxHistoryPages; ++page) {
      v1::HistoryRequest request;
      request.set_since_revision(since);
      request.set_limit(10000);
      absl::StatusOr<v1::HistoryResponse> r = client.History(request);
      if (!r.ok()) return r.status();
      for (const v1::Change& c : r->changes()) {
        if (c.type() == *type && c.dbid() == dbid) changes.push_back(config::ChangeToJson(c));
        since = c.revision();
      }
      if (!r->more() || r->changes().empty()) return absl::OkStatus();
    }
    truncated = true;
    return absl::OkStatus();
  });
  if (!st.ok()) return Fail(*s, st, res);
  SendJson(res, 200, {{"changes", std::move(changes)}, {"truncated", truncated}});
}

void ConsoleServer::Events(const httplib::Request& req, httplib::Response& res) {
  std::optional<Session> s = Authenticated(req, res);
  if (!s) return;
  bool ok = true;
  int64_t since = Int64Param(req, "since", &ok);
  if (req.has_header("Last-Event-ID")) {
    ok = absl::SimpleAtoi(req.get_header_value("Last-Event-ID"), &since) && since >= 0;
  }
  if (!ok) return SendError(res, 400, "since (or Last-Event-ID) must be a revision number");
  auto stream = std::make_shared<LiveStream>();
  const std::string token = s->token;
  const std::string session_id = s->id;
  res.set_header("Cache-Control", "no-store");
  res.set_chunked_content_provider(
      "text/event-stream",
      Guarded([this, stream, token, session_id, since](size_t, httplib::DataSink& sink) {
        if (!stream->started) {
          stream->started = true;
          ++streams_;
          const size_t index = pool_.current();
          std::string hello = absl::StrCat("retry: 1000\n\n");
          hello +=
              StreamMessage("hello", {{"server", pool_.States()[index].address}, {"since", since}});
          if (!sink.write(hello.data(), hello.size())) return false;
          LiveStream* live = stream.get();  // outlives the thread: End() joins it
          stream->watcher = std::thread([this, live, token, index, since] {
            LiveStream* stream = live;
            config::ConfigClientPtr client = pool_.ClientAt(index, token);
            v1::WatchRequest request;
            request.set_from_revision(since);
            const std::string server = pool_.States()[index].address;
            absl::Status st = client->Watch(
                request,
                [&](const v1::WatchResponse& r) {
                  std::string message;
                  if (r.changes().empty()) {
                    message = StreamMessage("revision", {{"revision", r.revision()}}, r.revision());
                  } else {
                    json changes = json::array();
                    for (const v1::Change& c : r.changes()) {
                      changes.push_back(config::ChangeToJson(c));
                    }
                    message = StreamMessage(
                        "changes", {{"revision", r.revision()}, {"changes", std::move(changes)}},
                        r.revision());
                  }
                  std::lock_guard<std::mutex> lock(stream->mu);
                  if (stream->queue.size() >= kMaxQueuedMessages) {
                    stream->stop = true;  // the page is too slow: it reloads instead
                    return;
                  }
                  stream->queue.push_back(std::move(message));
                  stream->cv.notify_one();
                },
                stream->stop);
            pool_.Record(index, st);
            std::string last;
            if (stream->stop.load() && st.ok()) {
              last = StreamMessage("resync", {{"error", "the page fell behind: reloading"}});
            } else if (st.ok()) {
              last = StreamMessage("end", {{"server", server}});
            } else {
              const int code = HttpStatusOf(st);
              last = StreamMessage(code == 400 ? "resync" : "status",
                                   {{"server", server},
                                    {"code", code},
                                    {"relogin", code == 401},
                                    {"error", std::string(st.message())}});
            }
            std::lock_guard<std::mutex> lock(stream->mu);
            stream->queue.push_back(std::move(last));
            stream->ended = true;
            stream->cv.notify_one();
          });
          return true;
        }
        std::deque<std::string> ready;
        bool ended = false;
        {
          std::unique_lock<std::mutex> lock(stream->mu);
          const auto deadline =
              std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(kKeepAlive);
          while (stream->queue.empty() && !stream->ended && !stopping_.load() &&
                 std::chrono::steady_clock::now() < deadline) {
            stream->cv.wait_for(lock, std::chrono::milliseconds(250));
          }
          ready.swap(stream->queue);
          ended = stream->ended;
        }
        if (stopping_.load()) return false;
        if (ready.empty() && !ended) ready.push_back(": keep-alive\n\n");
        for (const std::string& m : ready) {
          if (!sink.write(m.data(), m.size())) {
            stream->stop = true;
            return false;
          }
        }
        if (ended) sink.done();
        return true;
      }),
      [this, stream](bool) {
        stream->End();
        if (stream->started) --streams_;
      });
}

std::shared_ptr<SiteMonitor> ConsoleServer::MonitorFor(const std::string& token) {
  absl::MutexLock lock(&monitors_mu_);
  for (auto it = monitors_.begin(); it != monitors_.end();) {
    it = it->second.expired() ? monitors_.erase(it) : std::next(it);
  }
  if (auto it = monitors_.find(token); it != monitors_.end()) {
    if (std::shared_ptr<SiteMonitor> m = it->second.lock()) return m;
  }
  if (monitors_.size() >= kMaxSiteMonitors) return nullptr;
  dr::Site site = *site_;
  site.token = token;
  auto monitor = std::make_shared<SiteMonitor>(SiteMonitor::Real(site, config_.journal), clock_,
                                               config_.regions_refresh);
  monitors_[token] = monitor;
  return monitor;
}

void ConsoleServer::RegionHistory(const httplib::Request& req, httplib::Response& res) {
  std::optional<Session> s = Authenticated(req, res);
  if (!s) return;
  if (!site_) return SendError(res, 404, "the Regions page is not configured ([console] site)");
  // The samples of this person's open Regions page (none when it is closed:
  // the picture is kept only while someone of this session watches it).
  std::shared_ptr<SiteMonitor> monitor;
  {
    absl::MutexLock lock(&monitors_mu_);
    if (auto it = monitors_.find(s->token); it != monitors_.end()) monitor = it->second.lock();
  }
  if (monitor == nullptr) {
    return SendJson(
        res, 200,
        {{"every_s", absl::ToInt64Seconds(SiteMonitor::kSampleEvery)}, {"samples", json::array()}});
  }
  SendJson(res, 200, monitor->History());
}

void ConsoleServer::RegionEvents(const httplib::Request& req, httplib::Response& res) {
  std::optional<Session> s = Authenticated(req, res);
  if (!s) return;
  if (!site_) {
    return SendError(res, 404,
                     "the Regions page is not configured: give the console the site file of "
                     "`tandemctl dr` ([console] site in its bootstrap file)");
  }
  std::shared_ptr<SiteMonitor> monitor = MonitorFor(s->token);
  if (monitor == nullptr) {
    return SendError(res, 503,
                     absl::StrCat("the Regions page is open in ", kMaxSiteMonitors,
                                  " sessions already (each costs probes of every server): close "
                                  "one, or use `tandemctl dr status`"));
  }
  struct RegionStream {
    std::shared_ptr<SiteMonitor> monitor;
    int64_t generation = 0;
    absl::Time at = absl::UnixEpoch();
    bool started = false;
  };
  auto stream = std::make_shared<RegionStream>();
  stream->monitor = std::move(monitor);
  res.set_header("Cache-Control", "no-store");
  res.set_chunked_content_provider(
      "text/event-stream",
      Guarded([this, stream, session_id = s->id](size_t, httplib::DataSink& sink) {
        std::string out;
        if (!stream->started) {
          stream->started = true;
          ++streams_;
          out = "retry: 1000\n\n";
        }
        const SiteMonitor::Snapshot snap =
            stream->monitor->Next(stream->generation, kRegionsAlive, stopping_);
        if (stopping_.load()) return false;
        if (!sessions_.Find(session_id)) {
          out += StreamMessage("status", {{"code", 401},
                                          {"relogin", true},
                                          {"error", "your session has ended: log in again"}});
          sink.write(out.data(), out.size());
          sink.done();
          return true;
        }
        if (snap.generation > stream->generation) {
          stream->generation = snap.generation;
          stream->at = snap.at;
          out += StreamMessage("regions", {{"generation", snap.generation},
                                           {"at_ms", absl::ToUnixMillis(snap.at)},
                                           {"view", snap.view}});
        } else if (snap.generation > 0 && snap.at != stream->at) {
          // Nothing changed, but it was asked again: the page shows how fresh it is.
          stream->at = snap.at;
          out += StreamMessage("checked", {{"at_ms", absl::ToUnixMillis(snap.at)}});
        } else {
          out += ": keep-alive\n\n";
        }
        if (!sink.write(out.data(), out.size())) return false;
        return true;
      }),
      [this, stream](bool) {
        if (stream->started) --streams_;
        stream->monitor.reset();  // the last page of a session: its probes stop
      });
}

namespace {

// RFC 3339, or "" for an unset time.
std::string TimeText(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "";
  return config::FormatRfc3339(FromProtoTime(t));
}

const char* ModeName(control::v1::HaMode mode) {
  switch (mode) {
    case control::v1::HA_MODE_PRIMARY:
      return "primary";
    case control::v1::HA_MODE_BACKUP:
      return "backup";
    default:
      return "";
  }
}

json ApplicationJson(const control::v1::ApplicationState& a, const std::string& scs_address) {
  return {{"name", a.name()},
          {"host", a.host()},
          {"scs", a.scs()},
          {"scs_address", scs_address},
          {"status", a.status()},
          {"since", TimeText(a.since())},
          {"pid", a.pid()},
          {"restarts", a.restarts()},
          {"last_exit", a.last_exit()},
          {"reason", a.reason()},
          {"mode", ModeName(a.mode())},
          {"mode_epoch", a.mode_epoch()},
          {"gave_up", a.gave_up()},
          {"wanted", a.wanted()}};
}

json HostJson(const control::v1::HostState& h) {
  return {{"name", h.name()},
          {"lca_up", h.lca_up()},
          {"since", TimeText(h.since())},
          {"applications", h.applications()},
          {"running", h.running()},
          {"scs", h.scs()},
          {"warnings", h.warnings()},
          {"certificate", h.certificate()}};
}

absl::StatusOr<control::v1::ControlAction> ActionOf(const std::string& text) {
  if (text == "start") return control::v1::CONTROL_ACTION_START;
  if (text == "stop") return control::v1::CONTROL_ACTION_STOP;
  if (text == "restart") return control::v1::CONTROL_ACTION_RESTART;
  if (text == "switchover") return control::v1::CONTROL_ACTION_SWITCHOVER;
  return absl::InvalidArgumentError(
      absl::StrCat("action must be start, stop, restart or switchover, not '", text, "'"));
}

}  // namespace

json ConsoleServer::ManagementPicture(const std::string& token) {
  dr::ServerAccess access;
  access.tls.ca = config_.tls.ca;  // no client certificate: the person's token decides
  access.token = token;
  std::vector<absl::StatusOr<control::v1::ScsStatusResponse>> answers(
      scs_.size(), absl::UnknownError("not asked"));
  RunAtOnce(scs_.size(), [&](size_t i) { answers[i] = dr::AskScs(scs_[i], access); });
  json scs = json::array();
  json apps = json::array();
  json hosts = json::array();
  json alarms = json::array();
  int unauthenticated = 0;
  for (size_t i = 0; i < scs_.size(); ++i) {
    json one = {{"address", scs_[i]}};
    const absl::StatusOr<control::v1::ScsStatusResponse>& a = answers[i];
    if (!a.ok()) {
      // A backup SCS refuses (FAILED_PRECONDITION): it answers, but its
      // partner acts.
      const bool backup = absl::IsFailedPrecondition(a.status());
      one["reachable"] = backup;
      one["role"] = backup ? "backup" : "down";
      one["error"] = backup ? "" : std::string(a.status().message());
      if (absl::IsUnauthenticated(a.status())) ++unauthenticated;
      scs.push_back(std::move(one));
      continue;
    }
    const bool primary = a->info().role() == control::v1::SCS_ROLE_PRIMARY;
    one["reachable"] = true;
    one["application"] = a->info().application();
    one["role"] = primary ? "primary" : "backup";
    one["epoch"] = a->info().epoch();
    scs.push_back(std::move(one));
    if (!primary) continue;
    for (const auto& app : a->applications()) apps.push_back(ApplicationJson(app, scs_[i]));
    for (const auto& host : a->hosts()) hosts.push_back(HostJson(host));
    for (const auto& alarm : a->alarms()) alarms.push_back(alarm);
  }
  const auto by_name = [](const json& x, const json& y) {
    return std::make_pair(x.value("name", ""), x.value("host", "")) <
           std::make_pair(y.value("name", ""), y.value("host", ""));
  };
  std::sort(apps.begin(), apps.end(), by_name);
  std::sort(hosts.begin(), hosts.end(), by_name);
  return {{"scs", std::move(scs)},
          {"applications", std::move(apps)},
          {"hosts", std::move(hosts)},
          {"alarms", std::move(alarms)},
          {"unauthenticated", !scs_.empty() && unauthenticated == static_cast<int>(scs_.size())}};
}

void ConsoleServer::Applications(const httplib::Request& req, httplib::Response& res) {
  std::optional<Session> s = Authenticated(req, res);
  if (!s) return;
  if (scs_.empty()) {
    return SendError(res, 404,
                     "the Applications page is not configured: give the console [console] scs "
                     "(the SCSs' ScsControl addresses) or a site file that lists them");
  }
  json picture = ManagementPicture(s->token);
  if (picture["unauthenticated"].get<bool>()) {
    return Fail(*s, absl::UnauthenticatedError("your session has ended: log in again"), res);
  }
  SendJson(res, 200, picture);
}

void ConsoleServer::ApplicationEvents(const httplib::Request& req, httplib::Response& res) {
  std::optional<Session> s = Authenticated(req, res);
  if (!s) return;
  if (scs_.empty()) return SendError(res, 404, "the Applications page is not configured");
  PolledEvents(*s, res, "apps", [this](const std::string& token) -> absl::StatusOr<json> {
    json picture = ManagementPicture(token);
    if (picture.value("unauthenticated", false)) return absl::UnauthenticatedError("");
    return picture;
  });
}

void ConsoleServer::PolledEvents(const Session& session, httplib::Response& res,
                                 const std::string& event, PictureFn picture_of) {
  struct Polled {
    json last;
    bool started = false;
  };
  auto stream = std::make_shared<Polled>();
  res.set_header("Cache-Control", "no-store");
  res.set_chunked_content_provider(
      "text/event-stream",
      Guarded([this, stream, event, picture_of = std::move(picture_of), token = session.token,
               session_id = session.id](size_t, httplib::DataSink& sink) {
        std::string out;
        if (!stream->started) {
          stream->started = true;
          ++streams_;
          out = "retry: 1000\n\n";
        } else {
          // Asked again every second (the servers answer from memory).
          for (int i = 0; i < 10 && !stopping_.load(); ++i) absl::SleepFor(absl::Milliseconds(100));
        }
        if (stopping_.load()) return false;
        absl::StatusOr<json> picture =
            sessions_.Find(session_id)
                ? picture_of(token)
                : absl::StatusOr<json>(absl::UnauthenticatedError("session ended"));
        const int64_t at = absl::ToUnixMillis(absl::Now());
        if (absl::IsUnauthenticated(picture.status())) {
          out += StreamMessage("status", {{"code", 401},
                                          {"relogin", true},
                                          {"error", "your session has ended: log in again"}});
          sink.write(out.data(), out.size());
          sink.done();
          return true;
        }
        if (!picture.ok()) {
          out += StreamMessage("status", {{"code", HttpStatusOf(picture.status())},
                                          {"relogin", false},
                                          {"error", std::string(picture.status().message())}});
        } else if (*picture != stream->last) {
          out += StreamMessage(event, {{"at_ms", at}, {"picture", *picture}});
          stream->last = *std::move(picture);
        } else {
          out += StreamMessage("checked", {{"at_ms", at}});
        }
        return sink.write(out.data(), out.size());
      }),
      [this, stream](bool) {
        if (stream->started) --streams_;
      });
}

void ConsoleServer::ControlApplication(const httplib::Request& req, httplib::Response& res) {
  if (!SameOrigin(req, res)) return;
  std::optional<Session> s = Authenticated(req, res);
  if (!s) return;
  absl::StatusOr<json> body = BodyJson(req);
  if (!body.ok()) return SendError(res, 400, std::string(body.status().message()));
  const json action = body->value("action", json());
  const json application = body->value("application", json());
  const json scs = body->value("scs", json());
  if (!action.is_string()) return SendError(res, 400, "action is required", {{"field", "action"}});
  absl::StatusOr<control::v1::ControlAction> act = ActionOf(action.get<std::string>());
  if (!act.ok()) return SendError(res, 400, std::string(act.status().message()));
  if (!application.is_string() || application.get<std::string>().empty()) {
    return SendError(res, 400, "application is required: the name of the Application");
  }
  // The SCS that reported it first (the page says which), then the others:
  // each forwards a command for a host it does not own to its owner. Only
  // the SCSs of the configuration are asked, never an address from the page.
  std::vector<std::string> order;
  if (scs.is_string() &&
      std::find(scs_.begin(), scs_.end(), scs.get<std::string>()) != scs_.end()) {
    order.push_back(scs.get<std::string>());
  }
  for (const std::string& a : scs_) {
    if (order.empty() || a != order.front()) order.push_back(a);
  }
  control::v1::ControlRequest request;
  request.set_action(*act);
  request.set_application(application.get<std::string>());
  TlsFiles tls;
  tls.ca = config_.tls.ca;
  absl::Status last = absl::UnavailableError("no SCS is configured");
  for (const std::string& address : order) {
    if (!AddressAnswers(address, dr::kTcpProbe)) {
      last = absl::UnavailableError(absl::StrCat(address, " does not accept connections"));
      continue;
    }
    net::ScsControlClient client(address, tls, s->token, "tandem-console", config_.call_timeout);
    absl::StatusOr<control::v1::ControlResponse> r = client.Control(request);
    if (r.ok()) {
      spdlog::info("console: {} asked {} to {} {}: {}", s->identity, address,
                   action.get<std::string>(), application.get<std::string>(), r->message());
      return SendJson(res, 200,
                      {{"message", r->message()},
                       {"who", r->who()},
                       {"scs", address},
                       {"applications", r->applications()}});
    }
    last = r.status();
    // A backup (ask its partner) or one that is gone: the next one.
    if (!absl::IsFailedPrecondition(last) && !absl::IsUnavailable(last)) break;
  }
  Fail(*s, last, res);
}

namespace {

// One LogService call at `address` (over its channel) with the person's token.
template <typename Response, typename Fn>
absl::StatusOr<Response> AskLogServer(const std::string& address,
                                      const std::shared_ptr<grpc::Channel>& channel,
                                      const std::string& token, absl::Duration timeout, Fn fn) {
  if (!AddressAnswers(address, dr::kTcpProbe)) {
    return absl::UnavailableError(absl::StrCat(address, " does not accept connections"));
  }
  auto stub = msg::v1::LogService::NewStub(channel);
  grpc::ClientContext ctx;
  net::AddCallerMetadata(ctx, token, "tandem-console");
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  Response out;
  grpc::Status st = fn(*stub, ctx, out);
  if (!st.ok()) return net::FromGrpc(st);
  return out;
}

json AlarmJson(const msg::v1::Alarm& a, const std::string& server) {
  return {{"id", a.id()},
          {"condition", a.condition()},
          {"category", a.category()},
          {"application", a.application()},
          {"host", a.host()},
          {"text", a.text()},
          {"event_id", a.event_id()},
          {"raised_at", TimeText(a.raised_at())},
          {"last_seen", TimeText(a.last_seen())},
          {"active", a.active()},
          {"cleared_at", TimeText(a.cleared_at())},
          {"cleared_by", a.cleared_by()},
          {"server", server}};
}

}  // namespace

json ConsoleServer::AlarmsPicture(const std::string& token, bool all) {
  std::vector<absl::StatusOr<msg::v1::ListAlarmsResponse>> answers(log_servers_.size(),
                                                                   absl::UnknownError("not asked"));
  msg::v1::ListAlarmsRequest request;
  request.set_all(all);
  RunAtOnce(log_servers_.size(), [&](size_t i) {
    answers[i] = AskLogServer<msg::v1::ListAlarmsResponse>(
        log_servers_[i], log_channels_[i], token, absl::Seconds(3),
        [&](msg::v1::LogService::Stub& stub, grpc::ClientContext& ctx,
            msg::v1::ListAlarmsResponse& out) { return stub.ListAlarms(&ctx, request, &out); });
  });
  json servers = json::array();
  json alarms = json::array();
  std::set<std::string> seen;  // one Log Database may be reached through several servers
  int unauthenticated = 0;
  int asked = 0;
  for (size_t i = 0; i < log_servers_.size(); ++i) {
    const auto& a = answers[i];
    // A Message Server without a Log Database (UNIMPLEMENTED) is not one of them.
    if (absl::IsUnimplemented(a.status())) continue;
    ++asked;
    json one = {{"address", log_servers_[i]}};
    if (!a.ok()) {
      const bool backup = absl::IsFailedPrecondition(a.status());
      one["role"] = backup ? "backup" : "down";
      one["error"] = backup ? "" : std::string(a.status().message());
      if (absl::IsUnauthenticated(a.status())) ++unauthenticated;
      servers.push_back(std::move(one));
      continue;
    }
    one["role"] = "acting";
    servers.push_back(std::move(one));
    for (const msg::v1::Alarm& alarm : a->alarms()) {
      const std::string key =
          absl::StrCat(alarm.id(), "/", alarm.condition(), "/", alarm.application(), "/",
                       alarm.host(), "/", alarm.raised_at().seconds());
      if (seen.insert(key).second) alarms.push_back(AlarmJson(alarm, log_servers_[i]));
    }
  }
  std::sort(alarms.begin(), alarms.end(), [](const json& x, const json& y) {
    return x.value("raised_at", "") > y.value("raised_at", "");
  });
  return {{"servers", std::move(servers)},
          {"alarms", std::move(alarms)},
          {"all", all},
          {"unauthenticated", asked > 0 && unauthenticated == asked}};
}

void ConsoleServer::AlarmEvents(const httplib::Request& req, httplib::Response& res) {
  std::optional<Session> s = Authenticated(req, res);
  if (!s) return;
  if (log_servers_.empty()) {
    return SendError(res, 404,
                     "the Alarms page is not configured: give the console [console] log_servers "
                     "(the Log Message Servers) or a site file that lists them");
  }
  const bool all = req.get_param_value("all") == "1";
  PolledEvents(*s, res, "alarms", [this, all](const std::string& token) -> absl::StatusOr<json> {
    json picture = AlarmsPicture(token, all);
    if (picture.value("unauthenticated", false)) return absl::UnauthenticatedError("");
    return picture;
  });
}

void ConsoleServer::ClearAlarm(const httplib::Request& req, httplib::Response& res) {
  if (!SameOrigin(req, res)) return;
  std::optional<Session> s = Authenticated(req, res);
  if (!s) return;
  absl::StatusOr<json> body = BodyJson(req);
  if (!body.ok()) return SendError(res, 400, std::string(body.status().message()));
  const json id = body->value("id", json());
  const json server = body->value("server", json());
  if (!id.is_number_integer() || id.get<int64_t>() <= 0) {
    return SendError(res, 400, "id is required: the alarm's id");
  }
  // The server that reported it first, then the others of the configuration
  // (never an address from the page).
  std::vector<std::string> order;
  if (server.is_string() && std::find(log_servers_.begin(), log_servers_.end(),
                                      server.get<std::string>()) != log_servers_.end()) {
    order.push_back(server.get<std::string>());
  }
  for (const std::string& a : log_servers_) {
    if (order.empty() || a != order.front()) order.push_back(a);
  }
  msg::v1::ClearAlarmRequest request;
  request.set_id(id.get<int64_t>());
  absl::Status last = absl::UnavailableError("no Log Message Server is configured");
  for (const std::string& address : order) {
    const size_t index =
        std::find(log_servers_.begin(), log_servers_.end(), address) - log_servers_.begin();
    absl::StatusOr<msg::v1::ClearAlarmResponse> r = AskLogServer<msg::v1::ClearAlarmResponse>(
        address, log_channels_[index], s->token, config_.call_timeout,
        [&](msg::v1::LogService::Stub& stub, grpc::ClientContext& ctx,
            msg::v1::ClearAlarmResponse& out) { return stub.ClearAlarm(&ctx, request, &out); });
    if (r.ok()) {
      spdlog::info("console: {} cleared alarm {} at {}", s->identity, request.id(), address);
      return SendJson(res, 200, {{"message", absl::StrCat("cleared alarm ", request.id())}});
    }
    last = r.status();
    if (!absl::IsFailedPrecondition(last) && !absl::IsUnavailable(last) &&
        !absl::IsUnimplemented(last)) {
      break;
    }
  }
  Fail(*s, last, res);
}

namespace {

const char* LevelName(msg::v1::LogLevel l) {
  switch (l) {
    case msg::v1::ALARM:
      return "alarm";
    case msg::v1::STANDARD:
      return "standard";
    case msg::v1::INTERACTION:
      return "interaction";
    case msg::v1::TRACE:
      return "trace";
    default:
      return "";
  }
}

json LogEventJson(const msg::v1::LogEvent& e) {
  return {{"seq", e.seq()},
          {"at", TimeText(e.at())},
          {"application", e.application()},
          {"host", e.host()},
          {"level", LevelName(e.level())},
          {"message_id", e.message_id()},
          // (sent with DumpJson, which replaces bytes that are not UTF-8)
          {"text", e.text()}};
}

}  // namespace

void ConsoleServer::LogEvents(const httplib::Request& req, httplib::Response& res) {
  std::optional<Session> s = Authenticated(req, res);
  if (!s) return;
  if (log_servers_.empty()) {
    return SendError(res, 404,
                     "the Logs page is not configured: give the console [console] log_servers "
                     "(the Log Message Servers) or a site file that lists them");
  }
  // The filters, as `tandemctl logs` takes them.
  msg::v1::LogQueryRequest query;
  query.set_application(req.get_param_value("application"));
  query.set_host(req.get_param_value("host"));
  query.set_text(req.get_param_value("text"));
  const std::string level = req.get_param_value("level");
  if (level == "alarm")
    query.set_max_level(msg::v1::ALARM);
  else if (level == "standard")
    query.set_max_level(msg::v1::STANDARD);
  else if (level == "interaction")
    query.set_max_level(msg::v1::INTERACTION);
  else if (level == "trace")
    query.set_max_level(msg::v1::TRACE);
  else if (!level.empty()) {
    return SendError(res, 400, "level must be alarm, standard, interaction or trace",
                     {{"field", "level"}});
  }
  if (req.get_param_value("audit") == "1") {
    query.set_min_message_id(client::framework_message::kAuditFirst);
    query.set_max_message_id(client::framework_message::kAuditLast);
  }
  bool ok = true;
  const int64_t minutes =
      req.has_param("since_minutes") ? Int64Param(req, "since_minutes", &ok) : 60;
  if (!ok || minutes < 1 || minutes > 60 * 24 * 366) {
    return SendError(res, 400, "since_minutes must be a whole number of minutes, 1 to 527040",
                     {{"field", "since_minutes"}});
  }
  const absl::Time from = absl::Now() - absl::Minutes(minutes);
  query.mutable_from()->set_seconds(absl::ToUnixSeconds(from));
  query.set_limit(500);
  // Each poll asks for what came after the last seq sent: a picture is the
  // new events (the first one is sent even when empty; then only new ones).
  auto after = std::make_shared<int64_t>(0);
  PolledEvents(
      *s, res, "logs", [this, query, after](const std::string& token) -> absl::StatusOr<json> {
        msg::v1::LogQueryRequest q = query;
        q.set_after_seq(*after);
        absl::Status last = absl::UnavailableError("no Log Message Server answers");
        for (size_t i = 0; i < log_servers_.size(); ++i) {
          absl::StatusOr<msg::v1::LogQueryResponse> r = AskLogServer<msg::v1::LogQueryResponse>(
              log_servers_[i], log_channels_[i], token, absl::Seconds(5),
              [&](msg::v1::LogService::Stub& stub, grpc::ClientContext& ctx,
                  msg::v1::LogQueryResponse& o) { return stub.Query(&ctx, q, &o); });
          if (!r.ok()) {
            last = r.status();
            if (absl::IsUnauthenticated(last) || absl::IsPermissionDenied(last) ||
                absl::IsInvalidArgument(last)) {
              return last;
            }
            continue;
          }
          json events = json::array();
          for (const msg::v1::LogEvent& e : r->events()) {
            events.push_back(LogEventJson(e));
            *after = std::max(*after, e.seq());
          }
          return json{
              {"server", log_servers_[i]}, {"more", r->more()}, {"events", std::move(events)}};
        }
        return last;
      });
}

}  // namespace tandem::console
