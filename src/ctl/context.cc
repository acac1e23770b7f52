#include "ctl/context.h"

#include "ctl/errors.h"

namespace tandem::ctl {

absl::StatusOr<ConfigClient*> CommandContext::Client() {
  if (client_ != nullptr) return client_.get();
  ConfigClientPtr client = factory_(options_);
  auto registered = client->Register();
  if (!registered.ok()) {
    return Describe(registered.status(), "register as application '" + options_.app + "'");
  }
  client_ = std::move(client);
  return client_.get();
}

absl::StatusOr<v1::RegisterResponse> CommandContext::Reconnect() {
  client_ = factory_(options_);
  return client_->Register();
}

absl::Status CommandContext::Describe(const absl::Status& status, absl::string_view what) const {
  return DescribeRpcError(status, what, options_.server);
}

}  // namespace tandem::ctl
