#include "metrics/registry.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace tandem::metrics {
namespace {

bool ValidName(const std::string& name, bool colons) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (colons && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string LabelText(const std::vector<std::pair<std::string, std::string>>& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ",", labels[i].first, "=\"",
                    EscapeLabelValue(labels[i].second), "\"");
  }
  return out + "}";
}

std::vector<std::pair<std::string, std::string>> Zip(const std::vector<std::string>& names,
                                                     const LabelValues& values) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < names.size(); ++i) out.emplace_back(names[i], values[i]);
  return out;
}

std::string Header(const std::string& name, const std::string& type, const std::string& help) {
  std::string escaped;
  for (char c : help) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return absl::StrCat("# HELP ", name, " ", escaped, "\n# TYPE ", name, " ", type, "\n");
}

// Samples written by collectors, grouped by name.
class Collected final : public SampleWriter {
 public:
  struct Block {
    std::string type, help, lines;
  };
  void Gauge(const std::string& name, const std::string& help,
             const std::vector<std::pair<std::string, std::string>>& labels,
             double value) override {
    Add(name, "gauge", help, labels, value);
  }
  void Counter(const std::string& name, const std::string& help,
               const std::vector<std::pair<std::string, std::string>>& labels,
               double value) override {
    Add(name, "counter", help, labels, value);
  }
  std::map<std::string, Block> blocks;

 private:
  void Add(const std::string& name, const char* type, const std::string& help,
           const std::vector<std::pair<std::string, std::string>>& labels, double value) {
    TANDEM_CHECK(ValidName(name, true), "invalid metric name");
    for (const auto& [k, v] : labels) TANDEM_CHECK(ValidName(k, false), "invalid label name");
    Block& b = blocks[name];
    if (b.type.empty()) {
      b.type = type;
      b.help = help;
    }
    absl::StrAppend(&b.lines, name, LabelText(labels), " ", FormatValue(value), "\n");
  }
};

}  // namespace

std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  // The shortest text that reads back as v (0.0005, not 0.00050000000000000001).
  char buf[32];
  const auto end =
      std::to_chars(buf, buf + sizeof(buf), v,
                    std::fabs(v) >= 1e-6 ? std::chars_format::fixed : std::chars_format::general)
          .ptr;
  return std::string(buf, end);
}

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), counts_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

