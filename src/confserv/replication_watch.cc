#include "confserv/replication_watch.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"
#include "tandem/storage/pg_admin.h"

namespace tandem::confserv {

std::optional<ReplicationEvent> ReplicationEventFor(std::optional<bool> degraded_before,
                                                    const ReplicationSample& now) {
  namespace fm = client::framework_message;
  if (now.in_recovery) return std::nullopt;
  const bool degraded = !now.sync_names.empty() && !now.missing.empty();
  if (degraded_before.has_value() && *degraded_before == degraded) return std::nullopt;
  if (degraded) {
    return ReplicationEvent{
        client::LogLevel::kAlarm, fm::kSyncDegraded,
        absl::StrCat("synchronous replication is degraded on ", now.endpoint,
                     ": no synchronous standby streams for ", absl::StrJoin(now.missing, ", "),
                     " (synchronous_standby_names = '", now.sync_names,
                     "'); commits wait up to sync_commit_timeout_s and are then answered "
                     "'not yet replicated'; see tandemctl db status")};
  }
  return ReplicationEvent{
      client::LogLevel::kStandard, fm::kSyncRestored,
      now.sync_names.empty()
          ? absl::StrCat("synchronous replication is not asked for on ", now.endpoint,
                         " (synchronous_standby_names is empty)")
          : absl::StrCat("synchronous replication on ", now.endpoint,
                         " is whole: every standby of '", now.sync_names, "' streams")};
}

absl::StatusOr<ReplicationSample> SampleReplication(const std::string& conninfo) {
  absl::StatusOr<storage::pgadmin::ServerState> s = storage::pgadmin::Probe(conninfo);
  if (!s.ok()) return s.status();
  ReplicationSample out;
  out.endpoint = s->endpoint;
  out.in_recovery = s->in_recovery;
  out.sync_names = s->synchronous_standby_names;
  out.missing = s->missing_sync_standbys;
  return out;
}

ReplicationWatch::ReplicationWatch(Sampler sample, std::function<bool()> primary,
                                   client::Logger& log, absl::Duration period)
    : sample_(std::move(sample)),
      primary_(std::move(primary)),
      log_(log),
      thread_(period, [this] { Tick(); }) {}

void ReplicationWatch::Tick() {
  if (!primary_()) {
    degraded_.reset();  // a new term says its state again
    return;
  }
  absl::StatusOr<ReplicationSample> s = sample_();
  if (!s.ok()) {
    // The commits say it already (the storage's own errors); once a change.
    if (std::string e(s.status().message()); e != last_error_) {
      spdlog::warn("replication watch: cannot read the DBMS's replication state: {}", e);
      last_error_ = e;
    }
    return;
  }
  last_error_.clear();
  std::optional<ReplicationEvent> e = ReplicationEventFor(degraded_, *s);
  if (!e.has_value()) return;
  degraded_ = e->message_id == client::framework_message::kSyncDegraded;
  if (*degraded_) {
    spdlog::error("replication watch: {}", e->text);
  } else {
    spdlog::info("replication watch: {}", e->text);
  }
  if (absl::StatusOr<std::string> id = log_.Log(e->level, e->message_id, e->text); !id.ok()) {
    spdlog::warn("replication watch: cannot log it: {}", std::string(id.status().message()));
  }
}

}  // namespace tandem::confserv
