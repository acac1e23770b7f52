#include "testing/person.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace tandem::testing {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CommandResult Person::Ctl(const std::string& address, const std::string& args,
                          const std::string& input) const {
  const std::string in = tmp_.file("stdin");
  std::ofstream(in, std::ios::trunc) << input;
  return Shell(absl::StrCat("TANDEM_TOKEN_FILE=", tmp_.file("token"), " ", BinaryPath("tandemctl"),
                            " --server ", address, " ", args, " <", in, " 2>&1"));
}

std::string Person::token() const { return ReadFile(tmp_.file("token")); }

void Person::set_token(const std::string& token) const {
  std::ofstream(tmp_.file("token"), std::ios::trunc) << token;
}

CommandResult Person::Login(const std::string& address, const std::string& password) const {
  return Ctl(address, absl::StrCat("login --user ", name_, " --password-stdin"), password + "\n");
}

void OperatedMaster::Start(const std::string& extra_toml) {
  TandemdOptions o;
  o.auth = true;
  o.extra_toml = extra_toml;
  master_ = std::make_unique<TandemdProcess>(o);
  master_->Start();
  Run(admin_,
      "auth bootstrap --user admin --password-stdin --secret-file " + master_->bootstrap_file(),
      std::string(kAdminPassword) + "\n");
  CommandResult r = admin_.Login(at(), kAdminPassword);
  if (r.code != 0) ADD_FAILURE() << "tandemctl login --user admin:\n" << r.out;
}

void OperatedMaster::Run(const Person& who, const std::string& args,
                         const std::string& input) const {
  CommandResult r = who.Ctl(at(), args, input);
  if (r.code != 0)
    ADD_FAILURE() << "tandemctl " << args << " (as " << who.name() << "):\n" << r.out;
}

void OperatedMaster::Create(const std::string& type, const std::string& json) const {
  Run(admin_, absl::StrCat("create ", type, " -f -"), json);
}

void OperatedMaster::AddPerson(const Person& as, const std::string& password) const {
  Create("person", absl::StrCat(R"({"name": ")", as.name(), R"(", "properties": {"user_name": ")",
                                as.name(), R"("}})"));
  Run(admin_, absl::StrCat("passwd ", as.name(), " --password-stdin"), password + "\n");
  CommandResult r = as.Login(at(), password);
  if (r.code != 0) ADD_FAILURE() << "tandemctl login --user " << as.name() << ":\n" << r.out;
}

}  // namespace tandem::testing