const std::vector<double>& LatencyBuckets() {
  static const auto* b = new std::vector<double>{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                 0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return *b;
}

template <typename Cell>
Cell* Family<Cell>::With(const LabelValues& values) {
  TANDEM_CHECK(values.size() == label_names_.size(), "one value per label name");
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Cell>& cell = cells_[values];
  if (cell == nullptr) {
    if constexpr (std::is_same_v<Cell, Histogram>) {
      cell = std::make_unique<Histogram>(bounds_);
    } else {
      cell = std::make_unique<Cell>();
    }
  }
  return cell.get();
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

struct Registry::FamilyBase {
  std::string type, help;
  std::vector<std::string> label_names;
  std::unique_ptr<Family<metrics::Counter>> counter;
  std::unique_ptr<Family<metrics::Gauge>> gauge;
  std::unique_ptr<Family<metrics::Histogram>> histogram;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry& Registry::Default() {
  static Registry* registry = new Registry();
  return *registry;
}

Registry::FamilyBase& Registry::Find(const std::string& name, const std::string& type,
                                     const std::string& help,
                                     const std::vector<std::string>& label_names) {
  TANDEM_CHECK(ValidName(name, true), "invalid metric name");
  for (const std::string& l : label_names) {
    TANDEM_CHECK(ValidName(l, false) && l != "le", "invalid label name");
  }
  absl::MutexLock lock(&mu_);
  std::unique_ptr<FamilyBase>& f = families_[name];
  if (f == nullptr) {
    f = std::make_unique<FamilyBase>();
    f->type = type;
    f->help = help;
    f->label_names = label_names;
  }
  TANDEM_CHECK(f->type == type && f->label_names == label_names,
               "a metric name registered twice with another type or labels");
  return *f;
}

Family<Counter>& Registry::Counter(const std::string& name, const std::string& help,
                                   const std::vector<std::string>& label_names) {
  FamilyBase& f = Find(name, "counter", help, label_names);
  absl::MutexLock lock(&mu_);
  if (f.counter == nullptr) f.counter.reset(new Family<metrics::Counter>(label_names, {}));
  return *f.counter;
}

Family<Gauge>& Registry::Gauge(const std::string& name, const std::string& help,
                               const std::vector<std::string>& label_names) {
  FamilyBase& f = Find(name, "gauge", help, label_names);
  absl::MutexLock lock(&mu_);
  if (f.gauge == nullptr) f.gauge.reset(new Family<metrics::Gauge>(label_names, {}));
  return *f.gauge;
}

Family<Histogram>& Registry::Histogram(const std::string& name, const std::string& help,
                                       const std::vector<std::string>& label_names,
                                       const std::vector<double>& bounds) {
  for (size_t i = 1; i < bounds.size(); ++i)
    TANDEM_CHECK(bounds[i - 1] < bounds[i], "bucket bounds ascend");
  FamilyBase& f = Find(name, "histogram", help, label_names);
  absl::MutexLock lock(&mu_);
  if (f.histogram == nullptr) {
    f.histogram.reset(new Family<metrics::Histogram>(label_names, bounds));
  }
  return *f.histogram;
}

CollectorHandle Registry::AddCollector(std::function<void(SampleWriter&)> collect) {
  absl::MutexLock lock(&collect_mu_);
  const uint64_t id = next_id_++;
  collectors_[id] = std::move(collect);
  return CollectorHandle(this, id);
}

void Registry::RemoveCollector(uint64_t id) {
  absl::MutexLock lock(&collect_mu_);
  collectors_.erase(id);
}

std::string Registry::Render() {
  std::map<std::string, std::string> blocks;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, f] : families_) {
      std::string text = Header(name, f->type, f->help);
      if (f->counter != nullptr || f->gauge != nullptr) {
        auto write = [&](auto& family) {
          absl::MutexLock cells(&family.mu_);
          for (const auto& [values, cell] : family.cells_) {
            absl::StrAppend(&text, name, LabelText(Zip(f->label_names, values)), " ",
                            FormatValue(cell->value()), "\n");
          }
        };
        if (f->counter != nullptr) write(*f->counter);
        if (f->gauge != nullptr) write(*f->gauge);
      } else if (f->histogram != nullptr) {
        absl::MutexLock cells(&f->histogram->mu_);
        for (const auto& [values, h] : f->histogram->cells_) {
          auto labels = Zip(f->label_names, values);
          uint64_t cumulative = 0;
          for (size_t i = 0; i <= h->bounds().size(); ++i) {
            cumulative += h->bucket(i);
            auto with_le = labels;
            with_le.emplace_back(
                "le", i < h->bounds().size() ? FormatValue(h->bounds()[i]) : std::string("+Inf"));
            absl::StrAppend(&text, name, "_bucket", LabelText(with_le), " ", cumulative, "\n");
          }
          absl::StrAppend(&text, name, "_sum", LabelText(labels), " ", FormatValue(h->sum()), "\n",
                          name, "_count", LabelText(labels), " ", cumulative, "\n");
        }
      }
      // A family without cells yet (no call of that kind) is left out.
      if (text.size() > Header(name, f->type, f->help).size()) blocks[name] = std::move(text);
    }
  }
  Collected collected;
  {
    absl::MutexLock lock(&collect_mu_);
    for (auto& [id, collect] : collectors_) collect(collected);
  }
  for (auto& [name, b] : collected.blocks) {
    if (blocks.contains(name)) continue;  // a family of that name wins
    blocks[name] = Header(name, b.type, b.help) + b.lines;
  }
  std::string out;
  for (auto& [name, text] : blocks) out += text;
  return out;
}

CollectorHandle::CollectorHandle(CollectorHandle&& other) noexcept
    : registry_(other.registry_), id_(other.id_) {
  other.registry_ = nullptr;
}

CollectorHandle& CollectorHandle::operator=(CollectorHandle&& other) noexcept {
  if (this != &other) {
    if (registry_ != nullptr) registry_->RemoveCollector(id_);
    registry_ = other.registry_;
    id_ = other.id_;
    other.registry_ = nullptr;
  }
  return *this;
}

CollectorHandle::~CollectorHandle() {
  if (registry_ != nullptr) registry_->RemoveCollector(id_);
}

}  // namespace tandem::metrics
