// tandemctl: the operator command line for Tandem configuration servers.
#include "ctl/cli.h"
#include "net/config_client.h"

int main(int argc, char** argv) {
  return tandem::ctl::RunCli(argc, argv, &tandem::net::NewGrpcConfigClient);
}
