#include "common/signals.h"

#include <signal.h>

namespace tandem {

int WaitForTerminationSignal(const std::function<void()>& on_sighup) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  int sig = 0;
  while (true) {
    sigwait(&set, &sig);
    if (sig != SIGHUP) return sig;
    if (on_sighup) on_sighup();
  }
}

int TerminationSignalWithin(int timeout_ms) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
  const int sig = sigtimedwait(&set, nullptr, &ts);
  return sig > 0 ? sig : 0;
}

}  // namespace tandem
