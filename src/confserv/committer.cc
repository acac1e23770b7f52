#include "confserv/committer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/hash.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "confserv/overlay.h"
#include "confserv/write_applier.h"
#include "spdlog/spdlog.h"

namespace tandem::confserv {
namespace {

// The reply to a write that is committed on the primary but that no
// synchronous standby confirmed within `waited`.
absl::Status NotReplicatedReply(int64_t revision, absl::Duration waited) {
  return absl::DeadlineExceededError(absl::StrFormat(
      "the write was committed at revision %d and is durable on the primary, but not yet "
      "replicated to the synchronous standby after %.1f s; it is applied and visible to readers "
      "and watchers (do not retry it); run `tandemctl db status` to see the standby",
      revision, absl::ToDoubleSeconds(waited)));
}

}  // namespace

Committer::Committer(storage::Storage& storage, ConfigState& state, absl::Mutex& state_mu,
                     WatchHub& hub, Clock& clock, CommitterOptions options)
    : storage_(storage),
      state_(state),
      state_mu_(state_mu),
      hub_(hub),
      clock_(clock),
      options_(options),
      last_prune_(absl::InfinitePast()) {}

Committer::~Committer() { Stop(); }

void Committer::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Committer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  completions_.Stop();
}

void Committer::Submit(config::WriteRequest request) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push_back(std::move(request));
      return;
    }
  }
  request.done(
      absl::UnavailableError("the configuration server is shutting down; the change was "
                             "not applied: retry against the new primary"));
}

