// tandemctl run as one person, with a token file of their own: what the
// integration tests of the management layer and the Message Server log in
// and act as.
#pragma once

#include <memory>
#include <string>

#include "testing/daemon_process.h"
#include "testing/tandemd_process.h"
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

//! A master with authentication on and its administrator ("admin") logged
//! in with tandemctl: what the management-layer tests set their site up
//! through. Failures are reported to gtest (ADD_FAILURE) and say what ran.
class OperatedMaster {
 public:
  static constexpr char kAdminPassword[] = "correct horse battery";
  //! Starts the master (with `extra_toml` in its bootstrap file),
  //! bootstraps and logs in the administrator.
  void Start(const std::string& extra_toml = "");
  std::string at() const { return master_->address(); }
  TandemdProcess& process() { return *master_; }
  const Person& admin() const { return admin_; }
  //! `tandemctl ARGS` as `who`, which must succeed.
  void Run(const Person& who, const std::string& args, const std::string& input = "") const;
  //! `tandemctl create TYPE -f -` with `json`, as the administrator.
  void Create(const std::string& type, const std::string& json) const;
  //! A Person `name` with `password`, logged in as `as` (its own tandemctl).
  void AddPerson(const Person& as, const std::string& password) const;

 private:
  std::unique_ptr<TandemdProcess> master_;
  Person admin_{"admin"};
};

}  // namespace tandem::testing
