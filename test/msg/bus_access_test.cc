// The Message Server's permission cache on simulated time: the master's
// decision is reused for access_cache_s and asked again after; while no
// master answers, a caller decided before keeps its answer and one never
// seen is told to retry; refused credentials are not kept. (The master's
// AccessCheck itself is exercised with real processes in msgserver_test.)
#include <gtest/gtest.h>

#include "absl/synchronization/notification.h"
#include "msg/msgserver_app.h"

namespace tandem::msg {
namespace {

namespace cv1 = ::tandem::control::v1;

class BusAccessTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::string> Check(const std::string& token, const std::string& right) {
    net::OperatorCall call;
    call.token = token;
    absl::StatusOr<std::string> out = absl::UnknownError("not answered");
    absl::Notification done;
    access_.Check(call, right, [&](absl::StatusOr<std::string> who) {
      out = std::move(who);
      done.Notify();
    });
    done.WaitForNotification();
    return out;
  }

  SimClock clock_;
  int asked_ = 0;
  // What the master answers now.
  absl::StatusOr<cv1::CheckAccessResponse> answer_;
  MasterBusAccess access_{"ms-a", [] { return int64_t{7}; },
                          [this](const cv1::CheckAccessRequest& r) {
                            ++asked_;
                            EXPECT_EQ(r.objects(0).dbid(), 7);
                            return answer_;
                          },
                          absl::Seconds(30), clock_};
};

TEST_F(BusAccessTest, DecisionsAreReusedThenAskedAgain) {
  cv1::CheckAccessResponse yes;
  yes.set_who("person carol");
  yes.add_allowed(true);
  answer_ = yes;
  EXPECT_EQ(*Check("t1", "read"), "person carol");
  EXPECT_EQ(*Check("t1", "read"), "person carol");
  EXPECT_EQ(asked_, 1) << "reused";
  clock_.Advance(absl::Seconds(31));
  EXPECT_TRUE(Check("t1", "read").ok());
  EXPECT_EQ(asked_, 2) << "asked again after access_cache_s";
  // Another right is another decision; a refusal says what to do.
  cv1::CheckAccessResponse no;
  no.set_who("person carol");
  no.add_allowed(false);
  answer_ = no;
  absl::StatusOr<std::string> publish = Check("t1", "execute");
  EXPECT_EQ(publish.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(publish.status().message().find("tandemctl grant app ms-a"), std::string::npos)
      << publish.status();
}

TEST_F(BusAccessTest, WithoutAMasterKnownCallersKeepTheirAnswer) {
  cv1::CheckAccessResponse yes;
  yes.set_who("application scs-1");
  yes.add_allowed(true);
  answer_ = yes;
  ASSERT_TRUE(Check("t1", "execute").ok());
  answer_ = absl::UnavailableError("no master answered");
  clock_.Advance(absl::Minutes(5));
  EXPECT_EQ(*Check("t1", "execute"), "application scs-1") << "kept while no master answers";
  absl::StatusOr<std::string> stranger = Check("t2", "execute");
  EXPECT_EQ(stranger.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(stranger.status().message().find("cannot tell whether you may publish"),
            std::string::npos)
      << stranger.status();
  // Refused credentials are not kept: a new login works at once.
  answer_ = absl::UnauthenticatedError("log in again");
  EXPECT_EQ(Check("t3", "read").status().code(), absl::StatusCode::kUnauthenticated);
  answer_ = yes;
  EXPECT_TRUE(Check("t3", "read").ok());
}

}  // namespace
}  // namespace tandem::msg
