// The parts of DBMS tooling that need no server: address and WAL-position
// parsing, synchronous_standby_names, running programs. (The operations
// themselves are tested against real clusters in
// test/integration/replication_test.cc.)
#include "dbadmin/dbadmin.h"

#include <gtest/gtest.h>

#include "common/subprocess.h"
#include "tandem/storage/pg_admin.h"

namespace tandem {
namespace {

using dbadmin::NormalizeCidr;
using storage::pgadmin::ParseLsn;
using storage::pgadmin::SyncStandbyNames;

TEST(NormalizeCidr, AcceptsAddressesAndPrefixes) {
  EXPECT_EQ(*NormalizeCidr("198.51.100.7"), "198.51.100.7/32");
  EXPECT_EQ(*NormalizeCidr(" 198.51.100.7/24 "), "198.51.100.0/24");
  EXPECT_EQ(*NormalizeCidr("2001:db8::1"), "2001:db8::1/128");
  EXPECT_EQ(*NormalizeCidr("2001:db8:ffff::/32"), "2001:db8::/32");
  EXPECT_EQ(*NormalizeCidr("0.0.0.0/0"), "0.0.0.0/0");
}

TEST(NormalizeCidr, RefusesGarbage) {
  for (const char* bad : {"", "198.51.100.300", "db1", "198.51.100.7/33", "198.51.100.7/",
                          "198.51.100.7/x", "2001:db8::/129", "198.51.100.7/-1"}) {
    auto r = NormalizeCidr(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ParseLsn, ReadsWalPositions) {
  EXPECT_EQ(*ParseLsn("0/0"), 0u);
  EXPECT_EQ(*ParseLsn("16/B374D848"), (uint64_t{0x16} << 32) | 0xB374D848u);
  EXPECT_EQ(*ParseLsn("FFFFFFFF/FFFFFFFF"), ~uint64_t{0});
  for (const char* bad : {"", "/", "1/", "/1", "x/1", "1/2/3", "100000000/0"}) {
    EXPECT_FALSE(ParseLsn(bad).ok()) << bad;
  }
}

TEST(SyncStandbyNames, ListsTheNames) {
  using V = std::vector<std::string>;
  EXPECT_EQ(SyncStandbyNames(""), V{});
  EXPECT_EQ(SyncStandbyNames("region2"), V{"region2"});
  EXPECT_EQ(SyncStandbyNames("a, b"), (V{"a", "b"}));
  EXPECT_EQ(SyncStandbyNames("FIRST 1 (a, \"B c\")"), (V{"a", "B c"}));
  EXPECT_EQ(SyncStandbyNames("ANY 2 (a,b,c)"), (V{"a", "b", "c"}));
  EXPECT_EQ(SyncStandbyNames("*"), V{"*"});
}

TEST(Subprocess, CapturesOutputAndExitCode) {
  auto r = RunSubprocess({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->output, "out\nerr\n");
  auto checked = RunChecked({"sh", "-c", "echo why; exit 1"});
  EXPECT_FALSE(checked.ok());
  EXPECT_NE(checked.status().message().find("why"), std::string::npos);
  EXPECT_EQ(*RunChecked({"echo", "a b", "it's"}), "a b it's\n");
}

TEST(Subprocess, MissingProgramAndTimeout) {
  auto r = RunSubprocess({"/nonexistent/tool"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 127);
  EXPECT_NE(r->output.find("cannot run /nonexistent/tool"), std::string::npos);
  SubprocessOptions o;
  o.timeout = absl::Milliseconds(200);
  auto slow = RunSubprocess({"sleep", "30"}, o);
  EXPECT_EQ(slow.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(CommandLine({"pg_ctl", "-o", "-p 5433", "it's"}), "pg_ctl -o '-p 5433' 'it'\\''s'");
}

}  // namespace
}  // namespace tandem
