#include "net/watch_reactor.h"

#include "absl/strings/str_cat.h"
#include "common/hash.h"
#include "config/schema.h"
#include "net/status_convert.h"
#include "net/wire.h"
#include "spdlog/spdlog.h"

namespace tandem::net {
namespace {
constexpr size_t kMaxQueued = 10'000;   // live changes held for one slow client
constexpr size_t kMaxPerMessage = 256;  // changes per WatchResponse
constexpr int64_t kHistoryPage = 1000;
}  // namespace

WatchReactor* WatchReactor::Start(config::Backend& backend, const v1::WatchRequest& request,
                                  std::shared_ptr<ReadFilter> filter) {
  auto* r = new WatchReactor(backend, request, std::move(filter));
  {
    absl::MutexLock lock(&r->mu_);
    if (request.from_revision() < 0) {
      r->Fail(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "from_revision: must not be negative"));
    }
    for (int t : request.types()) {
      if (config::FindTypeSpec(static_cast<v1::ObjectType>(t)) == nullptr) {
        r->Fail(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                             absl::StrCat("types: unknown object type ", t)));
      }
    }
    if (r->finishing_) {
      r->finish_called_ = true;
      r->Finish(r->finish_status_);
      return r;
    }
  }
  const int64_t published = backend.Subscribe(r);
  // Asked only when the watch starts ahead of what was published (not under
  // r->mu_: the publisher holds its lock while it takes r->mu_).
  const int64_t committed =
      request.from_revision() > published ? backend.Info().revision() : published;
  {
    absl::MutexLock lock(&r->mu_);
    r->target_ = published;
    if (r->from_revision_ > published && r->from_revision_ <= committed) {
      // Committed (a listing showed it) but not yet published to watchers:
      // not a diverged history. Those changes still come, and are skipped.
      r->cursor_ = r->from_revision_;
      r->delivered_ = r->from_revision_;
    } else if (r->from_revision_ > published) {
      r->Fail(grpc::Status(
          grpc::StatusCode::FAILED_PRECONDITION,
          absl::StrCat("you asked for changes after revision ", r->from_revision_,
                       " but this server is at revision ", published,
                       ": its history diverged from yours; reload the full configuration")));
    } else if (r->from_revision_ == 0) {
      r->cursor_ = published;
      r->delivered_ = published;
    } else {
      r->cursor_ = r->from_revision_;
      r->delivered_ = r->from_revision_;
    }
  }
  r->Pump();
  return r;
}

WatchReactor::WatchReactor(config::Backend& backend, const v1::WatchRequest& request,
                           std::shared_ptr<ReadFilter> filter)
    : backend_(backend), from_revision_(request.from_revision()), filter_(std::move(filter)) {
  for (int t : request.types()) types_.insert(t);
  for (int64_t d : request.dbids()) dbids_.insert(d);
}

bool WatchReactor::Matches(const v1::Change& change) const {
  if (!types_.empty() && !types_.contains(change.type())) return false;
  if (!dbids_.empty() && !dbids_.contains(change.dbid())) return false;
  return true;
}

void WatchReactor::Fail(grpc::Status status) {
  if (finishing_) return;
  finishing_ = true;
  finish_status_ = std::move(status);
}

void WatchReactor::OnChanges(const std::vector<config::ChangePtr>& changes) {
  absl::MutexLock lock(&mu_);
  if (finishing_) return;
  if (mode_ == Mode::kCatchUp) {
    if (dropped_) return;
    live_.insert(live_.end(), changes.begin(), changes.end());
    if (live_.size() > kMaxQueued) {
      dropped_ = true;
      live_.clear();
    }
    return;
  }
  for (const auto& c : changes) {
    if (c->revision() <= cursor_) continue;  // the watch began after it (see Start)
    if (Matches(c->change)) queue_.push_back(c);
    cursor_ = c->revision();
  }
  if (queue_.size() > kMaxQueued) {
    // Too slow for the live feed: catch up from history instead.
    spdlog::info("watch stream fell {} changes behind at revision {}; it continues from history",
                 queue_.size(), delivered_);
    queue_.clear();
    mode_ = Mode::kCatchUp;
    cursor_ = delivered_;
    target_ = delivered_;
    dropped_ = true;
    return;
  }
  if (busy_ || queue_.empty()) return;
  busy_ = true;
  BuildMessage();
  StartWrite(&out_);
}

