// Generic gRPC tools (grpcurl, grpc_cli) can explore a running tandemd:
// server reflection lists the service and serves its descriptors.
#include <gtest/gtest.h>

#include "google/protobuf/descriptor.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "testing/tandemd_process.h"

namespace tandem {
namespace {

namespace refl = ::grpc::reflection::v1alpha;

// Reflection lists ConfigService and describes its methods.
TEST(Reflection, ListsAndDescribesConfigService) {
  testing::TandemdProcess server;
  server.Start();
  auto stub = refl::ServerReflection::NewStub(server.Channel());
  grpc::ClientContext ctx;
  auto stream = stub->ServerReflectionInfo(&ctx);

  refl::ServerReflectionRequest list;
  list.set_list_services("");
  ASSERT_TRUE(stream->Write(list));
  refl::ServerReflectionResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  std::vector<std::string> services;
  for (const auto& s : resp.list_services_response().service()) services.push_back(s.name());
  EXPECT_NE(std::find(services.begin(), services.end(), "tandem.config.v1.ConfigService"),
            services.end());

  refl::ServerReflectionRequest describe;
  describe.set_file_containing_symbol("tandem.config.v1.ConfigService");
  ASSERT_TRUE(stream->Write(describe));
  ASSERT_TRUE(stream->Read(&resp));
  ASSERT_GT(resp.file_descriptor_response().file_descriptor_proto_size(), 0);
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(resp.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.package(), "tandem.config.v1");
  std::vector<std::string> methods;
  for (const auto& svc : file.service()) {
    for (const auto& m : svc.method()) methods.push_back(m.name());
  }
  for (const char* m : {"Get", "List", "Create", "Update", "Delete", "Watch", "History"}) {
    EXPECT_NE(std::find(methods.begin(), methods.end(), m), methods.end()) << m;
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

// [server] reflection = false: the reflection service is not there.
TEST(Reflection, CanBeSwitchedOff) {
  testing::TandemdOptions o;
  o.server_toml = "reflection = false\n";
  testing::TandemdProcess server(o);
  server.Start();
  auto stub = refl::ServerReflection::NewStub(server.Channel());
  grpc::ClientContext ctx;
  auto stream = stub->ServerReflectionInfo(&ctx);
  refl::ServerReflectionRequest list;
  list.set_list_services("");
  stream->Write(list);
  stream->WritesDone();
  refl::ServerReflectionResponse resp;
  EXPECT_FALSE(stream->Read(&resp));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(server.Info().role(), config::v1::ROLE_STANDALONE);  // the API itself is there
}

}  // namespace
}  // namespace tandem
