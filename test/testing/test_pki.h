// One certificate authority per test process (a temporary directory that
// lives as long as the process), and certificates from it for the servers
// and clients a test starts. Creating it sets TANDEM_CA, so that the
// tandemctl and tandem-sample processes a test runs trust it too.
#pragma once

#include <string>
#include <vector>

#include "tandem/tls_files.h"

namespace tandem::testing {

class TestPki {
 public:
  //! The process's CA, made on first use.
  static TestPki& Get();

  const std::string& dir() const { return dir_; }
  std::string ca() const;
  //! Server and client certificate for `name` (its CN), valid for loopback
  //! (127.0.0.1, ::1, localhost) and `hosts` (IPs or DNS names); one per
  //! (name, hosts) for the process.
  TlsFiles Server(const std::string& name, const std::vector<std::string>& hosts = {});
  //! A client certificate for `name` (an operator, an application).
  TlsFiles Client(const std::string& name);
  //! The CA only: what a client needs to check servers.
  TlsFiles Trust() const;

 private:
  TestPki();
  std::string dir_;
};

}  // namespace tandem::testing
