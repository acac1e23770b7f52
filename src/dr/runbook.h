// The runbook engine of `tandemctl dr`: ordered steps, each idempotent and
// verified before the next; a journal; progress on the terminal; a plan
// with --dry-run; refusal of unsafe steps unless forced; and a report.
//
// A step says whether its effect is already there (`done`), how to bring it
// about (`run`), and optionally why it would be unsafe now (`unsafe`). Running
// a runbook again after an interruption resumes it: finished steps find
// their effect in place and are skipped.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tandem::dr {

struct Step {
  //! Stable name, e.g. "promote-r2-dbms" (journal, report).
  std::string id;
  //! One line for the operator: what the step does.
  std::string description;
  //! Is the effect already in place? Must not change anything.
  std::function<absl::StatusOr<bool>()> done;
  //! Brings the effect about.
  std::function<absl::Status()> run;
  //! Non-empty: why running the step now could lose or fork data (e.g. the
  //! old primary is still writable and not fenced). Refused unless forced.
  std::function<std::string()> unsafe;
  //! Optional, for --dry-run: records that the step would have run, so that
  //! the checks of later steps see its effect (a fence makes a promotion safe).
  std::function<void()> assume_ran;
};

struct RunOptions {
  //! Print the plan (which steps would run) and change nothing.
  bool dry_run = false;
  //! Run unsafe steps anyway, and ignore another runbook left unfinished.
  bool force = false;
  //! Append-only journal (JSON lines); empty = none.
  std::string journal;
  //! Progress lines for the operator.
  std::function<void(const std::string&)> progress;
  //! How long `done` may take to become true after `run`.
  absl::Duration verify_timeout = absl::Seconds(60);
  absl::Duration verify_interval = absl::Milliseconds(100);
};

struct StepResult {
  std::string id;
  //! "already done", "done", "would run", "refused", "failed", "not reached".
  std::string outcome;
  //! For "already done": how long the check took.
  absl::Duration took;
  std::string detail;
  //! When the step ended (done or failed); InfinitePast if it did not run.
  absl::Time finished = absl::InfinitePast();
};

struct RunReport {
  std::string runbook;
  std::vector<StepResult> steps;
  absl::Time started;
  absl::Duration total;
  //! OK when every step is done (or, with dry_run, the plan was made).
  absl::Status status;
};

//! One line of a runbook journal. event: "begin", "step" or "end"; state
//! (steps): "started", "done" or "failed"; at: UTC, ISO 8601.
struct JournalEntry {
  std::string event, runbook, step, state, at;
};

//! The journal's entries in order; lines that are not entries (a line cut
//! short by a crash) are skipped. No file: none.
std::vector<JournalEntry> ReadJournal(const std::string& path);

//! Runs the steps in order, stopping at the first that fails or is refused.
//! A dry run goes through every step (refused ones and those whose state
//! cannot be told are marked, and the first such problem is the status).
RunReport RunRunbook(const std::string& name, const std::vector<Step>& steps,
                     const RunOptions& options);

}  // namespace tandem::dr
