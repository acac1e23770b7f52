#include <array>

#include "absl/strings/str_cat.h"
#include "load/client.h"
#include "load/modes.h"

namespace tandem::bench {
namespace {

struct CreateSlot {
  LoadClient* client = nullptr;
  std::string prefix;
  int64_t seq = 0;
  std::array<std::unique_ptr<grpc::ClientContext>, 2> contexts;
  v1::CreateRequest request;
  v1::CreateResponse response;
};

}  // namespace

absl::StatusOr<Report> RunCreate(const LoadOptions& options) {
  auto clients = MakeClients(options, options.clients);
  if (!clients.ok()) return clients.status();
  std::string tag = RunTag();
  std::vector<CreateSlot> slots(options.clients);
  for (int i = 0; i < options.clients; ++i) {
    slots[i].client = (*clients)[i].get();
    slots[i].prefix = absl::StrCat("load-cr-", tag, "-", i, "-");
  }
  StartFn start = [&slots](size_t i, DoneFn done) {
    CreateSlot& s = slots[i];
    auto& context = s.contexts[++s.seq & 1];
    context = s.client->NewContext();
    *s.request.mutable_object() = MakeHost(absl::StrCat(s.prefix, s.seq), s.seq);
    s.client->stub().async()->Create(context.get(), &s.request, &s.response,
                                     [done = std::move(done)](grpc::Status st) { done(st.ok()); });
  };
  LoopResult result = RunClosedLoop(slots.size(), options.warmup_s, options.duration_s, start);
  Report report("create");
  report.Set("clients", options.clients);
  AddLoopResult(report, result);
  return report;
}

}  // namespace tandem::bench
