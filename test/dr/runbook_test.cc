// The runbook engine: steps run in order, each verified; finished steps are
// skipped when a runbook runs again (resume); unsafe steps are refused
// unless forced; --dry-run changes nothing; the journal records it all.
#include "dr/runbook.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "testing/temp_dir.h"

namespace tandem::dr {
namespace {

// A world of named facts that steps make true.
struct World {
  std::map<std::string, bool> facts;
  std::map<std::string, int> runs;
  std::string fail_once;  // a step whose first run fails
  Step Make(const std::string& id, std::function<std::string()> unsafe = nullptr) {
    Step s;
    s.id = id;
    s.description = "make " + id;
    s.done = [this, id]() -> absl::StatusOr<bool> { return facts[id]; };
    s.run = [this, id]() -> absl::Status {
      ++runs[id];
      if (fail_once == id) {
        fail_once.clear();
        return absl::UnavailableError("the host did not answer");
      }
      facts[id] = true;
      return absl::OkStatus();
    };
    s.unsafe = std::move(unsafe);
    return s;
  }
};

RunOptions Quiet(const std::string& journal = "") {
  RunOptions o;
  o.journal = journal;
  o.verify_timeout = absl::Milliseconds(200);
  o.verify_interval = absl::Milliseconds(10);
  return o;
}

TEST(Runbook, RunsStepsInOrderAndSkipsWhatIsDone) {
  World w;
  w.facts["b"] = true;
  std::vector<std::string> progress;
  RunOptions o = Quiet();
  o.progress = [&](const std::string& line) { progress.push_back(line); };
  RunReport r = RunRunbook("failover", {w.Make("a"), w.Make("b"), w.Make("c")}, o);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.steps.size(), 3u);
  EXPECT_EQ(r.steps[0].outcome, "done");
  EXPECT_EQ(r.steps[1].outcome, "already done");
  EXPECT_EQ(r.steps[2].outcome, "done");
  EXPECT_EQ(w.runs["b"], 0);
  EXPECT_EQ(progress.front(), "[1/3] make a ...");
  // Again: everything is in place, nothing runs.
  r = RunRunbook("failover", {w.Make("a"), w.Make("b"), w.Make("c")}, Quiet());
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(w.runs["a"], 1);
  EXPECT_EQ(w.runs["c"], 1);
}

TEST(Runbook, AnInterruptedRunbookResumes) {
  testing::TempDir dir;
  const std::string journal = dir.file("journal");
  World w;
  w.fail_once = "b";
  RunReport r = RunRunbook("failover", {w.Make("a"), w.Make("b"), w.Make("c")}, Quiet(journal));
  EXPECT_EQ(r.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(r.status.message().find("b: the host did not answer"), std::string::npos);
  EXPECT_EQ(r.steps[1].outcome, "failed");
  EXPECT_EQ(r.steps[2].outcome, "not reached");
  EXPECT_EQ(w.runs["c"], 0);
  // Another runbook may not start while this one is unfinished...
  World other;
  RunReport refused = RunRunbook("switchover", {other.Make("x")}, Quiet(journal));
  EXPECT_EQ(refused.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status.message().find("'failover' was started and did not finish"),
            std::string::npos);
  EXPECT_EQ(other.runs["x"], 0);
  // ... but the same one resumes: a is skipped, b and c run.
  r = RunRunbook("failover", {w.Make("a"), w.Make("b"), w.Make("c")}, Quiet(journal));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.steps[0].outcome, "already done");
  EXPECT_EQ(w.runs["a"], 1);
  EXPECT_EQ(w.runs["b"], 2);
  EXPECT_EQ(w.runs["c"], 1);
  // Finished: the other runbook may run now.
  EXPECT_TRUE(RunRunbook("switchover", {other.Make("x")}, Quiet(journal)).status.ok());
  // A line cut short (the machine died while writing it) is skipped, and
  // does not swallow the next entry.
  std::ofstream(journal, std::ios::app) << R"({"event":"begin","runb)";
  EXPECT_TRUE(RunRunbook("switchover", {other.Make("x")}, Quiet(journal)).status.ok());
  std::vector<std::string> seen;
  for (const JournalEntry& e : ReadJournal(journal)) {
    EXPECT_FALSE(e.at.empty());
    seen.push_back(absl::StrCat(e.event, " ", e.runbook, e.step.empty() ? "" : " ", e.step,
                                e.state.empty() ? "" : " ", e.state));
  }
  EXPECT_THAT(seen, ::testing::ElementsAre(
                        "begin failover", "step failover a started", "step failover a done",
                        "step failover b started", "step failover b failed", "begin failover",
                        "step failover b started", "step failover b done",
                        "step failover c started", "step failover c done", "end failover",
                        "begin switchover", "step switchover x started", "step switchover x done",
                        "end switchover", "begin switchover", "end switchover"));
  EXPECT_TRUE(ReadJournal(dir.file("none")).empty());
}

