#include "testing/metrics_scrape.h"

#include <unistd.h>

#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace tandem::testing {

std::string MetricsToml(int port) {
  return absl::StrCat("[metrics]\nlisten = \"127.0.0.1:", port, "\"\n");
}

// GET /metrics, parsed by prometheus_client; a parse error fails the test.
Samples Scrape(int port) {
  httplib::Client http("127.0.0.1", port);
  auto res = http.Get("/metrics");
  if (!res || res->status != 200) {
    ADD_FAILURE() << "GET /metrics on port " << port << " failed";
    return {};
  }
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  char path[] = "/tmp/tandem-metrics-XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, res->body.data(), res->body.size()), static_cast<ssize_t>(res->body.size()));
  close(fd);
  const std::string cmd = absl::StrCat("/usr/bin/python3 ", TANDEM_SOURCE_DIR,
                                       "/test/integration/parse_metrics.py < ", path, " 2>&1");
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  unlink(path);
  EXPECT_EQ(status, 0) << out << "\n--- the metrics:\n" << res->body;
  Samples samples;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> kv = absl::StrSplit(line, '\t');
    if (kv.size() == 2) samples[kv[0]] = std::stod(kv[1]);
  }
  return samples;
}

double At(const Samples& s, const std::string& key) {
  auto it = s.find(key);
  if (it == s.end()) {
    ADD_FAILURE() << "no sample " << key;
    return -1;
  }
  return it->second;
}

}  // namespace tandem::testing
