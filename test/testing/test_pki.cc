#include "testing/test_pki.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>

#include "absl/strings/str_join.h"
#include "pki/pki.h"

namespace tandem::testing {
namespace {

std::mutex mu;

bool IsIp(const std::string& host) {
  return host.find_first_not_of("0123456789.") == std::string::npos ||
         host.find(':') != std::string::npos;
}

}  // namespace

TestPki& TestPki::Get() {
  static TestPki* pki = new TestPki();
  return *pki;
}

TestPki::TestPki() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "tandem-pki-XXXXXX").string();
  dir_ = mkdtemp(tmpl.data());
  // Readable by the postgres user's processes too (a test may hand a
  // certificate to a server running as another user).
  std::filesystem::permissions(
      dir_, std::filesystem::perms::owner_all | std::filesystem::perms::others_exec);
  auto ca = pki::InitCa({.dir = dir_ + "/ca", .name = "Tandem test CA"});
  if (!ca.ok()) ADD_FAILURE() << "test CA: " << ca.status();
  setenv("TANDEM_CA", this->ca().c_str(), 1);
  // Removed when the process ends (the CA is shared by every test in it).
  std::atexit([] { std::filesystem::remove_all(TestPki::Get().dir()); });
}

std::string TestPki::ca() const { return pki::CaCertPath(dir_ + "/ca"); }

TlsFiles TestPki::Server(const std::string& name, const std::vector<std::string>& hosts) {
  std::lock_guard<std::mutex> lock(mu);
  static std::map<std::string, TlsFiles> made;
  const std::string key = name + "|" + absl::StrJoin(hosts, ",");
  if (auto it = made.find(key); it != made.end()) return it->second;
  pki::IssueOptions o;
  o.dir = dir_ + "/ca";
  o.name = name;
  o.out_dir = dir_ + "/" + std::to_string(made.size());
  o.dns_names = {"localhost"};
  o.ip_addresses = {"127.0.0.1", "::1"};
  for (const std::string& h : hosts) (IsIp(h) ? o.ip_addresses : o.dns_names).push_back(h);
  auto issued = pki::Issue(o);
  if (!issued.ok()) ADD_FAILURE() << "test certificate " << name << ": " << issued.status();
  std::filesystem::permissions(
      o.out_dir, std::filesystem::perms::owner_all | std::filesystem::perms::others_exec);
  TlsFiles files{pki::CertPath(o.out_dir, name), pki::KeyPath(o.out_dir, name), ca(), false};
  made.emplace(key, files);
  return files;
}

TlsFiles TestPki::Client(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu);
  static std::map<std::string, TlsFiles> made;
  if (auto it = made.find(name); it != made.end()) return it->second;
  pki::IssueOptions o;
  o.dir = dir_ + "/ca";
  o.name = name;
  o.out_dir = dir_ + "/client-" + std::to_string(made.size());
  o.server_auth = false;
  auto issued = pki::Issue(o);
  if (!issued.ok()) ADD_FAILURE() << "test client certificate " << name << ": " << issued.status();
  TlsFiles files{pki::CertPath(o.out_dir, name), pki::KeyPath(o.out_dir, name), ca(), false};
  made.emplace(name, files);
  return files;
}

TlsFiles TestPki::Trust() const {
  TlsFiles files;
  files.ca = ca();
  return files;
}

}  // namespace tandem::testing
