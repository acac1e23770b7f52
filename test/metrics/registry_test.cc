#include "metrics/registry.h"

#include <gtest/gtest.h>

namespace tandem::metrics {
namespace {

// Counters, gauges and label values render in the text format, with
// quotes, backslashes and newlines in values escaped.
TEST(Registry, RendersFamiliesWithEscapedLabels) {
  Registry r;
  r.Counter("a_total", "A count.", {"who"}).With({"x\"y\\z\nw"})->Increment(2);
  r.Gauge("b", "A\nvalue.").With()->Set(0.25);
  EXPECT_EQ(r.Render(),
            "# HELP a_total A count.\n# TYPE a_total counter\n"
            "a_total{who=\"x\\\"y\\\\z\\nw\"} 2\n"
            "# HELP b A\\nvalue.\n# TYPE b gauge\nb 0.25\n");
}

// Histogram buckets are cumulative and end with +Inf, _count and _sum.
TEST(Registry, HistogramBucketsAreCumulative) {
  Registry r;
  Histogram* h = r.Histogram("t_seconds", "T.", {}, {0.1, 1}).With();
  h->Observe(0.05);
  h->Observe(0.5);
  h->Observe(5);
  EXPECT_EQ(r.Render(),
            "# HELP t_seconds T.\n# TYPE t_seconds histogram\n"
            "t_seconds_bucket{le=\"0.1\"} 1\nt_seconds_bucket{le=\"1\"} 2\n"
            "t_seconds_bucket{le=\"+Inf\"} 3\nt_seconds_sum 5.55\nt_seconds_count 3\n");
}

// A collector's samples appear while its handle lives, and not after.
TEST(Registry, CollectorsReportUntilTheirHandleGoes) {
  Registry r;
  {
    CollectorHandle h = r.AddCollector([](SampleWriter& w) {
      w.Gauge("c", "C.", {{"k", "v"}}, 7);
    });
    EXPECT_EQ(r.Render(), "# HELP c C.\n# TYPE c gauge\nc{k=\"v\"} 7\n");
  }
  EXPECT_EQ(r.Render(), "");
}

// Values: integers without a fraction, the shortest text otherwise.
TEST(Registry, FormatsValues) {
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(0.0005), "0.0005");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
}

}  // namespace
}  // namespace tandem::metrics
