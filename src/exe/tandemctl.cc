// tandemctl: the operator command line for Tandem configuration servers.
#include "ctl/cli.h"
#include "net/config_client.h"
#include "net/grpc_logs.h"

int main(int argc, char** argv) {
  tandem::net::SilenceGrpcLogs();  // tandemctl's errors are its own one-line messages
  return tandem::ctl::RunCli(argc, argv, &tandem::net::NewGrpcConfigClient);
}
