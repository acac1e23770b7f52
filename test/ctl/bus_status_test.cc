// What `tandemctl bus status` warns of, for every shape of a pair's answers
// (the command itself runs against real servers in
// test/integration/msgserver_test.cc).
#include "ctl/bus_status.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tandem::ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

BusAnswer Server(const std::string& name, const std::string& partner, bool acting, bool copying,
                 int64_t epoch = 3) {
  msg::v1::BusInfo info;
  info.set_application(name);
  info.set_partner(partner);
  info.set_acting(acting);
  info.set_copying(copying);
  info.set_epoch(epoch);
  return {{name, "127.0.0.1:7400"}, info, ""};
}

BusAnswer Down(const std::string& name) {
  return {{name, "127.0.0.1:7401"}, std::nullopt, "does not accept connections"};
}

TEST(BusWarningsTest, AHealthyPairHasNone) {
  EXPECT_THAT(
      BusWarnings({Server("ms-a", "ms-b", true, false), Server("ms-b", "ms-a", false, true)}),
      IsEmpty());
  EXPECT_THAT(BusWarnings({Server("solo", "", true, false)}), IsEmpty());
}

TEST(BusWarningsTest, BothActingIsASplitBrainSaidOnce) {
  std::vector<std::string> w =
      BusWarnings({Server("ms-a", "ms-b", true, false, 3), Server("ms-b", "ms-a", true, false, 4)});
  ASSERT_EQ(w.size(), 1u);
  EXPECT_THAT(w[0], HasSubstr("split brain: both ms-a (epoch 3) and ms-b (epoch 4) act"));
}

TEST(BusWarningsTest, NeitherActingAndABackupNotCopying) {
  std::vector<std::string> w =
      BusWarnings({Server("ms-a", "ms-b", false, true), Server("ms-b", "ms-a", false, false)});
  EXPECT_THAT(w, UnorderedElementsAre(HasSubstr("ms-b (backup) does not copy its partner"),
                                      HasSubstr("neither ms-a/ms-b acts")));
}

TEST(BusWarningsTest, AServerDownIsSaidWithItsAddress) {
  EXPECT_THAT(BusWarnings({Down("ms-a"), Server("ms-b", "ms-a", true, false)}),
              ElementsAre("ms-a at 127.0.0.1:7401 does not answer (does not accept connections)"));
  EXPECT_THAT(BusWarnings({Server("solo", "", false, false)}),
              ElementsAre(HasSubstr("solo (backup) does not copy"),
                          "solo has no partner and does not act"));
}

}  // namespace
}  // namespace tandem::ctl
