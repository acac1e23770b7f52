#include "csproxy/proxy_backend.h"

#include "absl/strings/str_cat.h"

namespace tandem::csproxy {
namespace {

MasterLinkOptions LinkOptions(const ProxyConfig& config, Clock* clock) {
  MasterLinkOptions o;
  o.masters = config.masters;
  o.application = config.application;
  o.tls = config.tls;
  o.max_backoff = config.reconnect_max_backoff;
  o.reload_stagger_max = config.reload_stagger_max;
  o.clock = clock;
  return o;
}

}  // namespace

ProxyBackend::ProxyBackend(const ProxyConfig& config, Clock* clock)
    : config_(config),
      clock_(clock),
      started_at_(clock->Now()),
      copy_(config.history_max_count),
      link_(LinkOptions(config, clock), copy_),
      forwarder_(link_, copy_, config.forward_threads) {}

ProxyBackend::~ProxyBackend() { Stop(); }

void ProxyBackend::Start() {
  forwarder_.Start();
  link_.Start();
}

void ProxyBackend::Stop() {
  if (stopped_) return;
  stopped_ = true;
  link_.Stop();
  forwarder_.Stop();
  copy_.Invalidate();  // ends watch streams
}

absl::StatusOr<v1::GetResponse> ProxyBackend::Get(const v1::GetRequest& request) {
  return copy_.Get(request);
}

absl::StatusOr<config::ListSnapshot> ProxyBackend::List(const v1::ListRequest& request) {
  return copy_.List(request);
}

void ProxyBackend::Write(config::WriteRequest request) { forwarder_.Submit(std::move(request)); }

absl::StatusOr<config::HistoryPage> ProxyBackend::History(int64_t since_revision, int64_t limit) {
  return copy_.History(since_revision, limit);
}

int64_t ProxyBackend::Subscribe(config::ChangeSubscriber* subscriber) {
  return copy_.Subscribe(subscriber);
}

void ProxyBackend::Unsubscribe(config::ChangeSubscriber* subscriber) {
  copy_.Unsubscribe(subscriber);
}

absl::Status ProxyBackend::Serving() {
  if (copy_.loaded()) return absl::OkStatus();
  const LinkStatus st = link_.Status();
  return absl::UnavailableError(
      absl::StrCat("this Configuration Server Proxy has no configuration it may serve yet (",
                   st.detail, "); retry in a moment or use the other proxy of the pair"));
}

v1::ServerInfo ProxyBackend::Info() {
  const LinkStatus st = link_.Status();
  v1::ServerInfo info;
  info.set_role(v1::ROLE_PROXY);
  info.set_application_name(config_.application);
  info.set_version(TANDEM_VERSION);
  info.mutable_started_at()->set_seconds(absl::ToUnixSeconds(started_at_));
  info.set_history_id(copy_.history_id());
  info.set_revision(copy_.revision());
  info.set_revision_hash(copy_.revision_hash());
  info.set_object_count(copy_.object_count());
  info.set_oldest_revision(copy_.oldest_revision());
  info.set_storage(st.master.empty() ? "memory" : absl::StrCat("memory (copy of ", st.master, ")"));
  info.set_proxy_mode(st.mode);
  info.set_master_address(st.master);
  info.set_proxy_detail(st.detail);
  if (st.mode != v1::PROXY_MODE_NORMAL) {
    info.mutable_limited_since()->set_seconds(absl::ToUnixSeconds(st.limited_since));
    info.add_alarms(st.mode == v1::PROXY_MODE_LIMITED
                        ? absl::StrCat("limited mode since ",
                                       absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", st.limited_since,
                                                        absl::UTCTimeZone()),
                                       ": reads are served, writes are refused (", st.detail, ")")
                        : absl::StrCat("loading: ", st.detail));
  }
  return info;
}

int64_t ProxyBackend::FindApplication(const std::string& name) {
  return copy_.FindApplication(name);
}

}  // namespace tandem::csproxy
