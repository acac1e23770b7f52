// The SCS's audit file: entries appended as JSON lines (existing ones kept),
// created 0600, and an unwritable file is an error that says so (the SCS
// then refuses the action instead of acting unaudited).
#include "scs/audit_log.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/temp_dir.h"

namespace tandem::scs {
namespace {

TEST(AuditLogTest, AppendsJsonLinesAndRefusesWhatItCannotWrite) {
  testing::TempDir dir;
  const std::string path = dir.file("audit.jsonl");
  { std::ofstream(path) << "{\"earlier\":true}\n"; }
  chmod(path.c_str(), 0600);
  AuditLog log(path);
  ASSERT_TRUE(log.CheckWritable().ok());
  AuditEntry e{absl::FromUnixSeconds(1800000000), "person carol", "192.0.2.7", "start",
               "application billing", "allowed", "billing"};
  ASSERT_TRUE(log.Append(e).ok());
  e.who = "person \"dave\"\n";  // quotes and newlines stay inside one line
  e.outcome = "refused";
  ASSERT_TRUE(log.Append(e).ok());
  std::ifstream in(path);
  std::string line;
  std::vector<nlohmann::json> lines;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[0]["earlier"]);
  EXPECT_EQ(lines[1]["who"], "person carol");
  EXPECT_EQ(lines[1]["at"], "2027-01-15T08:00:00.000Z");
  EXPECT_EQ(lines[1]["peer"], "192.0.2.7");
  EXPECT_EQ(lines[2]["who"], "person \"dave\"\n");
  EXPECT_EQ(lines[2]["outcome"], "refused");

  AuditLog fresh(dir.file("new.jsonl"));
  ASSERT_TRUE(fresh.Append(e).ok());
  struct stat st {};
  ASSERT_EQ(stat(dir.file("new.jsonl").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the audit is for administrators only";

  AuditLog broken(dir.file("no/such/dir/audit.jsonl"));
  absl::Status c = broken.CheckWritable();
  EXPECT_EQ(c.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.message().find("[scs] audit_file"), std::string::npos) << c.message();
  absl::Status a = broken.Append(e);
  EXPECT_FALSE(a.ok());
  EXPECT_NE(a.message().find("no control action is carried out unaudited"), std::string::npos)
      << a.message();
  EXPECT_TRUE(AuditLog("").Append(e).ok()) << "no file: the log only";
}

}  // namespace
}  // namespace tandem::scs
