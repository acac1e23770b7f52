// tandemctl run as one person, with a token file of their own: what the
// integration tests of the management layer and the Message Server log in
// and act as.
#pragma once

#include <string>

#include "testing/daemon_process.h"
#include "testing/temp_dir.h"

namespace tandem::testing {

//! The whole of a file ("" when it cannot be read).
std::string ReadFile(const std::string& path);

class Person {
 public:
  explicit Person(std::string name) : name_(std::move(name)) {}
  //! `tandemctl --server ADDRESS ARGS` with `input` on stdin; stdout and
  //! stderr together.
  CommandResult Ctl(const std::string& address, const std::string& args,
                    const std::string& input = "") const;
  //! The session token `tandemctl login` stored.
  std::string token() const;
  void set_token(const std::string& token) const;
  CommandResult Login(const std::string& address, const std::string& password) const;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  TempDir tmp_;
};

}  // namespace tandem::testing
