#include "ctl/context.h"

#include "absl/time/time.h"
#include "ctl/errors.h"

namespace tandem::ctl {
namespace {

constexpr char kClientVersion[] = "tandemctl/0.1";

}  // namespace

config::ClientOptions CommandContext::MakeClientOptions() const {
  config::ClientOptions client;
  client.server = options_.server;
  client.application_name = options_.app;
  client.client_version = kClientVersion;
  client.timeout = absl::Seconds(options_.timeout_s);
  return client;
}

absl::StatusOr<config::ConfigClient*> CommandContext::Client() {
  if (client_ != nullptr) return client_.get();
  config::ConfigClientPtr client = factory_(MakeClientOptions());
  auto registered = client->Register();
  if (!registered.ok()) {
    return Describe(registered.status(), "register as application '" + options_.app + "'");
  }
  client_ = std::move(client);
  return client_.get();
}

absl::StatusOr<v1::RegisterResponse> CommandContext::Reconnect() {
  client_ = factory_(MakeClientOptions());
  return client_->Register();
}

absl::Status CommandContext::Describe(const absl::Status& status, absl::string_view what) const {
  return DescribeRpcError(status, what, options_.server);
}

}  // namespace tandem::ctl
