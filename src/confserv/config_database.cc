#include "confserv/config_database.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/hash.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "config/object_types.h"
#include "config/schema.h"
#include "confserv/state_queries.h"
#include "confserv/write_applier.h"
#include "spdlog/spdlog.h"

namespace tandem::confserv {
namespace {

constexpr int64_t kDefaultHistoryLimit = 1000;
constexpr int64_t kMaxHistoryLimit = 10000;

// Checks the shape of every object a write carries, on the caller's thread.
absl::Status ValidateOperations(std::vector<v1::Operation>& ops) {
  for (size_t i = 0; i < ops.size(); ++i) {
    v1::Operation& op = ops[i];
    absl::Status st;
    if (op.has_create()) {
      st = config::ValidateShape(op.mutable_create()->mutable_object(), /*fill_defaults=*/true);
    } else if (op.has_update()) {
      st = config::ValidateShape(op.mutable_update()->mutable_object(), /*fill_defaults=*/false);
    } else if (op.has_delete_()) {
      st = CheckType(op.delete_().type());
      if (st.ok() && op.delete_().dbid() <= 0) st = absl::InvalidArgumentError("dbid: required");
    } else {
      st = absl::InvalidArgumentError("operation: none of create, update, delete is set");
    }
    if (!st.ok()) {
      if (ops.size() == 1) return st;
      return absl::Status(st.code(), absl::StrCat("operation[", i, "]: ", st.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ConfigDatabase>> ConfigDatabase::Open(storage::StoragePtr storage,
                                                                     DatabaseOptions options,
                                                                     bool start_committer) {
  TANDEM_ASSIGN_OR_RETURN(storage::Meta meta, storage->ReadMeta());
  std::unique_ptr<ConfigDatabase> db(new ConfigDatabase(std::move(storage), options, meta));
  TANDEM_RETURN_IF_ERROR(db->Load());
  if (start_committer) db->committer_.Start();
  return db;
}

absl::Status ConfigDatabase::ApplyReplicated(const v1::Change& change) {
  auto committed = std::make_shared<config::CommittedChange>();
  {
    absl::MutexLock lock(&mu_);
    if (change.revision() != state_.Revision() + 1) {
      return absl::FailedPreconditionError(absl::StrCat("change of revision ", change.revision(),
                                                        " does not follow this copy's revision ",
                                                        state_.Revision()));
    }
    if (change.hash() != ChainHash(state_.RevisionHash(), change)) {
      return absl::DataLossError(absl::StrCat("the hash chain breaks at revision ",
                                              change.revision(), ": the histories diverged"));
    }
    const ObjectKey key{change.type(), change.dbid()};
    if (change.kind() == v1::CHANGE_KIND_DELETED) {
      state_.Erase(key);
    } else {
      state_.Put(key, MakeStored(change.after()));
      state_.SetNextDbid(change.type(),
                         std::max(state_.NextDbid(change.type()), change.dbid() + 1));
    }
    state_.SetRevision(change.revision(), change.hash());
    committed->change = change;
    committed->wire = DeterministicSerialize(change);
  }
  hub_.Publish({std::move(committed)});
  return absl::OkStatus();
}

absl::Status ConfigDatabase::CatchUpFromStorage() {
  while (true) {
    const int64_t from = revision();
    TANDEM_ASSIGN_OR_RETURN(storage::HistoryChunk chunk, storage_->ReadHistory(from, 1000));
    if (chunk.rows.empty()) return absl::OkStatus();
    if (chunk.rows.front().revision != from + 1) {
      return absl::FailedPreconditionError(
          absl::StrCat("the database's history no longer holds revision ", from + 1,
                       " (pruned): this copy cannot catch up; restart to reload"));
    }
    for (const storage::HistoryRow& row : chunk.rows) {
      v1::Change change;
      if (!change.ParseFromString(row.data)) {
        return absl::DataLossError(absl::StrCat("history record ", row.revision, " in ",
                                                storage_->Describe(), " cannot be parsed"));
      }
      TANDEM_RETURN_IF_ERROR(ApplyReplicated(change));
    }
  }
}

absl::Status ConfigDatabase::TakeOver() {
  TANDEM_RETURN_IF_ERROR(CatchUpFromStorage());
  TANDEM_ASSIGN_OR_RETURN(storage::Meta meta, storage_->ReadMeta());
  {
    absl::MutexLock lock(&mu_);
    if (meta.revision != state_.Revision() || meta.revision_hash != state_.RevisionHash()) {
      return absl::FailedPreconditionError(
          absl::StrCat("after catching up this copy is at revision ", state_.Revision(),
                       " but the database at ", meta.revision, "; restart to reload"));
    }
    for (const auto& [type, next] : meta.next_dbid) {
      state_.SetNextDbid(type, std::max(state_.NextDbid(type), next));
    }
  }
  committer_.Start();
  return absl::OkStatus();
}

ConfigDatabase::ConfigDatabase(storage::StoragePtr storage, DatabaseOptions options,
                               const storage::Meta& meta)
    : storage_(std::move(storage)),
      options_(std::move(options)),
      history_id_(meta.history_id),
      started_at_(options_.clock->Now()),
      hub_(meta.revision),
      committer_(*storage_, state_, mu_, hub_, *options_.clock, options_.committer) {
  state_.SetRevision(meta.revision, meta.revision_hash);
  for (const auto& [type, next] : meta.next_dbid) state_.SetNextDbid(type, next);
}

ConfigDatabase::~ConfigDatabase() { Stop(); }

absl::Status ConfigDatabase::Load() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  // Single-threaded: nothing else can see the state yet.
  int64_t n = 0;
  TANDEM_RETURN_IF_ERROR(storage_->ScanObjects([&](absl::string_view data) -> absl::Status {
    v1::ConfigObject obj;
    if (!obj.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
      return absl::DataLossError(
          absl::StrCat("object #", n, " in ", storage_->Describe(), " cannot be parsed"));
    }
    const int64_t next = state_.NextDbid(obj.type());
    state_.Put({obj.type(), obj.dbid()}, MakeStored(obj, std::string(data.data(), data.size())));
    state_.SetNextDbid(obj.type(), std::max(next, obj.dbid() + 1));
    if (++n % 250'000 == 0) spdlog::info("loading: {} objects so far", n);
    return absl::OkStatus();
  }));
  spdlog::info("loaded {} objects at revision {} from {}", n, state_.Revision(),
               storage_->Describe());
  return absl::OkStatus();
}

void ConfigDatabase::Stop() {
  committer_.Stop();
  hub_.Close();
}

int64_t ConfigDatabase::revision() const {
  absl::ReaderMutexLock lock(&mu_);
  return state_.Revision();
}

absl::StatusOr<v1::GetResponse> ConfigDatabase::Get(const v1::GetRequest& request) {
  TANDEM_RETURN_IF_ERROR(CheckType(request.type()));
  StoredPtr found;
  int64_t revision;
  {
    absl::ReaderMutexLock lock(&mu_);
    found = FindForGet(state_, request);
    revision = state_.Revision();
  }
  return GetAnswer(request, found, revision);
}

absl::StatusOr<config::ListSnapshot> ConfigDatabase::List(const v1::ListRequest& request) {
  TANDEM_RETURN_IF_ERROR(CheckListRequest(request));
  std::vector<StoredPtr> candidates;
  config::ListSnapshot snapshot;
  {
    absl::ReaderMutexLock lock(&mu_);
    snapshot.revision = state_.Revision();
    candidates = ListCandidates(state_, request);
  }
  snapshot.objects = FilterCandidates(request, candidates);
  return snapshot;
}

void ConfigDatabase::Write(config::WriteRequest request) {
  absl::Status st = ValidateOperations(request.operations);
  if (!st.ok()) {
    request.done(st);
    return;
  }
  committer_.Submit(std::move(request));
}

absl::StatusOr<config::HistoryPage> ConfigDatabase::History(int64_t since_revision, int64_t limit) {
  if (since_revision < 0) return absl::InvalidArgumentError("since_revision: must not be negative");
  if (limit <= 0) limit = kDefaultHistoryLimit;
  limit = std::min(limit, kMaxHistoryLimit);
  // Read before the storage snapshot: the page can never claim less than it holds.
  const int64_t current = revision();
  TANDEM_ASSIGN_OR_RETURN(storage::HistoryChunk chunk,
                          storage_->ReadHistory(since_revision, limit));
  if (since_revision + 1 < chunk.oldest_revision && since_revision < current) {
    return absl::OutOfRangeError(
        absl::StrCat("history expired: changes after revision ", since_revision,
                     " are no longer retained (oldest retained revision is ", chunk.oldest_revision,
                     "); reload the full configuration and continue from its revision"));
  }
  config::HistoryPage page;
  page.revision = std::max(current, chunk.rows.empty() ? 0 : chunk.rows.back().revision);
  page.changes.reserve(chunk.rows.size());
  for (const storage::HistoryRow& row : chunk.rows) {
    v1::Change& c = page.changes.emplace_back();
    if (!c.ParseFromString(row.data)) {
      return absl::DataLossError(absl::StrCat("history record ", row.revision, " in ",
                                              storage_->Describe(), " cannot be parsed"));
    }
  }
  page.more = !page.changes.empty() && page.changes.back().revision() < page.revision &&
              static_cast<int64_t>(page.changes.size()) == limit;
  return page;
}

int64_t ConfigDatabase::Subscribe(config::ChangeSubscriber* subscriber) {
  return hub_.Subscribe(subscriber);
}

void ConfigDatabase::Unsubscribe(config::ChangeSubscriber* subscriber) {
  hub_.Unsubscribe(subscriber);
}

v1::ServerInfo ConfigDatabase::Info() {
  v1::ServerInfo info;
  info.set_role(v1::ROLE_STANDALONE);
  info.set_history_id(history_id_);
  info.set_application_name(options_.application_name);
  info.set_version(TANDEM_VERSION);
  info.set_schema_version(storage::kSchemaVersion);
  info.set_storage(storage_->Describe());
  for (std::string& alarm : storage_->Alarms()) info.add_alarms(std::move(alarm));
  info.mutable_started_at()->set_seconds(absl::ToUnixSeconds(started_at_));
  {
    absl::ReaderMutexLock lock(&mu_);
    info.set_revision(state_.Revision());
    info.set_revision_hash(state_.RevisionHash());
    info.set_object_count(state_.ObjectCount());
  }
  auto chunk = storage_->ReadHistory(INT64_MAX - 1, 1);
  info.set_oldest_revision(chunk.ok() ? chunk->oldest_revision : 0);
  return info;
}

int64_t ConfigDatabase::FindApplication(const std::string& name) {
  absl::ReaderMutexLock lock(&mu_);
  return FindApplicationIn(state_, name);
}

}  // namespace tandem::confserv
