// tandemctl: the operator command line for Tandem configuration servers and
// the Solution Control Servers.
#include "ctl/cli.h"
#include "net/config_client.h"
#include "net/grpc_logs.h"
#include "net/scs_service.h"

namespace {

// ctl's SCS client over gRPC (src/ctl includes no gRPC headers).
class GrpcScsClient : public tandem::ctl::ScsClient {
 public:
  explicit GrpcScsClient(const tandem::ctl::ScsClientOptions& o)
      : client_(o.address, o.tls, o.token, o.claimed, o.timeout) {}
  absl::StatusOr<tandem::control::v1::ScsStatusResponse> Status(
      const tandem::control::v1::ScsStatusRequest& request) override {
    return client_.Status(request);
  }
  absl::StatusOr<tandem::control::v1::ControlResponse> Control(
      const tandem::control::v1::ControlRequest& request) override {
    return client_.Control(request);
  }

 private:
  tandem::net::ScsControlClient client_;
};

}  // namespace

int main(int argc, char** argv) {
  tandem::net::SilenceGrpcLogs();  // tandemctl's errors are its own one-line messages
  return tandem::ctl::RunCli(
      argc, argv, &tandem::net::NewGrpcConfigClient,
      [](const tandem::ctl::ScsClientOptions& o) -> std::unique_ptr<tandem::ctl::ScsClient> {
        return std::make_unique<GrpcScsClient>(o);
      });
}
