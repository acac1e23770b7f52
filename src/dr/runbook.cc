#include "dr/runbook.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"

namespace tandem::dr {
namespace {

std::string Now() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
}

class Journal {
 public:
  explicit Journal(std::string path) : path_(std::move(path)) {}

  // The runbook an earlier run started and did not finish, if any.
  std::string Unfinished() const {
    if (path_.empty()) return "";
    std::string open;
    for (const JournalEntry& e : ReadJournal(path_)) {
      if (e.event == "begin") open = e.runbook;
      if (e.event == "end") open.clear();
    }
    return open;
  }

  absl::Status Write(nlohmann::json entry) {
    if (path_.empty()) return absl::OkStatus();
    entry["at"] = Now();
    // A line an earlier run's crash cut short stays alone on its line (this
    // run's own lines all end whole: looked at once).
    bool whole = true;
    if (!tail_checked_) {
      tail_checked_ = true;
      if (std::ifstream in(path_, std::ios::binary); in && in.seekg(-1, std::ios::end)) {
        whole = in.get() == '\n';
      }
    }
    std::ofstream out(path_, std::ios::app);
    out << (whole ? "" : "\n") << entry.dump() << "\n";
    out.flush();
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write the journal ", path_));
    return absl::OkStatus();
  }

 private:
  std::string path_;
  bool tail_checked_ = false;
};

}  // namespace

std::vector<JournalEntry> ReadJournal(const std::string& path) {
  std::vector<JournalEntry> entries;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) continue;
    auto text = [&](const char* key) {
      auto it = j.find(key);
      return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    entries.push_back({text("event"), text("runbook"), text("step"), text("state"), text("at")});
  }
  return entries;
}

RunReport RunRunbook(const std::string& name, const std::vector<Step>& steps,
                     const RunOptions& options) {
  RunReport report;
  report.runbook = name;
  const absl::Time t0 = absl::Now();
  report.started = t0;
  auto say = [&](const std::string& line) {
    if (options.progress) options.progress(line);
  };
  Journal journal(options.dry_run ? "" : options.journal);
  const std::string unfinished = journal.Unfinished();
  if (!unfinished.empty() && unfinished != name && !options.force) {
    report.status = absl::FailedPreconditionError(
        absl::StrCat("the runbook '", unfinished, "' was started and did not finish (journal ",
                     options.journal, "): run it again to finish it, or give --force"));
    return report;
  }
  if (absl::Status st = journal.Write({{"event", "begin"}, {"runbook", name}}); !st.ok()) {
    report.status = st;
    return report;
  }
  size_t i = 0;
  for (; i < steps.size(); ++i) {
    const Step& step = steps[i];
    const std::string head = absl::StrCat("[", i + 1, "/", steps.size(), "] ", step.description);
    StepResult result{step.id, "", absl::ZeroDuration(), "", absl::InfinitePast()};
    const absl::Time s0 = absl::Now();
    absl::StatusOr<bool> done = step.done();
    if (!done.ok()) {
      result.outcome = "failed";
      result.detail = absl::StrCat("cannot tell whether it is done: ", done.status().message());
      report.steps.push_back(result);
      if (report.status.ok()) {
        report.status =
            absl::Status(done.status().code(), absl::StrCat(step.id, ": ", result.detail));
      }
      say(absl::StrCat(head, ": FAILED: ", result.detail));
      if (options.dry_run) continue;  // the whole plan, problems marked
      break;
    }
    if (*done) {
      result.outcome = "already done";
      result.finished = absl::Now();
      result.took = result.finished - s0;  // the check itself (e.g. timeouts of dead hosts)
      report.steps.push_back(result);
      say(absl::StrCat(head, ": already done"));
      continue;
    }
    const std::string unsafe = step.unsafe ? step.unsafe() : "";
    if (!unsafe.empty() && !options.force) {
      result.outcome = "refused";
      result.detail = unsafe;
      report.steps.push_back(result);
      if (report.status.ok()) {
        report.status = absl::FailedPreconditionError(
            absl::StrCat(step.id, ": refused: ", unsafe, " (give --force to do it anyway)"));
      }
      say(absl::StrCat(head, ": REFUSED: ", unsafe));
      if (options.dry_run) continue;
      break;
    }
    if (options.dry_run) {
      result.outcome = "would run";
      result.detail = unsafe.empty() ? "" : absl::StrCat("unsafe (forced): ", unsafe);
      report.steps.push_back(result);
      say(absl::StrCat(head, ": would run", unsafe.empty() ? "" : " (unsafe, forced)"));
      if (step.assume_ran) step.assume_ran();
      continue;
    }
    say(absl::StrCat(head, " ..."));
    (void)journal.Write(
        {{"event", "step"}, {"runbook", name}, {"step", step.id}, {"state", "started"}});
    absl::Status st = step.run();
    if (st.ok()) {
      // Verified: the effect must be visible before the next step.
      const absl::Time until = absl::Now() + options.verify_timeout;
      while (true) {
        absl::StatusOr<bool> now_done = step.done();
        if (now_done.ok() && *now_done) break;
        if (absl::Now() >= until) {
          st = absl::DeadlineExceededError(absl::StrCat(
              "ran, but its effect is not visible after ",
              absl::FormatDuration(options.verify_timeout),
              now_done.ok() ? "" : absl::StrCat(" (", now_done.status().message(), ")")));
          break;
        }
        absl::SleepFor(options.verify_interval);
      }
    }
    result.finished = absl::Now();
    result.took = result.finished - s0;
    if (!st.ok()) {
      result.outcome = "failed";
      result.detail = std::string(st.message());
      report.steps.push_back(result);
      report.status = absl::Status(st.code(), absl::StrCat(step.id, ": ", st.message()));
      (void)journal.Write({{"event", "step"},
                           {"runbook", name},
                           {"step", step.id},
                           {"state", "failed"},
                           {"detail", result.detail}});
      say(absl::StrCat(head, ": FAILED: ", st.message(),
                       " (fix it and run the runbook again: "
                       "finished steps are skipped)"));
      break;
    }
    result.outcome = "done";
    report.steps.push_back(result);
    (void)journal.Write(
        {{"event", "step"}, {"runbook", name}, {"step", step.id}, {"state", "done"}});
    say(absl::StrCat(head, ": done in ",
                     absl::FormatDuration(absl::Trunc(result.took, absl::Milliseconds(1)))));
  }
  for (size_t j = report.steps.size(); j < steps.size(); ++j) {
    report.steps.push_back(
        {steps[j].id, "not reached", absl::ZeroDuration(), "", absl::InfinitePast()});
  }
  report.total = absl::Now() - t0;
  if (report.status.ok() && !options.dry_run) {
    (void)journal.Write({{"event", "end"}, {"runbook", name}});
  }
  return report;
}

}  // namespace tandem::dr
