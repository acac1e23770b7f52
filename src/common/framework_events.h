// The framework's own log events (message ids in tandem/client/log_client.h,
// framework_message), as the daemons that notice a condition build them
// before handing them to their client::Logger; the Log Message Server's
// built-in alarm rules raise and clear alarms from them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tandem/client/log_client.h"

namespace tandem {

struct FrameworkEvent {
  //! The application concerned; empty: an LCA's host.
  std::string application;
  std::string host;
  client::LogLevel level = client::LogLevel::kStandard;
  int64_t message_id = 0;
  std::string text;
};

//! For a certificate whose problems (net::TlsStatus::CertificateAlarms) went
//! from `before` to `after`: kCertificateExpiring when some appeared,
//! kCertificateRenewed when none are left; nothing when it stays so.
//! `application` empty: the certificate of the LCA of `host`.
std::vector<FrameworkEvent> CertificateEvents(const std::string& application,
                                              const std::string& host,
                                              const std::vector<std::string>& before,
                                              const std::vector<std::string>& after);
//! The same when nothing was said before (a daemon that started, an SCS
//! that began to act): expiring, or renewed (which clears an alarm raised
//! before a restart with a new certificate).
std::vector<FrameworkEvent> CertificateEvents(const std::string& application,
                                              const std::string& host,
                                              const std::vector<std::string>& now);

//! A daemon's own certificate, looked at again and again: the events since
//! the last look (the state as it is at the first). One thread's.
class CertificateWatch {
 public:
  std::vector<FrameworkEvent> Step(const std::string& application, const std::string& host,
                                   std::vector<std::string> now);

 private:
  std::optional<std::vector<std::string>> said_;
};

}  // namespace tandem
