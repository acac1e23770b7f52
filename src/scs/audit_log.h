// The SCS's audit of control actions: one JSON line per operator action
// (allowed or refused) with the caller's identity as the master
// authenticated it, appended and flushed to disk (fdatasync) before the
// action is carried out. An action that cannot be audited is not carried
// out.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tandem::scs {

struct AuditEntry {
  absl::Time at;
  //! "person alice" (as the master said), or what was presented when the
  //! caller could not be authenticated ("unauthenticated").
  std::string who;
  std::string peer;
  //! "start", "stop", "restart", "switchover".
  std::string action;
  //! "application billing" / "solution payments".
  std::string target;
  //! "allowed", "refused", "failed".
  std::string outcome;
  //! Why (a refusal, an error), or what was done.
  std::string detail;
};

class AuditLog {
 public:
  //! `path` empty: entries go to the log only.
  explicit AuditLog(std::string path) : path_(std::move(path)) {}
  //! At start: can the file be appended to (created 0600 if missing)?
  absl::Status CheckWritable() const;
  //! Appends and syncs; the error says what to fix. Always logged. Once
  //! the file has it, the sink is told (the Log Database's audit trail).
  absl::Status Append(const AuditEntry& entry);
  const std::string& path() const { return path_; }
  //! Set before the first Append; must not block.
  void set_sink(std::function<void(const AuditEntry&)> sink) { sink_ = std::move(sink); }

 private:
  absl::Status AppendToFile(const AuditEntry& entry);

  const std::string path_;
  std::function<void(const AuditEntry&)> sink_;
  absl::Mutex mu_;
};

}  // namespace tandem::scs
