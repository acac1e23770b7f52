// Network namespaces standing for other hosts in tests: each gets a veth
// pair to this (root) namespace with a /30 from a documentation range.
// Needs root and iproute2; everything is removed when the object dies.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace tandem::testing {

class NetnsHost {
 public:
  //! `tag` is short (a letter); `subnet` a /30's first three octets and
  //! base, e.g. "198.51.100.0": root side .1, namespace side .2.
  NetnsHost(const std::string& tag, const std::string& subnet);
  ~NetnsHost();
  NetnsHost(const NetnsHost&) = delete;
  NetnsHost& operator=(const NetnsHost&) = delete;

  absl::Status Create();
  const std::string& name() const { return name_; }
  //! This namespace's address and the root namespace's address facing it.
  const std::string& address() const { return address_; }
  const std::string& peer_address() const { return peer_; }
  //! A shell command prefix that runs in the namespace.
  std::string Exec() const { return "ip netns exec " + name_ + " "; }

 private:
  std::string name_, link_, address_, peer_;
  bool created_ = false;
};

}  // namespace tandem::testing
