#include "console/server_pool.h"

#include "absl/strings/str_cat.h"

namespace tandem::console {

ServerPool::ServerPool(std::vector<std::string> servers, TlsFiles tls, absl::Duration timeout)
    : timeout_(timeout) {
  net::ChannelOptions options;
  options.tls = std::move(tls);
  // The console presents no certificate: it acts only with its users' tokens.
  options.tls.cert.clear();
  options.tls.key.clear();
  for (std::string& address : servers) {
    servers_.push_back({address, net::NewClientChannel(address, options)});
    states_.push_back({address, true, "", absl::Now()});
  }
}

config::ConfigClientPtr ServerPool::ClientAt(size_t index, const std::string& token) const {
  config::ClientOptions options;
  options.server = servers_[index].address;
  options.application_name = "console";
  options.client_version = absl::StrCat("tandem-console/", TANDEM_VERSION);
  options.token = token;
  options.timeout = timeout_;
  return net::NewGrpcConfigClientOn(options, servers_[index].channel);
}

size_t ServerPool::current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

void ServerPool::Record(size_t index, const absl::Status& status) {
  const bool down = absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status);
  absl::MutexLock lock(&mu_);
  ServerState& s = states_[index];
  if (down) {
    if (s.reachable) s.since = absl::Now();
    s.reachable = false;
    s.error = std::string(status.message());
    // The next call (or a page's live stream reconnecting) tries the next one.
    if (index == current_) current_ = (index + 1) % servers_.size();
  } else if (!s.reachable) {
    s.reachable = true;
    s.error.clear();
    s.since = absl::Now();
  }
}

absl::Status ServerPool::Call(const std::string& token,
                              const std::function<absl::Status(config::ConfigClient&)>& fn,
                              std::string* server) {
  const size_t first = current();
  absl::Status last;
  for (size_t i = 0; i < servers_.size(); ++i) {
    const size_t index = (first + i) % servers_.size();
    config::ConfigClientPtr client = ClientAt(index, token);
    last = fn(*client);
    Record(index, last);
    if (absl::IsUnavailable(last)) continue;
    if (index != first) {
      absl::MutexLock lock(&mu_);
      current_ = index;
    }
    if (server != nullptr) *server = servers_[index].address;
    return last;
  }
  return absl::UnavailableError(absl::StrCat("no configuration server answers (", servers_.size(),
                                             " tried; the last said: ", last.message(), ")"));
}

std::vector<ServerPool::ServerState> ServerPool::States() const {
  absl::MutexLock lock(&mu_);
  return states_;
}

}  // namespace tandem::console
