#include "common/listen_check.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/host_port.h"

namespace tandem {

absl::Status CheckListenAddress(const std::string& listen, const std::string& setting) {
  absl::StatusOr<HostPort> address = ParseHostPort(listen, setting, /*allow_port_zero=*/true);
  if (!address.ok()) return address.status();
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = absl::StrCat(address->port);
  if (int rc = getaddrinfo(address->host.c_str(), port.c_str(), &hints, &found);
      rc != 0 || found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("cannot listen on ", listen, ": host '",
                                                   address->host, "' does not resolve (",
                                                   gai_strerror(rc), "); check ", setting));
  }
  absl::Status result = absl::OkStatus();
  for (addrinfo* ai = found; ai != nullptr && result.ok(); ai = ai->ai_next) {
    const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      const int err = errno;
      switch (err) {
        case EADDRINUSE:
          result = absl::AlreadyExistsError(
              absl::StrCat("cannot listen on ", listen,
                           ": the address is already in use by another process "
                           "(another tandemd?); `ss -ltnp 'sport = :",
                           address->port, "'` shows which; stop it or change ", setting));
          break;
        case EADDRNOTAVAIL:
          result = absl::InvalidArgumentError(
              absl::StrCat("cannot listen on ", listen, ": ", address->host,
                           " is not an address of this host; check ", setting));
          break;
        case EACCES:
          result = absl::PermissionDeniedError(absl::StrCat(
              "cannot listen on ", listen, ": port ", address->port,
              " needs root or CAP_NET_BIND_SERVICE; use a port above 1023 in ", setting));
          break;
        default:
          result = absl::UnavailableError(absl::StrCat("cannot listen on ", listen, ": ",
                                                       std::strerror(err), "; check ", setting));
      }
    }
    close(fd);
  }
  freeaddrinfo(found);
  return result;
}

}  // namespace tandem
