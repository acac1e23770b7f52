#include "csproxy/master_connection.h"

#include "absl/strings/str_cat.h"

namespace tandem::csproxy {
namespace {
constexpr size_t kMaxIdleClients = 1024;
// Forwarded writes may be big imports.
constexpr absl::Duration kWriteTimeout = absl::Seconds(60);

// A master that vanishes without a reset (its VM powered off, its region
// cut off) is noticed within 2 s by keep-alive pings, not the 15 s of the
// default: the proxy then tries the other master and re-resolves the
// names. A ping a second is nothing for the few proxies of a master.
net::ChannelOptions MasterChannel(const TlsFiles& tls) {
  net::ChannelOptions o;
  o.tls = tls;
  o.keepalive_time_ms = 1'000;
  o.keepalive_timeout_ms = 1'000;
  return o;
}
}  // namespace

MasterConnection::MasterConnection(std::string address, const TlsFiles& tls)
    : address_(std::move(address)), channel_(net::NewClientChannel(address_, MasterChannel(tls))) {}

config::ConfigClientPtr MasterConnection::NewClient(const std::string& application,
                                                    absl::Duration timeout) {
  config::ClientOptions options;
  options.server = address_;
  options.application_name = application;
  options.client_version = absl::StrCat("tandem-csproxy/", TANDEM_VERSION);
  options.timeout = timeout;
  return net::NewGrpcConfigClientOn(options, channel_);
}

absl::StatusOr<config::ConfigClientPtr> MasterConnection::Acquire(const Writer& writer) {
  const std::string key = writer.Key();
  {
    absl::MutexLock lock(&mu_);
    auto it = idle_.find(key);
    if (it != idle_.end() && !it->second.empty()) {
      config::ConfigClientPtr client = std::move(it->second.back());
      it->second.pop_back();
      --idle_count_;
      return client;
    }
  }
  config::ClientOptions options;
  options.server = address_;
  options.application_name = writer.who.empty() ? "csproxy" : writer.who;
  options.client_version = absl::StrCat("tandem-csproxy/", TANDEM_VERSION);
  options.timeout = kWriteTimeout;
  options.token = writer.token;
  options.on_behalf_of = writer.on_behalf_of;
  options.forwarded_for = writer.forwarded_for;
  config::ConfigClientPtr client = net::NewGrpcConfigClientOn(options, channel_);
  auto registered = client->Register();
  if (!registered.ok()) return registered.status();
  return client;
}

void MasterConnection::Release(const Writer& writer, config::ConfigClientPtr client) {
  const std::string key = writer.Key();
  absl::MutexLock lock(&mu_);
  if (idle_count_ >= kMaxIdleClients) {
    idle_.clear();  // many distinct writers: start over rather than grow
    idle_count_ = 0;
  }
  idle_[key].push_back(std::move(client));
  ++idle_count_;
}

}  // namespace tandem::csproxy
