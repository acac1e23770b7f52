#include "scs/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace tandem::scs {

absl::Status AuditLog::CheckWritable() const {
  if (path_.empty()) return absl::OkStatus();
  const int fd = open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat("[scs] audit_file: cannot append to ", path_,
                                                   ": ", std::strerror(errno),
                                                   "; give a writable path (or none)"));
  }
  close(fd);
  return absl::OkStatus();
}

absl::Status AuditLog::Append(const AuditEntry& e) {
  absl::Status st = AppendToFile(e);
  if (st.ok() && sink_ != nullptr) sink_(e);
  return st;
}

absl::Status AuditLog::AppendToFile(const AuditEntry& e) {
  const nlohmann::json j = {
      {"at", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", e.at, absl::UTCTimeZone())},
      {"who", e.who},
      {"peer", e.peer},
      {"action", e.action},
      {"target", e.target},
      {"outcome", e.outcome},
      {"detail", e.detail}};
  const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  spdlog::info("audit: {} {} {} from {}: {}{}", e.who, e.action, e.target, e.peer, e.outcome,
               e.detail.empty() ? "" : " (" + e.detail + ")");
  if (path_.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  const int fd = open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot open the audit log ", path_, ": ",
                                               std::strerror(errno),
                                               "; no control action is carried out unaudited"));
  }
  size_t done = 0;
  int err = 0;
  while (done < line.size()) {
    const ssize_t n = write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : EIO;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (err == 0 && fdatasync(fd) != 0) err = errno;
  close(fd);
  if (err != 0) {
    return absl::UnavailableError(absl::StrCat("cannot write the audit log ", path_, ": ",
                                               std::strerror(err),
                                               "; no control action is carried out unaudited"));
  }
  return absl::OkStatus();
}

}  // namespace tandem::scs
