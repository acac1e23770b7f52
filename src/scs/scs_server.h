// The running SCS: one event loop that owns the Controller. Configuration
// changes (libtandem, following the masters) and LCA events (one HostLink
// per owned host) are queued to it; after each batch, and every 100 ms for
// the timers, it ticks the Controller and hands the commands to the links.
// The clock and the link factory come in through the constructor.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "net/lca_link.h"
#include "scs/controller.h"
#include "scs/pair_role.h"
#include "tandem/client/tandem_client.h"
#include "tandem/control/v1/scs.pb.h"

namespace tandem::scs {

//! How the SCS talks to one LCA (net::LcaLink in production).
class HostLink {
 public:
  virtual ~HostLink() = default;
  virtual void Send(const Command& command) = 0;
};
using HostLinkFactory = std::function<std::unique_ptr<HostLink>(
    const std::string& host, const std::string& address, net::LcaEvents events)>;

//! The real links: mutual TLS with `tls`.
HostLinkFactory MakeGrpcHostLinks(TlsFiles tls);

class ScsServer {
 public:
  ScsServer(std::string application, ControllerOptions options, Clock& clock, HostLinkFactory links,
            std::string status_file = "");
  ~ScsServer();
  ScsServer(const ScsServer&) = delete;
  ScsServer& operator=(const ScsServer&) = delete;

  //! Follows `config` (which must cache Hosts and Applications) from now on.
  //! With `role`, it acts only while the role says so (an SCS pair);
  //! without, always, with the options' epoch.
  //! `partner`: the other SCS of the pair, whose hosts are this one's too.
  void Start(client::TandemClient& config, PairRole* role = nullptr, std::string partner = "");
  void Stop();
  //! Call from the configuration client's change callback.
  void ConfigChanged();

  //! The statuses as the Controller sees them (any thread).
  std::vector<AppView> Views();
  //! For GetInfo (any thread).
  control::v1::ScsInfo Info();

  //! What an operator sees (any thread): as of the loop's last round.
  struct Picture {
    std::vector<AppView> apps;
    std::vector<HostView> hosts;
    std::vector<std::string> alarms;
    control::v1::ScsInfo info;
    //! How often an LCA's refusal showed that another SCS of the pair acts
    //! with a newer epoch (this one stepped down), and the last refusal.
    int64_t deposed = 0;
    std::string deposed_why;
  };
  Picture Snapshot();
  //! Carries out an operator's action for `apps` on the loop thread and
  //! returns its outcome (waits up to 10 s). FAILED_PRECONDITION from the
  //! backup of an SCS pair, naming its partner.
  absl::Status Act(control::v1::ControlAction action, const std::vector<std::string>& apps);
  //! The refusal of an action by the backup of a pair, naming its partner.
  absl::Status RefuseAsBackup() const;

 private:
  void Post(std::function<void()> event);
  void Loop();
  void Rebuild();  // on the loop thread
  void WriteStatus(const std::vector<AppView>& views);

  const std::string application_;
  Clock& clock_;
  const HostLinkFactory link_factory_;
  const std::string status_file_;
  Controller controller_;  // loop thread only
  client::TandemClient* config_ = nullptr;
  PairRole* role_ = nullptr;
  std::string partner_;
  std::map<std::string, std::pair<std::string, std::unique_ptr<HostLink>>> links_;  // loop thread
  std::string last_status_json_;
  absl::Time views_at_ = absl::InfinitePast();  // loop thread

  absl::Mutex mu_;
  std::deque<std::function<void()>> events_ ABSL_GUARDED_BY(mu_);
  bool config_dirty_ ABSL_GUARDED_BY(mu_) = true;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<AppView> views_ ABSL_GUARDED_BY(mu_);
  std::vector<HostView> host_views_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> alarms_ ABSL_GUARDED_BY(mu_);
  bool acting_ ABSL_GUARDED_BY(mu_) = false;
  int64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  int hosts_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t deposed_ ABSL_GUARDED_BY(mu_) = 0;
  std::string deposed_why_ ABSL_GUARDED_BY(mu_);
  std::thread loop_;
};

}  // namespace tandem::scs
