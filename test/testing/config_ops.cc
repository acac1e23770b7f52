#include "testing/config_ops.h"

#include <gtest/gtest.h>

#include "grpcpp/client_context.h"

namespace tandem::testing {

namespace v1 = config::v1;

grpc::Status CreateHost(const TandemdProcess& server, const std::string& name, int64_t* revision,
                        std::chrono::milliseconds deadline) {
  auto stub = server.Stub();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + deadline);
  v1::CreateRequest req;
  req.mutable_object()->set_type(v1::OBJECT_TYPE_HOST);
  req.mutable_object()->set_name(name);
  (*req.mutable_object()->mutable_properties())["address"].set_string_value("192.0.2.7");
  v1::CreateResponse resp;
  grpc::Status st = stub->Create(&ctx, req, &resp);
  if (st.ok() && revision != nullptr) *revision = resp.revision();
  return st;
}

void ExpectHostsAtRevisions(const TandemdProcess& server,
                            const std::map<std::string, int64_t>& acked) {
  auto stub = server.Stub();
  for (const auto& [name, revision] : acked) {
    grpc::ClientContext ctx;
    v1::GetRequest get;
    get.set_type(v1::OBJECT_TYPE_HOST);
    get.set_name(name);
    v1::GetResponse resp;
    grpc::Status st = stub->Get(&ctx, get, &resp);
    ASSERT_TRUE(st.ok()) << "acknowledged write of " << name << " lost: " << st.error_message();
    EXPECT_EQ(resp.object().revision(), revision);
  }
}

}  // namespace tandem::testing
