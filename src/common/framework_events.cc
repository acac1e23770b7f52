#include "common/framework_events.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tandem {

std::vector<FrameworkEvent> CertificateEvents(const std::string& application,
                                              const std::string& host,
                                              const std::vector<std::string>& before,
                                              const std::vector<std::string>& after) {
  if (before.empty() == after.empty()) return {};
  return CertificateEvents(application, host, after);
}

std::vector<FrameworkEvent> CertificateEvents(const std::string& application,
                                              const std::string& host,
                                              const std::vector<std::string>& now) {
  namespace fm = client::framework_message;
  if (!now.empty()) {
    return {{application, host, client::LogLevel::kAlarm, fm::kCertificateExpiring,
             absl::StrJoin(now, "; ")}};
  }
  const std::string whose = application.empty() ? absl::StrCat("the LCA of ", host)
                                                : absl::StrCat(application, " on ", host);
  return {{application, host, client::LogLevel::kStandard, fm::kCertificateRenewed,
           absl::StrCat("the certificate of ", whose, " no longer expires within 30 days")}};
}

std::vector<FrameworkEvent> CertificateWatch::Step(const std::string& application,
                                                   const std::string& host,
                                                   std::vector<std::string> now) {
  std::vector<FrameworkEvent> out = said_.has_value()
                                        ? CertificateEvents(application, host, *said_, now)
                                        : CertificateEvents(application, host, now);
  said_ = std::move(now);
  return out;
}

}  // namespace tandem
