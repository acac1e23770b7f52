#include <array>
#include <random>

#include "absl/strings/str_cat.h"
#include "load/client.h"
#include "load/modes.h"

namespace tandem::bench {
namespace {

struct ReadSlot {
  LoadClient* client = nullptr;
  std::mt19937_64 rng;
  int64_t seq = 0;
  int64_t not_found = 0;
  std::array<std::unique_ptr<grpc::ClientContext>, 2> contexts;
  v1::GetRequest request;
  v1::GetResponse response;
};

}  // namespace

absl::StatusOr<Report> RunRead(const LoadOptions& options) {
  auto clients = MakeClients(options, options.clients);
  if (!clients.ok()) return clients.status();
  int64_t count = options.count > 0 ? options.count : 10000;
  std::string tag = RunTag();
  std::vector<v1::ConfigObject> hosts;
  hosts.reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    hosts.push_back(MakeHost(absl::StrCat("load-rd-", tag, "-", i), i));
  }
  auto written = CreateInBatches(*(*clients)[0], hosts, options.batch);
  if (!written.ok()) return written.status();
  std::vector<int64_t> dbids;
  dbids.reserve(written->size());
  for (const auto& o : *written) dbids.push_back(o.dbid());

  std::vector<ReadSlot> slots(options.clients);
  for (int i = 0; i < options.clients; ++i) {
    slots[i].client = (*clients)[i].get();
    slots[i].rng.seed(1234 + i);
  }
  StartFn start = [&slots, &dbids](size_t i, DoneFn done) {
    ReadSlot& s = slots[i];
    auto& context = s.contexts[++s.seq & 1];
    context = s.client->NewContext();
    s.request.set_type(v1::OBJECT_TYPE_HOST);
    s.request.set_dbid(dbids[s.rng() % dbids.size()]);
    s.client->stub().async()->Get(
        context.get(), &s.request, &s.response, [&s, done = std::move(done)](grpc::Status st) {
          bool ok = st.ok() && s.response.object().dbid() == s.request.dbid();
          if (st.error_code() == grpc::StatusCode::NOT_FOUND) ++s.not_found;
          done(ok);
        });
  };
  LoopResult result = RunClosedLoop(slots.size(), options.warmup_s, options.duration_s, start);
  Report report("read");
  report.Set("clients", options.clients);
  report.Set("objects", count);
  AddLoopResult(report, result);
  int64_t not_found = 0;
  for (const auto& s : slots) not_found += s.not_found;
  report.Set("not_found", not_found);
  return report;
}

}  // namespace tandem::bench
