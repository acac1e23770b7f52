// Every server role refuses an address where another server already
// listens (gRPC's default SO_REUSEPORT let a second confserv start there and
// take part of the connections), with a message that says what to do.
#include <gtest/gtest.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "testing/csproxy_process.h"
#include "testing/tandemd_process.h"

namespace tandem {
namespace {

using testing::CsProxyOptions;
using testing::CsProxyProcess;
using testing::TandemdOptions;
using testing::TandemdProcess;

// A second confserv (own database) and a csproxy on a taken port exit 1
// saying so, before opening anything; every connection still reaches the
// first server.
TEST(ListenAddress, ASecondServerOnAnAddressInUseIsRefused) {
  const int port = testing::FreePort();
  TandemdOptions o;
  o.listen = absl::StrCat("127.0.0.1:", port);
  TandemdProcess first(o);
  first.Start();
  const std::string history_id = first.Info().history_id();
  ASSERT_FALSE(history_id.empty());

  for (const std::string& listen : {o.listen, absl::StrCat("0.0.0.0:", port)}) {
    TandemdOptions o2;
    o2.listen = listen;
    TandemdProcess second(o2);
    int status = 0;
    EXPECT_FALSE(second.StartOrExit(&status)) << listen << " was taken, yet it serves";
    EXPECT_EQ(status, 1) << second.Log();
    EXPECT_NE(second.Log().find(
                  absl::StrCat("cannot listen on ", listen, ": the address is already in use")),
              std::string::npos)
        << second.Log();
    // Refused before its database was opened: nothing was created.
    EXPECT_FALSE(std::filesystem::exists(second.dir() + "/config.db"));
  }

  CsProxyOptions po;
  po.masters = {first.address()};
  po.listen = o.listen;
  CsProxyProcess proxy(po);
  int status = 0;
  EXPECT_FALSE(proxy.StartOrExit(&status));
  EXPECT_EQ(status, 1) << proxy.Log();
  EXPECT_NE(proxy.Log().find("already in use"), std::string::npos) << proxy.Log();

  // Fresh connections all reach the first server (each Info() dials anew).
  for (int i = 0; i < 20; ++i) EXPECT_EQ(first.Info().history_id(), history_id);
}

// A malformed listen address is refused before anything is opened.
TEST(ListenAddress, AMalformedAddressIsRefusedClearly) {
  TandemdOptions o;
  o.listen = "127.0.0.1:notaport";
  TandemdProcess server(o);
  int status = 0;
  EXPECT_FALSE(server.StartOrExit(&status));
  EXPECT_NE(status, 0);
  EXPECT_NE(server.Log().find("expected HOST:PORT"), std::string::npos) << server.Log();
}

}  // namespace
}  // namespace tandem
