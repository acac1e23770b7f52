#include "ctl/suggest.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/match.h"

namespace tandem::ctl {

size_t EditDistance(absl::string_view a, absl::string_view b) {
  // Optimal string alignment: insertions, deletions, substitutions and
  // transpositions of neighbours ("lsit" is one step from "list").
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string ClosestMatch(absl::string_view typed, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const std::string& c : candidates) {
    const size_t d = EditDistance(typed, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  if (!best.empty() && best_distance <= 2 && best_distance * 2 <= typed.size()) {
    return best;
  }
  if (typed.size() >= 2) {
    std::vector<std::string> prefixed;
    for (const std::string& c : candidates) {
      if (absl::StartsWith(c, typed)) prefixed.push_back(c);
    }
    if (prefixed.size() == 1) return prefixed[0];
  }
  return "";
}

}  // namespace tandem::ctl
