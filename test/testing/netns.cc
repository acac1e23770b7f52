#include "testing/netns.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tandem::testing {
namespace {

absl::Status Sh(const std::string& cmd) {
  if (std::system((cmd + " >/dev/null 2>&1").c_str()) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("`", cmd, "` failed"));
  }
  return absl::OkStatus();
}

}  // namespace

NetnsHost::NetnsHost(const std::string& tag, const std::string& subnet) {
  name_ = absl::StrCat("td", tag, getpid());
  link_ = name_;
  std::vector<std::string> o = absl::StrSplit(subnet, '.');
  const int base = o.size() == 4 ? std::atoi(o[3].c_str()) : 0;
  const std::string prefix = o.size() == 4 ? absl::StrCat(o[0], ".", o[1], ".", o[2], ".") : "";
  peer_ = absl::StrCat(prefix, base + 1);
  address_ = absl::StrCat(prefix, base + 2);
}

absl::Status NetnsHost::Create() {
  if (geteuid() != 0) return absl::FailedPreconditionError("network namespaces need root");
  created_ = true;
  for (const std::string& cmd : {
           absl::StrCat("ip netns add ", name_),
           absl::StrCat("ip link add ", link_, " type veth peer name ", link_, "p"),
           absl::StrCat("ip link set ", link_, "p netns ", name_),
           absl::StrCat("ip addr add ", peer_, "/30 dev ", link_),
           absl::StrCat("ip link set ", link_, " up"),
           absl::StrCat(Exec(), "ip addr add ", address_, "/30 dev ", link_, "p"),
           absl::StrCat(Exec(), "ip link set ", link_, "p up"),
           absl::StrCat(Exec(), "ip link set lo up"),
       }) {
    if (absl::Status st = Sh(cmd); !st.ok()) return st;
  }
  return absl::OkStatus();
}

NetnsHost::~NetnsHost() {
  if (!created_) return;
  // Deleting the namespace deletes the veth pair with it.
  (void)Sh(absl::StrCat("ip link del ", link_));
  (void)Sh(absl::StrCat("ip netns del ", name_));
}

}  // namespace tandem::testing
