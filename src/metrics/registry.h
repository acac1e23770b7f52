// Metrics of one process in the Prometheus text format (version 0.0.4):
// counters, gauges and histograms with labels, updated where things happen,
// and collectors that report values at scrape time from the component that
// owns them. Every daemon serves Default() on [metrics] listen.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace tandem::metrics {

//! Label values in the order of the family's label names.
using LabelValues = std::vector<std::string>;

//! A monotonically increasing count. Thread-safe, lock-free.
class Counter {
 public:
  void Increment(double by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

//! A value that goes up and down. Thread-safe, lock-free.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double by) { value_.fetch_add(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

//! Observations counted into fixed buckets (upper bounds, ascending).
//! Thread-safe, lock-free.
class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);
  void Observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  //! Non-cumulative count of bucket i (i == bounds().size(): above the last).
  uint64_t bucket(size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

//! Buckets for latencies in seconds: 0.5 ms to 10 s.
const std::vector<double>& LatencyBuckets();

//! Writes samples during a scrape (see Registry::AddCollector).
class SampleWriter {
 public:
  virtual ~SampleWriter() = default;
  virtual void Gauge(const std::string& name, const std::string& help,
                     const std::vector<std::pair<std::string, std::string>>& labels,
                     double value) = 0;
  virtual void Counter(const std::string& name, const std::string& help,
                       const std::vector<std::pair<std::string, std::string>>& labels,
                       double value) = 0;
};

class Registry;

//! Keeps a collector registered; destroying it waits for a scrape that is
//! calling the collector. Do not destroy it while holding a lock the
//! collector takes.
class CollectorHandle {
 public:
  CollectorHandle() = default;
  CollectorHandle(CollectorHandle&& other) noexcept;
  CollectorHandle& operator=(CollectorHandle&& other) noexcept;
  ~CollectorHandle();

 private:
  friend class Registry;
  CollectorHandle(Registry* registry, uint64_t id) : registry_(registry), id_(id) {}
  Registry* registry_ = nullptr;
  uint64_t id_ = 0;
};

template <typename Cell>
class Family;

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  //! The process's registry, served by MetricsServer.
  static Registry& Default();

  //! The family `name`, created on first use. Names and label names must be
  //! valid Prometheus names, and a name keeps its type, help and labels: a
  //! mismatch is a programming error and crashes.
  Family<metrics::Counter>& Counter(const std::string& name, const std::string& help,
                                    const std::vector<std::string>& label_names = {});
  Family<metrics::Gauge>& Gauge(const std::string& name, const std::string& help,
                                const std::vector<std::string>& label_names = {});
  Family<metrics::Histogram>& Histogram(const std::string& name, const std::string& help,
                                        const std::vector<std::string>& label_names = {},
                                        const std::vector<double>& bounds = LatencyBuckets());

  //! `collect` is called on every scrape, on the scraping thread, and writes
  //! values that its component owns (a revision, a mode, a count of states).
  [[nodiscard]] CollectorHandle AddCollector(std::function<void(SampleWriter&)> collect);

  //! Every family and every collector's samples, in the text format.
  std::string Render();

 private:
  friend class CollectorHandle;
  struct FamilyBase;
  FamilyBase& Find(const std::string& name, const std::string& type, const std::string& help,
                   const std::vector<std::string>& label_names);
  void RemoveCollector(uint64_t id);

  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<FamilyBase>> families_ ABSL_GUARDED_BY(mu_);
  // Held while collectors run, so that removing one waits for them.
  absl::Mutex collect_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::map<uint64_t, std::function<void(SampleWriter&)>> collectors_ ABSL_GUARDED_BY(collect_mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(collect_mu_) = 1;
};

//! The cells of one metric name, one per combination of label values.
template <typename Cell>
class Family {
 public:
  //! The cell for these label values (one per label name), created on
  //! first use; the pointer stays valid for the registry's life.
  Cell* With(const LabelValues& values = {});

 private:
  friend class Registry;
  Family(std::vector<std::string> label_names, std::vector<double> bounds)
      : label_names_(std::move(label_names)), bounds_(std::move(bounds)) {}
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;
  absl::Mutex mu_;
  std::map<LabelValues, std::unique_ptr<Cell>> cells_ ABSL_GUARDED_BY(mu_);
};

//! "a\"b" for a label value or help text (backslash, quote, newline).
std::string EscapeLabelValue(const std::string& v);
//! A sample value: integers without a fraction, +Inf, -Inf, NaN.
std::string FormatValue(double v);

}  // namespace tandem::metrics
