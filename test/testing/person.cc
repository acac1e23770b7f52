#include "testing/person.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

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

}  // namespace tandem::testing
