#include "csproxy/config_copy.h"

#include <fnmatch.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/hash.h"
#include "common/status_macros.h"
#include "config/object_types.h"
#include "config/schema.h"
#include "confserv/state_queries.h"
#include "confserv/write_applier.h"

namespace tandem::csproxy {
namespace {

using confserv::NameKey;
using confserv::ObjectKey;
using confserv::StoredPtr;

constexpr int64_t kDefaultHistoryLimit = 1000;
constexpr int64_t kMaxHistoryLimit = 10000;

absl::Status NotLoaded() {
  return absl::UnavailableError(
      "this proxy has no configuration loaded from a master yet; retry in a moment");
}

}  // namespace

absl::Status ApplyVerified(confserv::ConfigState& state, const v1::Change& change,
                           bool apply_object) {
  if (change.revision() != state.Revision() + 1) {
    return absl::AbortedError(absl::StrCat("change ", change.revision(),
                                           " does not follow revision ", state.Revision(),
                                           " (a gap or a replay)"));
  }
  const std::string hash = confserv::ChainHash(state.RevisionHash(), change);
  if (hash != change.hash()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the hash of change ", change.revision(), " (", absl::BytesToHexString(change.hash()),
        ") does not chain onto this copy's hash of revision ", state.Revision(), " (expected ",
        absl::BytesToHexString(hash), "): the master's history diverged from this copy"));
  }
  if (apply_object) {
    const ObjectKey key{change.type(), change.dbid()};
    switch (change.kind()) {
      case v1::CHANGE_KIND_CREATED:
      case v1::CHANGE_KIND_UPDATED:
        if (!change.has_after() || change.after().type() != change.type() ||
            change.after().dbid() != change.dbid()) {
          return absl::DataLossError(absl::StrCat("change ", change.revision(),
                                                  " carries no object of its type and dbid"));
        }
        state.Put(key, confserv::MakeStored(change.after()));
        break;
      case v1::CHANGE_KIND_DELETED:
        state.Erase(key);
        break;
      default:
        return absl::DataLossError(absl::StrCat("change ", change.revision(), " has unknown kind ",
                                                static_cast<int>(change.kind())));
    }
  }
  state.SetRevision(change.revision(), hash);
  return absl::OkStatus();
}

ConfigCopy::ConfigCopy(int64_t history_max_count)
    : history_max_count_(history_max_count),
      state_(std::make_unique<confserv::ConfigState>()),
      hub_(std::make_unique<confserv::WatchHub>(0)) {}

void ConfigCopy::Install(std::unique_ptr<confserv::ConfigState> state, std::string history_id) {
  absl::MutexLock hub_lock(&hub_mu_);
  const int64_t revision = state->Revision();
  {
    absl::MutexLock lock(&mu_);
    state_ = std::move(state);
    history_id_ = std::move(history_id);
    window_.clear();
    window_base_ = revision;
    loaded_ = true;
  }
  // Watchers of the old copy cannot tell what changed: end their streams so
  // that they resubscribe from their revision (or reload when it expired).
  hub_->Close();
  hub_ = std::make_unique<confserv::WatchHub>(revision);
}

absl::Status ConfigCopy::Apply(const std::vector<v1::Change>& changes) {
  if (changes.empty()) return absl::OkStatus();
  absl::MutexLock hub_lock(&hub_mu_);
  std::vector<config::ChangePtr> applied;
  applied.reserve(changes.size());
  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    for (const v1::Change& change : changes) {
      status = ApplyVerified(*state_, change);
      if (!status.ok()) break;
      auto committed = std::make_shared<config::CommittedChange>();
      committed->change = change;
      committed->wire = DeterministicSerialize(change);
      applied.push_back(committed);
      window_.push_back(std::move(committed));
    }
    while (static_cast<int64_t>(window_.size()) > history_max_count_) {
      window_.pop_front();
      ++window_base_;
    }
  }
  hub_->Publish(applied);
  return status;
}

void ConfigCopy::Invalidate() {
  absl::MutexLock hub_lock(&hub_mu_);
  {
    absl::MutexLock lock(&mu_);
    loaded_ = false;
  }
  hub_->Close();
}