void WatchReactor::OnShutdown() {
  absl::MutexLock lock(&mu_);
  Fail(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                    "the configuration server is shutting down; reconnect and watch from your "
                    "last revision"));
  if (!busy_ && !finish_called_) {
    finish_called_ = true;
    Finish(finish_status_);
  }
}

void WatchReactor::OnWriteDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    busy_ = false;
    if (!ok) Fail(grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
  }
  Pump();
}

void WatchReactor::OnCancel() {
  {
    absl::MutexLock lock(&mu_);
    Fail(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
  }
  Pump();
}

void WatchReactor::OnDone() {
  backend_.Unsubscribe(this);
  delete this;
}

// Frames a WatchResponse by hand from the changes' shared serialized bytes:
// field 1 (changes) once per change, then field 2 (revision).
void WatchReactor::BuildMessage() {
  std::string msg;
  size_t n = 0;
  while (!queue_.empty() && n < kMaxPerMessage) {
    const config::CommittedChange& c = *queue_.front();
    if (filter_ != nullptr &&
        !(filter_->reads_all() && c.change.type() != v1::OBJECT_TYPE_PERSON)) {
      // Judged now, with the permissions as they are now (once for all the
      // watches of this caller's subject).
      if (std::shared_ptr<const std::string> wire = filter_->Judge(c); wire != nullptr) {
        AppendLengthDelimited(&msg, 1, *wire);
      }
    } else {
      AppendLengthDelimited(&msg, 1, c.wire);
    }
    delivered_ = queue_.front()->revision();
    queue_.pop_front();
    ++n;
  }
  // The first message after catching up (empty if nothing is pending) tells
  // the client that the stream is live.
  send_marker_ = false;
  AppendVarintField(&msg, 2, static_cast<uint64_t>(queue_.empty() ? cursor_ : delivered_));
  grpc::Slice slice(std::move(msg));
  out_ = grpc::ByteBuffer(&slice, 1);
}

void WatchReactor::Pump() {
  while (true) {
    bool resubscribe = false;
    int64_t from = 0, to = 0;
    {
      absl::MutexLock lock(&mu_);
      if (busy_ || finish_called_) return;
      if (finishing_) {
        finish_called_ = true;
        Finish(finish_status_);
        return;
      }
      if (!queue_.empty() || send_marker_) {
        busy_ = true;
        BuildMessage();
        StartWrite(&out_);
        return;
      }
      if (mode_ == Mode::kLive) return;
      if (cursor_ >= target_) {
        if (dropped_) {
          resubscribe = true;
          dropped_ = false;
          live_.clear();
        } else {
          mode_ = Mode::kLive;
          for (const auto& c : live_) {
            if (c->revision() <= cursor_) continue;
            if (Matches(c->change)) queue_.push_back(c);
            cursor_ = c->revision();
          }
          live_.clear();
          send_marker_ = true;
          continue;
        }
      } else {
        from = cursor_;
        to = target_;
      }
      busy_ = true;
    }
    if (resubscribe) {
      backend_.Unsubscribe(this);
      const int64_t published = backend_.Subscribe(this);
      absl::MutexLock lock(&mu_);
      target_ = published;
      busy_ = false;
      continue;
    }
    auto page = backend_.History(from, std::min(kHistoryPage, to - from));
    absl::MutexLock lock(&mu_);
    busy_ = false;
    if (!page.ok()) {
      Fail(ToGrpc(page.status()));
      continue;
    }
    int64_t before = cursor_;
    for (auto& c : page->changes) {
      if (c.revision() <= cursor_ || c.revision() > target_) continue;
      cursor_ = c.revision();
      if (Matches(c)) {
        auto committed = std::make_shared<config::CommittedChange>();
        committed->wire = DeterministicSerialize(c);
        committed->change = std::move(c);
        queue_.push_back(std::move(committed));
      }
    }
    if (cursor_ == before) {
      Fail(grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat("history ends at revision ", cursor_, " but revision ",
                                     target_, " was published; reconnect")));
    }
  }
}

}  // namespace tandem::net