TEST(Runbook, UnsafeStepsAreRefusedUnlessForced) {
  World w;
  auto unsafe = [] { return std::string("the old primary is writable and not fenced"); };
  RunReport r = RunRunbook("failover", {w.Make("a"), w.Make("promote", unsafe)}, Quiet());
  EXPECT_EQ(r.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status.message().find("refused: the old primary is writable"), std::string::npos);
  EXPECT_EQ(r.steps[1].outcome, "refused");
  EXPECT_EQ(w.runs["promote"], 0);
  RunOptions forced = Quiet();
  forced.force = true;
  r = RunRunbook("failover", {w.Make("a"), w.Make("promote", unsafe)}, forced);
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(w.runs["promote"], 1);
}

TEST(Runbook, DryRunChangesNothing) {
  testing::TempDir dir;
  World w;
  w.facts["a"] = true;
  RunOptions o = Quiet(dir.file("journal"));
  o.dry_run = true;
  RunReport r = RunRunbook("failover", {w.Make("a"), w.Make("b")}, o);
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(r.steps[0].outcome, "already done");
  EXPECT_EQ(r.steps[1].outcome, "would run");
  EXPECT_EQ(w.runs["b"], 0);
  EXPECT_FALSE(std::ifstream(dir.file("journal")).good());
}

// A dry run shows the whole plan: a refused step is marked and the steps
// after it are still judged ("would run"), not "not reached"; a step's
// assumed effect makes a later unsafe check pass, as it would for real.
TEST(Runbook, DryRunShowsTheWholePlanWithRefusedStepsMarked) {
  World w;
  bool fenced = false;
  auto unless_fenced = [&fenced] {
    return fenced ? std::string() : std::string("the old primary is writable and not fenced");
  };
  RunOptions o = Quiet();
  o.dry_run = true;
  // Without a fence step: the promotion is refused, the step after it judged.
  RunReport r = RunRunbook("failover", {w.Make("promote", unless_fenced), w.Make("dns")}, o);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_EQ(r.steps[0].outcome, "refused");
  EXPECT_EQ(r.steps[1].outcome, "would run");
  // With a fence step that would run first, the promotion would be safe.
  Step fence = w.Make("fence");
  fence.assume_ran = [&fenced] { fenced = true; };
  r = RunRunbook("failover", {fence, w.Make("promote", unless_fenced), w.Make("dns")}, o);
  EXPECT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.steps[1].outcome, "would run");
  EXPECT_EQ(w.runs["fence"] + w.runs["promote"] + w.runs["dns"], 0);
}

TEST(Runbook, AStepWhoseEffectNeverShowsFails) {
  World w;
  Step s = w.Make("a");
  s.run = [] { return absl::OkStatus(); };  // claims success, changes nothing
  RunReport r = RunRunbook("failover", {s, w.Make("b")}, Quiet());
  EXPECT_EQ(r.status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(r.status.message().find("its effect is not visible"), std::string::npos);
  EXPECT_EQ(w.runs["b"], 0);
}

}  // namespace
}  // namespace tandem::dr
