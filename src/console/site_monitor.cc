#include "console/site_monitor.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "dr/status_json.h"
#include "spdlog/spdlog.h"

namespace tandem::console {

namespace {

constexpr auto& kPartOrder = dr::kStatusParts;

// How often a sleeping thread looks at the (possibly simulated) clock.
constexpr absl::Duration kTick = absl::Milliseconds(100);

// Region r's view from its parts' slots.
dr::RegionView Assemble(std::vector<dr::RegionView>& slots, size_t r) {
  return dr::CombineParts(&slots[r * std::size(kPartOrder)]);
}

}  // namespace

SiteMonitor::Probes SiteMonitor::Real(const dr::Site& site, const std::string& journal) {
  auto shared = std::make_shared<const dr::Site>(site);
  Probes p;
  p.regions = site.regions.size();
  p.part = [shared](size_t region, dr::StatusPart part, dr::RegionView& into) {
    dr::ProbePart(*shared, region, part, into);
  };
  p.dns = [shared] { return dr::LookupNames(*shared); };
  p.derive = [shared, journal](std::vector<dr::RegionView> regions, std::vector<dr::DnsView> dns) {
    return dr::DeriveStatus(*shared, std::move(regions), std::move(dns), journal);
  };
  return p;
}

SiteMonitor::SiteMonitor(Probes probes, const Clock& clock, absl::Duration refresh,
                         absl::Duration overdue)
    : probes_(std::move(probes)), clock_(clock), refresh_(refresh), overdue_(overdue) {
  static_assert(std::size(kPartOrder) == kParts);
  const size_t slots = probes_.regions * kParts + 1;  // + DNS
  {
    absl::MutexLock lock(&mu_);
    parts_.resize(probes_.regions * kParts);
    answered_.assign(slots, false);
    asking_since_.assign(slots, absl::InfinitePast());
  }
  threads_.emplace_back([this] { Publisher(); });
  for (size_t slot = 0; slot < slots; ++slot)
    threads_.emplace_back([this, slot] { PartLoop(slot); });
}

SiteMonitor::~SiteMonitor() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    changed_.SignalAll();
    published_.SignalAll();
  }
  for (std::thread& t : threads_) t.join();
}

void SiteMonitor::SleepUntil(absl::Time until) {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    const absl::Duration left = until - clock_.Now();
    if (left <= absl::ZeroDuration()) return;
    changed_.WaitWithTimeout(&mu_, std::min(left, kTick));
  }
}

void SiteMonitor::PartLoop(size_t slot) {
  const bool is_dns = slot == probes_.regions * kParts;
  while (true) {
    const absl::Time started = clock_.Now();
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      asking_since_[slot] = started;
    }
    dr::RegionView part;
    std::vector<dr::DnsView> dns;
    if (is_dns) {
      dns = probes_.dns();
    } else {
      probes_.part(slot / kParts, kPartOrder[slot % kParts], part);
    }
    spdlog::debug("console: Regions part {} answered in {}", slot,
                  absl::FormatDuration(clock_.Now() - started));
    {
      absl::MutexLock lock(&mu_);
      if (is_dns) {
        dns_ = std::move(dns);
      } else {
        parts_[slot] = std::move(part);
      }
      answered_[slot] = true;
      asking_since_[slot] = absl::InfinitePast();
      ++dirty_;
      newest_ = clock_.Now();
      changed_.SignalAll();
    }
    SleepUntil(started + refresh_);
  }
}

namespace {

// What an overdue part says meanwhile: nothing in it answers.
void MarkSilent(dr::RegionView& part, size_t index, const std::string& why) {
  switch (kPartOrder[index]) {
    case dr::StatusPart::kDbms:
      part.dbms_reachable = false;
      part.dbms_error = why;
      return;
    case dr::StatusPart::kMasters:
    case dr::StatusPart::kProxies:
      for (dr::ServerView& v :
           kPartOrder[index] == dr::StatusPart::kMasters ? part.masters : part.proxies) {
        v.reachable = false;
        v.error = why;
      }
      return;
    case dr::StatusPart::kScs:
      for (dr::ScsView& v : part.scs) {
        v.reachable = false;
        v.error = why;
      }
      return;
    case dr::StatusPart::kMessageServers:
      for (dr::MsgServerView& v : part.message_servers) {
        v.reachable = false;
        v.error = why;
      }
      return;
  }
}

}  // namespace

