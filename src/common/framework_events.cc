#include "common/framework_events.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tandem {

std::vector<FrameworkEvent> CertificateEvents(const std::string& application,
                                              const std::string& host,
                                              const std::vector<std::string>& before,
                                              const std::vector<std::string>& after) {
  namespace fm = client::framework_message;
  if (before.empty() == after.empty()) return {};
  if (!after.empty()) {
    return {{application, host, client::LogLevel::kAlarm, fm::kCertificateExpiring,
             absl::StrJoin(after, "; ")}};
  }
  const std::string whose = application.empty() ? absl::StrCat("the LCA of ", host)
                                                : absl::StrCat(application, " on ", host);
  return {{application, host, client::LogLevel::kStandard, fm::kCertificateRenewed,
           absl::StrCat("the certificate of ", whose, " no longer expires within 30 days")}};
}

std::vector<FrameworkEvent> CertificateEvents(const std::string& application,
                                              const std::string& host,
                                              const std::vector<std::string>& now) {
  const std::vector<std::string> opposite =
      now.empty() ? std::vector<std::string>{"(not known)"} : std::vector<std::string>{};
  return CertificateEvents(application, host, opposite, now);
}

}  // namespace tandem
