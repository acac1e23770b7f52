// The Regions page's picture of the site: what `tandemctl dr status` shows,
// kept fresh. Every part (each region's DBMS, masters, proxies, SCSs and
// Message Servers, and DNS) is asked again on its own thread as soon as its
// last answer is `refresh` old, so a DBMS whose host is gone (a 2 s connect
// timeout) does not hold back what the masters say (0.5 s). A part that
// has been asking for longer than `overdue` counts as not answering until it
// answers (a healthy DBMS answers in milliseconds; one whose host is gone
// would otherwise look reachable for its whole connect timeout). A new
// picture is published only when it differs from the last one.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "dr/site.h"
#include "dr/status.h"
#include "nlohmann/json.hpp"

namespace tandem::console {

class SiteMonitor {
 public:
  //! How the parts are asked (tests give their own; Real() asks the site).
  struct Probes {
    size_t regions = 0;
    std::function<void(size_t region, dr::StatusPart part, dr::RegionView& into)> part;
    std::function<std::vector<dr::DnsView>()> dns;
    std::function<dr::SiteView(std::vector<dr::RegionView>, std::vector<dr::DnsView>)> derive;
  };
  //! The site's parts, asked with its [tls] and `site.token` (the viewing
  //! person's); fences read from `journal`.
  static Probes Real(const dr::Site& site, const std::string& journal);

  struct Snapshot {
    //! 0 until every part has answered once; then +1 for each new picture.
    int64_t generation = 0;
    //! When the newest answer in it came.
    absl::Time at = absl::UnixEpoch();
    nlohmann::json view;  //!< dr::SiteViewJson
  };

  SiteMonitor(Probes probes, const Clock& clock, absl::Duration refresh,
              absl::Duration overdue = absl::Seconds(1));
  SiteMonitor(const SiteMonitor&) = delete;
  SiteMonitor& operator=(const SiteMonitor&) = delete;
  //! Stops the threads (waits for probes in flight).
  ~SiteMonitor();

  //! The newest picture once its generation is above `after`; or the
  //! current one when `timeout` passes (real time) or `stop` is set.
  Snapshot Next(int64_t after, absl::Duration timeout, const std::atomic<bool>& stop);

  //! What the plots draw: a sample every kSampleEvery of each region's DBMS
  //! revision, its standbys' greatest lag (bytes, seconds) and whether it is
  //! live, for the last hour (oldest first):
  //! {every_s, samples: [{at_ms, regions: {NAME: {revision, lag_bytes,
  //! replay_lag_s, live}}}]}.
  nlohmann::json History();
  static constexpr absl::Duration kSampleEvery = absl::Seconds(10);
  static constexpr size_t kSamplesKept = 360;  // an hour

 private:
  void PartLoop(size_t slot);
  void Publisher();
  //! Waits until `until` on the injected clock (or until stopping).
  void SleepUntil(absl::Time until);

  const Probes probes_;
  const Clock& clock_;
  const absl::Duration refresh_;
  const absl::Duration overdue_;
  static constexpr size_t kParts = 5;

  absl::Mutex mu_;
  absl::CondVar changed_;  //!< a part answered, or stopping
  absl::CondVar published_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<dr::RegionView> parts_ ABSL_GUARDED_BY(mu_);  //!< regions * kParts
  std::vector<dr::DnsView> dns_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> answered_ ABSL_GUARDED_BY(mu_);  //!< per slot (+1: DNS)
  //! When each slot's probe in flight started (InfinitePast: none).
  std::vector<absl::Time> asking_since_ ABSL_GUARDED_BY(mu_);
  int64_t dirty_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time newest_ ABSL_GUARDED_BY(mu_) = absl::UnixEpoch();
  Snapshot snapshot_ ABSL_GUARDED_BY(mu_);
  std::deque<nlohmann::json> samples_ ABSL_GUARDED_BY(mu_);
  absl::Time last_sample_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::vector<std::thread> threads_;
};

}  // namespace tandem::console
