#include "common/tcp_probe.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "common/at_once.h"
#include "common/host_port.h"

namespace tandem {

bool TcpAnswers(const std::string& host, const std::string& port, absl::Duration timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    return true;  // cannot tell: let the real call find out
  }
  bool answered = false;
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    if (connect(fd, found->ai_addr, found->ai_addrlen) == 0) {
      answered = true;
    } else if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) == 1) {
        int err = 0;
        socklen_t len = sizeof err;
        answered = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
      }
    }
    close(fd);
  }
  freeaddrinfo(found);
  return answered;
}

bool AddressAnswers(const std::string& address, absl::Duration timeout) {
  const auto [host, port] = SplitHostPort(address);
  return port.empty() || TcpAnswers(host, port, timeout);
}

std::vector<bool> TcpAnswerAll(const std::vector<std::pair<std::string, std::string>>& endpoints,
                               absl::Duration timeout) {
  std::vector<char> answered(endpoints.size(), 0);  // not vector<bool>: one slot per thread
  RunAtOnce(endpoints.size(), [&](size_t i) {
    answered[i] = TcpAnswers(endpoints[i].first, endpoints[i].second, timeout) ? 1 : 0;
  });
  return std::vector<bool>(answered.begin(), answered.end());
}

}  // namespace tandem
