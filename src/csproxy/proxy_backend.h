// The Configuration Server Proxy as the ConfigService front end sees it
// (config::Backend): reads, history and watches from the ConfigCopy, writes
// forwarded by the WriteForwarder, mode and master from the MasterLink.
#pragma once

#include <memory>

#include "common/clock.h"
#include "csproxy/config_copy.h"
#include "csproxy/master_link.h"
#include "csproxy/proxy_config.h"
#include "csproxy/write_forwarder.h"
#include "tandem/config/backend.h"

namespace tandem::csproxy {

class ProxyBackend final : public config::Backend {
 public:
  explicit ProxyBackend(const ProxyConfig& config, Clock* clock = &Clock::Real());
  ~ProxyBackend() override;

  //! Starts following the masters and forwarding writes.
  void Start();
  //! Stops the feed and the forwarder, ends watch streams.
  void Stop();

  absl::StatusOr<v1::GetResponse> Get(const v1::GetRequest& request) override;
  absl::StatusOr<config::ListSnapshot> List(const v1::ListRequest& request) override;
  void Write(config::WriteRequest request) override;
  absl::StatusOr<config::HistoryPage> History(int64_t since_revision, int64_t limit) override;
  int64_t Subscribe(config::ChangeSubscriber* subscriber) override;
  void Unsubscribe(config::ChangeSubscriber* subscriber) override;
  v1::ServerInfo Info() override;
  //! UNAVAILABLE while the proxy has no copy it may serve (loading).
  absl::Status Serving() override;
  int64_t FindApplication(const std::string& name) override;

  const ConfigCopy& copy() const { return copy_; }
  //! What the link to the masters is doing (mode, master, lag).
  LinkStatus link_status() const { return link_.Status(); }

 private:
  const ProxyConfig config_;
  Clock* const clock_;
  const absl::Time started_at_;
  ConfigCopy copy_;
  MasterLink link_;
  WriteForwarder forwarder_;
  bool stopped_ = false;
};

}  // namespace tandem::csproxy