Committer::Stats Committer::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void Committer::Run() {
  while (true) {
    std::deque<config::WriteRequest> batch;
    {
      absl::MutexLock lock(&mu_);
      // Wake at least once a second so that history is pruned by age even
      // when nobody writes.
      mu_.AwaitWithTimeout(absl::Condition(
                               +[](Committer* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) {
                                 return !c->queue_.empty() || c->stopping_;
                               },
                               this),
                           prune_backlog_ ? absl::ZeroDuration() : absl::Seconds(1));
      if (queue_.empty() && stopping_) return;  // drained
      size_t ops = 0;
      while (!queue_.empty() &&
             (batch.empty() || ops + queue_.front().operations.size() <= options_.max_batch_ops)) {
        ops += queue_.front().operations.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (!batch.empty()) ProcessBatch(batch);
    MaybePrune();
    MaybeReport();
  }
}

// Reads state_ without state_mu_: this thread is its only writer.
void Committer::ProcessBatch(std::deque<config::WriteRequest>& batch)
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  const absl::Time now = clock_.Now();
  const absl::Time t0 = absl::Now();
  Overlay pending(state_);
  std::vector<std::pair<config::WriteRequest*, config::WriteResult>> accepted;
  for (config::WriteRequest& req : batch) {
    Overlay mine(static_cast<const StateView&>(pending));
    absl::StatusOr<config::WriteResult> result =
        ApplyOperations(mine, req.operations, req.who, now, req.subject.get());
    if (!result.ok()) {
      req.done(result.status());
      continue;
    }
    mine.MergeInto(pending);
    accepted.emplace_back(&req, std::move(*result));
  }
  if (pending.empty()) return;

  storage::CommitBatch commit;
  commit.objects.reserve(pending.changed().size());
  for (const auto& [key, obj] : pending.changed()) {
    storage::ObjectWrite w;
    w.type = key.type;
    w.dbid = key.dbid;
    if (obj != nullptr) {
      w.tenant_dbid = obj->tenant_dbid;
      w.name = obj->name;
      w.data = *obj->data;
    }
    commit.objects.push_back(std::move(w));
  }
  std::vector<config::ChangePtr> published;
  published.reserve(pending.changes().size());
  const int64_t at_us = absl::ToUnixMicros(now);
  for (const v1::Change& c : pending.changes()) {
    auto committed = std::make_shared<config::CommittedChange>();
    committed->change = c;
    committed->wire = DeterministicSerialize(c);
    commit.history.push_back({c.revision(), at_us, committed->wire});
    published.push_back(std::move(committed));
  }
  commit.next_dbid = pending.next_dbid();
  commit.revision = pending.Revision();
  commit.revision_hash = pending.RevisionHash();

  const absl::Time t1 = absl::Now();
  absl::Status status = storage_.Commit(commit);
  const absl::Time t2 = absl::Now();
  // Committed on the primary but not confirmed by the synchronous standby in
  // time: it is the new state (memory and watchers follow it), but every
  // client is told that replication is not confirmed.
  const bool unreplicated = storage::IsCommittedNotReplicated(status);
  if (unreplicated) {
    spdlog::error("commit of {} changes (revision {}) is not replicated: {}", published.size(),
                  commit.revision, status.message());
  } else if (storage::IsLeaseLost(status)) {
    // Another server is the primary now: nothing was written, and the
    // database may well be ahead of this server (the new primary's commits).
    spdlog::error("commit of {} changes refused: {}", published.size(), status.message());
    absl::Status reply = absl::UnavailableError(
        absl::StrCat("this server is no longer the primary (", status.message(),
                     "); the change was not applied: send it to the current primary"));
    for (auto& [req, result] : accepted) req->done(reply);
    if (options_.on_lease_lost) options_.on_lease_lost(status);
    return;
  } else if (!status.ok()) {
    // A failed commit must have changed nothing. The database says whether
    // it did: at our revision, nothing was applied. At another revision
    // (a commit whose reply was lost, or a DBMS failover that lost
    // revisions) memory and disk disagree and only a restart (reload) is
    // safe. Unreachable (the DBMS is gone, perhaps failing over): the outcome
    // is unknown for now; the next commit reconnects, and its revision guard
    // finds out before it writes anything.
    absl::StatusOr<storage::Meta> meta = storage_.ReadMeta();
    if (meta.ok() && meta->revision != state_.Revision()) {
      const std::string why = absl::StrCat(
          "the configuration database is at revision ", meta->revision,
          " but this server is at revision ", state_.Revision(),
          " (a lost commit reply, or a DBMS failover that lost revisions); restarting to reload "
          "from the database");
      spdlog::critical("{}", why);
      TANDEM_CHECK(false, why.c_str());
    }
    spdlog::error("commit of {} changes failed: {}", published.size(), status.message());
    absl::Status reply =
        meta.ok() ? absl::Status(status.code(),
                                 absl::StrCat("the configuration database refused the write (",
                                              status.message(), "); the change was not applied"))
                  : absl::UnavailableError(absl::StrCat(
                        "the configuration database is unreachable (", status.message(),
                        "); whether the change was applied is not known yet: read it back (get "
                        "or history) before you retry"));
    for (auto& [req, result] : accepted) req->done(reply);
    return;
  }
  {
    absl::MutexLock lock(&state_mu_);
    for (const auto& [key, obj] : pending.changed()) {
      if (obj != nullptr) {
        state_.Put(key, obj);
      } else {
        state_.Erase(key);
      }
    }
    for (const auto& [type, next] : pending.next_dbid()) state_.SetNextDbid(type, next);
    state_.SetRevision(pending.Revision(), pending.RevisionHash());
  }
  const absl::Time t3 = absl::Now();
  std::vector<std::pair<config::WriteRequest, config::WriteResult>> replies;
  replies.reserve(accepted.size());
  for (auto& [req, result] : accepted) replies.emplace_back(std::move(*req), std::move(result));
  const absl::Duration waited = unreplicated ? t2 - t1 : absl::ZeroDuration();
  completions_.Submit([this, published = std::move(published), replies = std::move(replies),
                       unreplicated, waited]() mutable {
    hub_.Publish(published);
    for (auto& [req, result] : replies) {
      if (unreplicated) {
        req.done(NotReplicatedReply(result.last_revision, waited));
      } else {
        req.done(std::move(result));
      }
    }
  });
  const size_t change_count = pending.changes().size();
  absl::MutexLock lock(&mu_);
  ++stats_.batches;
  stats_.changes += static_cast<int64_t>(change_count);
  stats_.apply += t1 - t0;
  stats_.commit += t2 - t1;
  stats_.publish += t3 - t2;
}

void Committer::MaybeReport() {
  const absl::Time now = absl::Now();
  if (now - last_report_ < absl::Seconds(10)) return;
  Stats s = stats();
  const int64_t batches = s.batches - reported_.batches;
  if (batches > 0) {
    const int64_t changes = s.changes - reported_.changes;
    auto per_batch_us = [&](absl::Duration total, absl::Duration before) {
      return absl::ToInt64Microseconds(total - before) / batches;
    };
    spdlog::info(
        "committed {} changes in {} batches over {:.1f} s ({:.0f}/s, {:.1f} per batch); per "
        "batch: apply {} us, durable write {} us, publish {} us",
        changes, batches, absl::ToDoubleSeconds(now - last_report_),
        changes / absl::ToDoubleSeconds(now - last_report_), double(changes) / batches,
        per_batch_us(s.apply, reported_.apply), per_batch_us(s.commit, reported_.commit),
        per_batch_us(s.publish, reported_.publish));
  }
  reported_ = s;
  last_report_ = now;
}

void Committer::MaybePrune() {
  const absl::Time now = clock_.Now();
  if (now - last_prune_ < absl::Seconds(1)) return;
  last_prune_ = now;
  int64_t revision;
  {
    absl::ReaderMutexLock lock(&state_mu_);
    revision = state_.Revision();
  }
  const int64_t keep_from = revision - options_.retention.max_count + 1;
  const int64_t keep_after_us = absl::ToUnixMicros(now - options_.retention.max_age);
  // Small steps (a few ms each) between batches, so that a large backlog is
  // worked off without stalling writers.
  constexpr int64_t kPruneStep = 2'000;
  auto deleted = storage_.PruneHistory(keep_from, keep_after_us, kPruneStep);
  // More to do: continue after the next batch, or at once when idle.
  prune_backlog_ = deleted.ok() && *deleted == kPruneStep;
  if (prune_backlog_) last_prune_ = absl::InfinitePast();
  if (!deleted.ok()) {
    spdlog::warn("history pruning failed (will retry): {}", deleted.status().message());
  } else if (*deleted > 0) {
    spdlog::debug("pruned {} history records", *deleted);
  }
}

}  // namespace tandem::confserv
