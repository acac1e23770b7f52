// `tandemd console`'s HTTPS server: the page's assets (built into the
// binary, no CDN), a JSON API under /api that turns each request into calls
// to the configuration servers with the logged-in person's token, and
// /api/events, a Server-Sent Events stream of changes that resumes from the
// last revision the page saw (Last-Event-ID) after a reconnect.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "console/console_config.h"
#include "console/server_pool.h"
#include "console/session_store.h"
#include "console/site_monitor.h"
#include "dr/site.h"
#include "metrics/registry.h"
#include "nlohmann/json.hpp"

namespace grpc {
class Channel;
}  // namespace grpc

namespace httplib {
class SSLServer;
struct Request;
struct Response;
}  // namespace httplib

namespace tandem::console {

class ConsoleServer {
 public:
  //! Listens on config.listen (HTTPS with config.tls) and serves until
  //! Stop(). `clock` times sessions.
  static absl::StatusOr<std::unique_ptr<ConsoleServer>> Start(const ConsoleConfig& config,
                                                              const Clock& clock);
  ConsoleServer(const ConsoleServer&) = delete;
  ConsoleServer& operator=(const ConsoleServer&) = delete;
  ~ConsoleServer();

  int port() const { return port_; }
  //! Ends the event streams, stops listening and waits for requests in flight.
  void Stop();

 private:
  ConsoleServer(const ConsoleConfig& config, const Clock& clock);
  void Routes();
  //! The session of the request's cookie, or nullopt after answering 401.
  std::optional<Session> Authenticated(const httplib::Request& req, httplib::Response& res);
  //! Writes of the API must carry X-Tandem-Console (a page of another site
  //! cannot set it): false after answering 403.
  bool SameOrigin(const httplib::Request& req, httplib::Response& res);
  //! Answers a failed call; an expired token ends the session.
  void Fail(const Session& session, const absl::Status& status, httplib::Response& res);

  void Login(const httplib::Request& req, httplib::Response& res);
  void Logout(const httplib::Request& req, httplib::Response& res);
  void SessionInfo(const httplib::Request& req, httplib::Response& res);
  void Status(const httplib::Request& req, httplib::Response& res);
  void ListObjects(const httplib::Request& req, httplib::Response& res);
  void GetObject(const httplib::Request& req, httplib::Response& res);
  void CreateObject(const httplib::Request& req, httplib::Response& res);
  void UpdateObject(const httplib::Request& req, httplib::Response& res);
  void DeleteObject(const httplib::Request& req, httplib::Response& res);
  void ObjectHistory(const httplib::Request& req, httplib::Response& res);
  void Events(const httplib::Request& req, httplib::Response& res);
  void RegionEvents(const httplib::Request& req, httplib::Response& res);
  void RegionHistory(const httplib::Request& req, httplib::Response& res);
  void Applications(const httplib::Request& req, httplib::Response& res);
  void ApplicationEvents(const httplib::Request& req, httplib::Response& res);
  void ControlApplication(const httplib::Request& req, httplib::Response& res);
  void AlarmEvents(const httplib::Request& req, httplib::Response& res);
  void ClearAlarm(const httplib::Request& req, httplib::Response& res);
  void LogEvents(const httplib::Request& req, httplib::Response& res);
  //! The alarms every Log Message Server of log_servers_ tells `token`'s
  //! person (active, or with `all` the history too), merged, newest first.
  nlohmann::json AlarmsPicture(const std::string& token, bool all);
  //! An SSE stream of `event` messages: picture_of(token) asked every
  //! second, sent when it changed (`checked` otherwise); ends when the
  //! session does.
  //! What a polled stream sends: its picture for the person's token, or why
  //! not (UNAUTHENTICATED ends the stream asking to log in again).
  using PictureFn = std::function<absl::StatusOr<nlohmann::json>(const std::string& token)>;
  void PolledEvents(const Session& session, httplib::Response& res, const std::string& event,
                    PictureFn picture_of);
  //! What every SCS of scs_ tells `token`'s person: the applications and
  //! hosts of the primaries, and each SCS's state.
  nlohmann::json ManagementPicture(const std::string& token);

  //! The Regions picture as `token`'s person may see it: one monitor per
  //! session token, shared by that person's open pages; nullptr when
  //! kMaxSiteMonitors are running.
  std::shared_ptr<SiteMonitor> MonitorFor(const std::string& token);

  const ConsoleConfig config_;
  const Clock& clock_;
  //! [console] site, loaded at start (nullopt: no Regions page).
  std::optional<dr::Site> site_;
  //! The SCSs the Applications page asks ([console] scs, or the site's).
  std::vector<std::string> scs_;
  //! The Log Message Servers the Alarms page asks ([console] log_servers, or
  //! the site's Message Servers: those without a Log Database are skipped).
  std::vector<std::string> log_servers_;
  std::vector<std::shared_ptr<grpc::Channel>> log_channels_;  //!< one per log_servers_
  absl::Mutex monitors_mu_;
  std::map<std::string, std::weak_ptr<SiteMonitor>> monitors_ ABSL_GUARDED_BY(monitors_mu_);
  SessionStore sessions_;
  ServerPool pool_;
  std::unique_ptr<httplib::SSLServer> http_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  metrics::CollectorHandle collector_;
  std::atomic<int64_t> streams_{0};
};

}  // namespace tandem::console
