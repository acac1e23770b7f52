#include "net/lca_service.h"

#include <algorithm>
#include <deque>
#include <thread>

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

cv1::LcaHealth LcaServiceImpl::Health() {
  cv1::LcaHealth h;
  for (std::string& w : agent_.Warnings()) h.add_warnings(std::move(w));
  if (certificate_) {
    for (std::string& c : certificate_()) h.add_certificate(std::move(c));
  }
  return h;
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
  *first.mutable_health() = Health();
  std::string health_sent = first.health().SerializeAsString();
  absl::Time health_at = absl::Now();
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
      mu.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(250));
      if (!queue.empty()) {
        next = std::move(queue.front());
        queue.pop_front();
      }
    }
    // Nothing changed for 250 ms: an empty event says this LCA is alive, so
    // that the SCS knows when it last heard from it to within a quarter second.
    cv1::StatusEvent ev;
    for (auto& p : next) *ev.add_processes() = std::move(p);
    // Its health, when it changed (looked at once a second; the certificate
    // file is read at most once a minute).
    if (absl::Now() - health_at >= absl::Seconds(1)) {
      health_at = absl::Now();
      cv1::LcaHealth h = Health();
      if (std::string bytes = h.SerializeAsString(); bytes != health_sent) {
        health_sent = std::move(bytes);
        *ev.mutable_health() = std::move(h);
      }
    }
    ok = writer->Write(ev);
  }
  agent_.Unsubscribe(id);
  return grpc::Status::OK;
}

grpc::Status AppAgentImpl::Attach(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<cv1::AgentMessage, cv1::AppMessage>* stream) {
  cv1::AppMessage msg;
  if (!stream->Read(&msg)) return grpc::Status::OK;
  if (!msg.has_hello()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "send AppHello (application and TANDEM_LCA_TOKEN) first");
  }
  const std::string app = msg.hello().application();
  const std::string token = msg.hello().token();
  absl::StatusOr<int> period = agent_.Attach(app, token);
  if (!period.ok()) return ToGrpc(period.status());

  // Mode changes are written by this thread's partner below: Write may run
  // beside Read, never beside another Write.
  absl::Mutex mu;
  std::deque<cv1::AgentMessage> out;
  bool done = false;
  int64_t sent_epoch = -1;
  auto push_mode = [&](const cv1::ProcessStatus& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (s.application() != app || s.mode() == cv1::HA_MODE_UNSPECIFIED ||
        s.mode_epoch() <= sent_epoch) {
      return;
    }
    sent_epoch = s.mode_epoch();
    cv1::AgentMessage m;
    m.mutable_mode()->set_mode(s.mode());
    m.mutable_mode()->set_epoch(s.mode_epoch());
    out.push_back(std::move(m));
  };
  {
    absl::MutexLock lock(&mu);
    cv1::AgentMessage welcome;
    welcome.mutable_welcome()->set_heartbeat_period_ms(*period);
    out.push_back(std::move(welcome));
  }
  const int id = agent_.Subscribe([&](const std::vector<cv1::ProcessStatus>& changed) {
    absl::MutexLock lock(&mu);
    for (const auto& s : changed) push_mode(s);
  });
  {
    absl::MutexLock lock(&mu);
    const cv1::GetStatusResponse now = agent_.Status(app);
    for (const auto& s : now.processes()) push_mode(s);
  }
  std::thread writer([&] {
    while (true) {
      cv1::AgentMessage m;
      {
        absl::MutexLock lock(&mu);
        auto ready = [&] { return done || !out.empty(); };
        mu.Await(absl::Condition(&ready));
        if (out.empty()) return;
        m = std::move(out.front());
        out.pop_front();
      }
      if (!stream->Write(m)) return;
    }
  });
  while (stream->Read(&msg) && !ctx->IsCancelled()) {
    absl::Status st;
    switch (msg.kind_case()) {
      case cv1::AppMessage::kHeartbeat:
        st = agent_.Heartbeat(app, token);
        break;
      case cv1::AppMessage::kStatus:
        st = agent_.Report(app, token, msg.status().status(), msg.status().detail());
        break;
      case cv1::AppMessage::kConfirm:
        st = agent_.Confirm(app, token, msg.confirm().mode(), msg.confirm().epoch());
        break;
      default:
        break;
    }
    if (!st.ok()) break;  // the process is gone or was restarted: end its old stream
  }
  agent_.Unsubscribe(id);
  {
    absl::MutexLock lock(&mu);
    done = true;
  }
  writer.join();
  agent_.Detach(app, token);
  return grpc::Status::OK;
}

}  // namespace tandem::net