bool ConfigCopy::loaded() const {
  absl::ReaderMutexLock lock(&mu_);
  return loaded_;
}

int64_t ConfigCopy::revision() const {
  absl::ReaderMutexLock lock(&mu_);
  return state_->Revision();
}

std::string ConfigCopy::revision_hash() const {
  absl::ReaderMutexLock lock(&mu_);
  return state_->RevisionHash();
}

std::string ConfigCopy::history_id() const {
  absl::ReaderMutexLock lock(&mu_);
  return history_id_;
}

int64_t ConfigCopy::object_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return state_->ObjectCount();
}

int64_t ConfigCopy::oldest_revision() const {
  absl::ReaderMutexLock lock(&mu_);
  return window_base_ + 1;
}

bool ConfigCopy::WaitForRevision(int64_t revision, absl::Duration timeout) const {
  absl::ReaderMutexLock lock(&mu_);
  const confserv::ConfigState* const before = state_.get();
  auto reached = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return state_.get() != before || state_->Revision() >= revision;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

absl::StatusOr<v1::GetResponse> ConfigCopy::Get(const v1::GetRequest& request) const {
  TANDEM_RETURN_IF_ERROR(confserv::CheckType(request.type()));
  StoredPtr found;
  int64_t revision;
  {
    absl::ReaderMutexLock lock(&mu_);
    if (!loaded_) return NotLoaded();
    found = confserv::FindForGet(*state_, request);
    revision = state_->Revision();
  }
  return confserv::GetAnswer(request, found, revision);
}

absl::StatusOr<config::ListSnapshot> ConfigCopy::List(const v1::ListRequest& request) const {
  TANDEM_RETURN_IF_ERROR(confserv::CheckListRequest(request));
  std::vector<StoredPtr> candidates;
  config::ListSnapshot snapshot;
  {
    absl::ReaderMutexLock lock(&mu_);
    if (!loaded_) return NotLoaded();
    snapshot.revision = state_->Revision();
    candidates = confserv::ListCandidates(*state_, request);
  }
  snapshot.objects = confserv::FilterCandidates(request, candidates);
  return snapshot;
}

absl::StatusOr<config::HistoryPage> ConfigCopy::History(int64_t since_revision,
                                                        int64_t limit) const {
  if (since_revision < 0) return absl::InvalidArgumentError("since_revision: must not be negative");
  if (limit <= 0) limit = kDefaultHistoryLimit;
  limit = std::min(limit, kMaxHistoryLimit);
  absl::ReaderMutexLock lock(&mu_);
  if (!loaded_) return NotLoaded();
  const int64_t current = state_->Revision();
  if (since_revision < window_base_ && since_revision < current) {
    return absl::OutOfRangeError(absl::StrCat(
        "history expired: changes after revision ", since_revision,
        " are no longer retained by this proxy (oldest retained revision is ", window_base_ + 1,
        "); reload the full configuration and continue from its revision"));
  }
  config::HistoryPage page;
  page.revision = current;
  for (int64_t r = since_revision + 1; r <= current && r - since_revision <= limit; ++r) {
    page.changes.push_back(window_[static_cast<size_t>(r - window_base_ - 1)]->change);
  }
  page.more = !page.changes.empty() && page.changes.back().revision() < current;
  return page;
}

int64_t ConfigCopy::Subscribe(config::ChangeSubscriber* subscriber) {
  absl::MutexLock hub_lock(&hub_mu_);
  return hub_->Subscribe(subscriber);
}

void ConfigCopy::Unsubscribe(config::ChangeSubscriber* subscriber) {
  absl::MutexLock hub_lock(&hub_mu_);
  hub_->Unsubscribe(subscriber);
}

int64_t ConfigCopy::FindApplication(const std::string& name) const {
  absl::ReaderMutexLock lock(&mu_);
  return confserv::FindApplicationIn(*state_, name);
}

void ConfigCopy::ForEachObject(int type, const std::function<void(const std::string&)>& fn) const {
  absl::ReaderMutexLock lock(&mu_);
  const auto* objects = state_->OfType(type);
  if (objects == nullptr) return;
  for (const auto& [dbid, obj] : *objects) fn(*obj->data);
}

}  // namespace tandem::csproxy
