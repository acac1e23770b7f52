#include <array>

#include "absl/strings/str_cat.h"
#include "load/client.h"
#include "load/modes.h"

namespace tandem::bench {
namespace {

//! One client's own Host and the revision it last wrote.
struct UpdateSlot {
  LoadClient* client = nullptr;
  v1::ConfigObject object;
  int64_t revision = 0;
  int64_t seq = 0;
  int64_t conflicts = 0;
  //! Alternating, so that starting the next call never destroys a context whose
  //! completion callback is still running.
  std::array<std::unique_ptr<grpc::ClientContext>, 2> contexts;
  v1::UpdateRequest request;
  v1::UpdateResponse response;
};

}  // namespace

void AddLoopResult(Report& report, LoopResult& result) {
  report.Set("ops", result.ops);
  report.Set("errors", result.errors);
  report.Set("measured_s", result.measured_s);
  report.Set("ops_per_s",
             result.measured_s > 0 ? static_cast<double>(result.ops) / result.measured_s : 0.0);
  report.SetLatency("latency", Summarize(result.latencies_ns));
}

absl::StatusOr<Report> RunUpdate(const LoadOptions& options) {
  auto clients = MakeClients(options, options.clients);
  if (!clients.ok()) return clients.status();
  std::string tag = RunTag();
  std::vector<v1::ConfigObject> hosts;
  for (int i = 0; i < options.clients; ++i) {
    hosts.push_back(MakeHost(absl::StrCat("load-upd-", tag, "-", i), i));
  }
  auto written = CreateInBatches(*(*clients)[0], hosts, options.batch);
  if (!written.ok()) return written.status();

  std::vector<UpdateSlot> slots(options.clients);
  for (int i = 0; i < options.clients; ++i) {
    slots[i].client = (*clients)[i].get();
    slots[i].object = (*written)[i];
    slots[i].revision = (*written)[i].revision();
  }
  StartFn start = [&slots](size_t i, DoneFn done) {
    UpdateSlot& s = slots[i];
    auto& context = s.contexts[++s.seq & 1];
    context = s.client->NewContext();
    s.request.Clear();
    *s.request.mutable_object() = s.object;
    (*s.request.mutable_object()->mutable_properties())["lca_port"].set_int_value(1024 +
                                                                                  s.seq % 60000);
    s.request.set_expected_revision(s.revision);
    s.client->stub().async()->Update(
        context.get(), &s.request, &s.response, [&s, done = std::move(done)](grpc::Status st) {
          if (st.ok()) {
            s.revision = s.response.object().revision() != 0 ? s.response.object().revision()
                                                             : s.response.revision();
          } else if (st.error_code() == grpc::StatusCode::ABORTED) {
            ++s.conflicts;
            s.revision = 0;  // Next update is unconditional, then chaining resumes.
          }
          done(st.ok());
        });
  };
  LoopResult result = RunClosedLoop(slots.size(), options.warmup_s, options.duration_s, start);
  Report report("update");
  report.Set("clients", options.clients);
  AddLoopResult(report, result);
  int64_t conflicts = 0;
  for (const auto& s : slots) conflicts += s.conflicts;
  report.Set("conflicts", conflicts);
  return report;
}

}  // namespace tandem::bench
