#include "net/lca_service.h"

#include <algorithm>
#include <deque>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "net/status_convert.h"
#include "net/tls.h"
#include "spdlog/spdlog.h"

namespace tandem::net {

namespace cv1 = ::tandem::control::v1;

grpc::Status LcaServiceImpl::Authorize(grpc::ServerContext* ctx, const char* call) {
  const std::string who = PeerCertificateName(*ctx);
  const std::vector<std::string> owners = agent_.Owners();
  if (!who.empty() && std::find(owners.begin(), owners.end(), who) != owners.end()) {
    return grpc::Status::OK;
  }
  refused_.fetch_add(1);
  const std::string owned_by = owners.empty()
                                   ? std::string("no SCS yet (set the Host object's scs)")
                                   : absl::StrCat("Application ", absl::StrJoin(owners, " or "));
  if (who.empty()) {
    spdlog::warn("lca: refused {} from {}: no client certificate", call, ctx->peer());
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        absl::StrCat("this LCA takes commands only over mutual TLS from the SCS "
                                     "that owns its host (",
                                     owned_by, "): present that SCS's client certificate"));
  }
  spdlog::warn("lca: refused {} from application {} at {}: not an owner", call, who, ctx->peer());
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat("application ", who, " does not own this host; its LCA obeys ",
                                   owned_by, " (the Host object's scs and that SCS's backup)"));
}

grpc::Status LcaServiceImpl::StartProcess(grpc::ServerContext* ctx,
                                          const cv1::StartProcessRequest* req,
                                          cv1::ProcessStatus* resp) {
  if (grpc::Status st = Authorize(ctx, "StartProcess"); !st.ok()) return st;
  absl::StatusOr<cv1::ProcessStatus> s = agent_.Start(*req);
  if (!s.ok()) return ToGrpc(s.status());
  *resp = std::move(*s);
  return grpc::Status::OK;
}

grpc::Status LcaServiceImpl::StopProcess(grpc::ServerContext* ctx,
                                         const cv1::StopProcessRequest* req,
                                         cv1::ProcessStatus* resp) {
  if (grpc::Status st = Authorize(ctx, "StopProcess"); !st.ok()) return st;
  absl::StatusOr<cv1::ProcessStatus> s = agent_.Stop(*req);
  if (!s.ok()) return ToGrpc(s.status());
  *resp = std::move(*s);
  return grpc::Status::OK;
}

grpc::Status LcaServiceImpl::SetMode(grpc::ServerContext* ctx, const cv1::SetModeRequest* req,
                                     cv1::ProcessStatus* resp) {
  if (grpc::Status st = Authorize(ctx, "SetMode"); !st.ok()) return st;
  absl::StatusOr<cv1::ProcessStatus> s = agent_.SetMode(*req);
  if (!s.ok()) return ToGrpc(s.status());
  *resp = std::move(*s);
  return grpc::Status::OK;
}

grpc::Status LcaServiceImpl::GetStatus(grpc::ServerContext* ctx, const cv1::GetStatusRequest* req,
                                       cv1::GetStatusResponse* resp) {
  if (grpc::Status st = Authorize(ctx, "GetStatus"); !st.ok()) return st;
  *resp = agent_.Status(req->application());
  return grpc::Status::OK;
}

void LcaServiceImpl::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
}

grpc::Status LcaServiceImpl::WatchStatus(grpc::ServerContext* ctx,
                                         const cv1::WatchStatusRequest* /*req*/,
                                         grpc::ServerWriter<cv1::StatusEvent>* writer) {
  if (grpc::Status st = Authorize(ctx, "WatchStatus"); !st.ok()) return st;
  absl::Mutex mu;
  std::deque<std::vector<cv1::ProcessStatus>> queue;
  // Subscribed before the first picture is taken: no change falls between.
  const int id = agent_.Subscribe([&](const std::vector<cv1::ProcessStatus>& changed) {
    absl::MutexLock lock(&mu);
    queue.push_back(changed);
  });
  cv1::StatusEvent first;
  first.set_initial(true);
  cv1::GetStatusResponse now = agent_.Status();
  for (auto& p : *now.mutable_processes()) *first.add_processes() = std::move(p);
  bool ok = writer->Write(first);
  while (ok && !ctx->IsCancelled()) {
    {
      absl::MutexLock lock(&mu_);
      if (shutting_down_) break;
    }
    std::vector<cv1::ProcessStatus> next;
    {
      absl::MutexLock lock(&mu);
      auto ready = [&] { return !queue.empty(); };
      mu.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(200));
      if (queue.empty()) continue;
      next = std::move(queue.front());
      queue.pop_front();
    }
    cv1::StatusEvent ev;
    for (auto& p : next) *ev.add_processes() = std::move(p);
    ok = writer->Write(ev);
  }
  agent_.Unsubscribe(id);
  return grpc::Status::OK;
}

}  // namespace tandem::net