void SiteMonitor::Publisher() {
  int64_t seen = 0;
  std::vector<bool> overdue_seen;
  while (true) {
    std::vector<dr::RegionView> slots;
    std::vector<dr::DnsView> dns;
    std::vector<bool> overdue;
    absl::Time newest;
    absl::Time now;
    {
      absl::MutexLock lock(&mu_);
      // Woken by an answer, or every tick to see whether a probe in flight
      // has become overdue.
      while (true) {
        if (stopping_) return;
        now = clock_.Now();
        overdue.assign(asking_since_.size(), false);
        for (size_t i = 0; i < asking_since_.size(); ++i) {
          overdue[i] = answered_[i] && asking_since_[i] != absl::InfinitePast() &&
                       now - asking_since_[i] > overdue_;
        }
        const bool all = std::all_of(answered_.begin(), answered_.end(), [](bool a) { return a; });
        if (all && (dirty_ != seen || overdue != overdue_seen)) break;
        changed_.WaitWithTimeout(&mu_, kTick);
      }
      seen = dirty_;
      overdue_seen = overdue;
      slots = parts_;
      dns = dns_;
      newest = newest_;
    }
    for (size_t i = 0; i < slots.size(); ++i) {
      if (!overdue[i]) continue;
      MarkSilent(slots[i], i % kParts,
                 absl::StrCat("no answer for ", absl::FormatDuration(overdue_),
                              " (still asking; the last answer was older)"));
    }
    if (overdue.back()) {
      for (dr::DnsView& d : dns) {
        d.addresses.clear();
        d.error = absl::StrCat("no answer for ", absl::FormatDuration(overdue_), " (still asking)");
      }
    }
    std::vector<dr::RegionView> regions;
    for (size_t r = 0; r < probes_.regions; ++r) regions.push_back(Assemble(slots, r));
    nlohmann::json view = dr::SiteViewJson(probes_.derive(std::move(regions), std::move(dns)));
    absl::MutexLock lock(&mu_);
    if (now - last_sample_ >= kSampleEvery) {
      last_sample_ = now;
      nlohmann::json regions_sample = nlohmann::json::object();
      for (const nlohmann::json& r : view["regions"]) {
        nlohmann::json one = {{"live", view.value("live_region", "") == r.value("name", "")}};
        if (r.value("dbms_reachable", false)) {
          one["revision"] = r.value("revision", int64_t{0});
          int64_t lag = 0;
          double lag_s = 0;
          for (const nlohmann::json& sb : r.value("standbys", nlohmann::json::array())) {
            lag = std::max(lag, sb.value("lag_bytes", int64_t{0}));
            lag_s = std::max(lag_s, sb.value("replay_lag_s", 0.0));
          }
          if (!r.value("standbys", nlohmann::json::array()).empty()) {
            one["lag_bytes"] = lag;
            one["replay_lag_s"] = lag_s;
          }
        }
        regions_sample[r.value("name", "")] = std::move(one);
      }
      samples_.push_back(
          {{"at_ms", absl::ToUnixMillis(now)}, {"regions", std::move(regions_sample)}});
      while (samples_.size() > kSamplesKept) samples_.pop_front();
    }
    if (snapshot_.generation == 0 || view != snapshot_.view) {
      ++snapshot_.generation;
      snapshot_.view = std::move(view);
    }
    snapshot_.at = std::max(newest, snapshot_.at);
    published_.SignalAll();
  }
}

SiteMonitor::Snapshot SiteMonitor::Next(int64_t after, absl::Duration timeout,
                                        const std::atomic<bool>& stop) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::MutexLock lock(&mu_);
  while (snapshot_.generation <= after && !stopping_ && !stop.load()) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    published_.WaitWithTimeout(&mu_, std::min(left, absl::Milliseconds(250)));
  }
  return snapshot_;
}

nlohmann::json SiteMonitor::History() {
  absl::MutexLock lock(&mu_);
  nlohmann::json samples = nlohmann::json::array();
  for (const nlohmann::json& x : samples_) samples.push_back(x);
  return {{"every_s", absl::ToInt64Seconds(kSampleEvery)}, {"samples", std::move(samples)}};
}

}  // namespace tandem::console
