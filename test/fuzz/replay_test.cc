// Replays a fuzz target's seed corpus, plus deterministic mutations of each
// seed, in the normal test run (the libFuzzer build explores further; see
// fuzz/README.md).
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "google/protobuf/stubs/logging.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string Mutate(std::string s, std::mt19937& rng) {
  switch (rng() % 4) {
    case 0:  // flip bytes
      for (int i = 0, n = 1 + rng() % 4; i < n && !s.empty(); ++i)
        s[rng() % s.size()] ^= 1 << (rng() % 8);
      break;
    case 1:  // truncate
      if (!s.empty()) s.resize(rng() % s.size());
      break;
    case 2:  // insert random bytes
      for (int i = 0, n = 1 + rng() % 8; i < n; ++i) {
        s.insert(s.begin() + (s.empty() ? 0 : rng() % s.size()), static_cast<char>(rng()));
      }
      break;
    default:  // duplicate a slice
      if (!s.empty()) {
        size_t a = rng() % s.size(), n = 1 + rng() % (s.size() - a);
        s.insert(rng() % s.size(), s.substr(a, n));
      }
  }
  return s;
}

// Every seed, and 500 mutations of it, go through the target without a crash.
TEST(FuzzReplay, SeedsAndMutations) {
  std::vector<std::string> seeds;
  for (const auto& entry : std::filesystem::directory_iterator(FUZZ_CORPUS_DIR)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    seeds.push_back(ss.str());
  }
  ASSERT_FALSE(seeds.empty()) << "no seeds in " << FUZZ_CORPUS_DIR;
  google::protobuf::SetLogHandler(nullptr);  // mutated strings are often not UTF-8
  std::mt19937 rng(20261125);
  for (const std::string& seed : seeds) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(seed.data()), seed.size());
    std::string s = seed;
    for (int i = 0; i < 500; ++i) {
      s = (i % 50 == 0) ? seed : Mutate(s, rng);
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    }
  }
}

}  // namespace
