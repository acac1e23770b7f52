// The SCS on the Message Server's `scs_distributed` channel: the acting SCS
// of each pair publishes the picture of the hosts it owns every second;
// every SCS keeps the others' latest pictures (so that any of them shows the
// whole environment); a command for a host another SCS pair owns is
// forwarded to it over the channel and its reply awaited. The owner has the
// master decide and audits, as for a call of its own.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "net/scs_service.h"
#include "tandem/client/bus_client.h"
#include "tandem/control/v1/scs.pb.h"

namespace tandem::scs {

inline constexpr char kScsChannel[] = "scs_distributed";

struct ScsBusOptions {
  //! This SCS's Application and its pair's other member ("" without).
  std::string me;
  std::string partner;
  //! The Message Server pair and this SCS's certificate.
  client::BusOptions bus;
  absl::Duration period = absl::Seconds(1);
  //! A picture older than this is shown as stale.
  absl::Duration stale_after = absl::Seconds(5);
  absl::Duration forward_timeout = absl::Seconds(10);
};

class ScsBus {
 public:
  //! This SCS's whole picture (info, applications, hosts), unfiltered.
  using Picture = std::function<control::v1::ScsStatusResponse()>;
  //! An operator's command carried out here (OperatorApi::Control).
  using Execute = std::function<absl::StatusOr<control::v1::ControlResponse>(
      const net::OperatorCall&, const control::v1::ControlRequest&)>;
  //! Is this publisher ("application scs-r2", as the Message Server
  //! authenticated it) an SCS? Commands are taken only from SCSs.
  using IsScs = std::function<bool(const std::string& publisher)>;
  //! Is this SCS the acting member of its pair now? (Cheap: asked every
  //! round, so that a backup builds no picture it would not send.)
  using Acting = std::function<bool()>;

  ScsBus(ScsBusOptions options, Acting acting, Picture picture, Execute execute, IsScs is_scs,
         Clock& clock = Clock::Real());
  ~ScsBus();
  void Start();
  void Stop();

  struct Remote {
    control::v1::ScsStatusResponse state;
    absl::Time received;
    bool stale = false;
  };
  //! The other SCSs' latest pictures, by SCS name.
  std::map<std::string, Remote> Remotes();
  //! Sends `request` to the pair that `owner` (a Host's scs) names and
  //! waits for its reply: its outcome, or UNAVAILABLE when none comes.
  absl::StatusOr<control::v1::ControlResponse> Forward(const std::string& owner,
                                                       const net::OperatorCall& call,
                                                       const control::v1::ControlRequest& request);
  //! A stream to the Message Server is open now.
  bool connected() const;

 private:
  void PublishLoop();
  void OnDelivery(const client::BusDelivery& d);
  void RunCommand(std::string publisher, control::v1::ForwardedControl command);
  absl::Status Send(const control::v1::ScsBusMessage& m);

  const ScsBusOptions options_;
  const Acting acting_;
  const Picture picture_;
  const Execute execute_;
  const IsScs is_scs_;
  Clock& clock_;
  client::BusPublisher publisher_;
  std::unique_ptr<client::BusSubscriber> subscriber_;

  absl::Mutex mu_;
  std::map<std::string, Remote> remotes_ ABSL_GUARDED_BY(mu_);
  struct Pending {
    bool done = false;
    control::v1::ForwardedReply reply;
  };
  std::map<std::string, Pending> pending_ ABSL_GUARDED_BY(mu_);
  //! Forwarded commands being carried out here (ids), so a repeat is not.
  std::deque<std::string> seen_commands_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread publish_thread_;
  //! Commands from other SCSs, one at a time, off the subscriber's thread.
  std::deque<std::pair<std::string, control::v1::ForwardedControl>> commands_ ABSL_GUARDED_BY(mu_);
  std::thread command_thread_;
  void CommandLoop();
};

}  // namespace tandem::scs
