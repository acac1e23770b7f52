#include "common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace tandem {

absl::Status WriteFileAtomically(const std::string& path, const std::string& data,
                                 AtomicWriteOptions options) {
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, options.mode);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("creating ", tmp, ": ", std::strerror(errno)));
  }
  auto fail = [&](const char* what) {
    const std::string err = std::strerror(errno);
    close(fd);
    unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat(what, " ", tmp, ": ", err));
  };
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    const ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return fail("writing");
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (options.durable && fsync(fd) != 0) return fail("syncing");
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("renaming ", tmp, " to ", path, ": ", err));
  }
  if (options.durable) {
    const std::string parent = std::filesystem::path(path).parent_path().string();
    const int d = open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d >= 0) {
      fsync(d);
      close(d);
    }
  }
  return absl::OkStatus();
}

}  // namespace tandem
