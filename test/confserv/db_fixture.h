// An in-process ConfigDatabase on a temporary SQLite file, with a simulated
// clock and synchronous write helpers.
#pragma once

#include <gtest/gtest.h>

#include <future>

#include "confserv/config_database.h"
#include "testing/temp_dir.h"

namespace tandem::confserv {

class DbFixture : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen(HistoryRetention retention = {}) {
    db_.reset();
    auto storage = storage::OpenSqlite({.path = dir_.file("config.db")});
    ASSERT_TRUE(storage.ok()) << storage.status();
    DatabaseOptions options;
    options.clock = &clock_;
    options.committer.retention = retention;
    auto db = ConfigDatabase::Open(std::move(*storage), options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }

  absl::StatusOr<config::WriteResult> Write(std::vector<v1::Operation> ops) {
    std::promise<absl::StatusOr<config::WriteResult>> p;
    auto f = p.get_future();
    config::WriteRequest request;
    request.operations = std::move(ops);
    request.who = "test";
    request.done = [&p](absl::StatusOr<config::WriteResult> r) { p.set_value(std::move(r)); };
    db_->Write(std::move(request));
    return f.get();
  }

  absl::StatusOr<v1::ConfigObject> Create(v1::ConfigObject o) {
    std::vector<v1::Operation> ops(1);
    *ops[0].mutable_create()->mutable_object() = std::move(o);
    auto r = Write(std::move(ops));
    if (!r.ok()) return r.status();
    return r->objects[0];
  }

  absl::StatusOr<v1::ConfigObject> Update(v1::ConfigObject o, int64_t expected) {
    std::vector<v1::Operation> ops(1);
    *ops[0].mutable_update()->mutable_object() = std::move(o);
    ops[0].mutable_update()->set_expected_revision(expected);
    auto r = Write(std::move(ops));
    if (!r.ok()) return r.status();
    return r->objects[0];
  }

  absl::Status Delete(v1::ObjectType type, int64_t dbid) {
    std::vector<v1::Operation> ops(1);
    ops[0].mutable_delete_()->set_type(type);
    ops[0].mutable_delete_()->set_dbid(dbid);
    return Write(std::move(ops)).status();
  }

  static v1::ConfigObject Host(const std::string& name) {
    v1::ConfigObject o;
    o.set_type(v1::OBJECT_TYPE_HOST);
    o.set_name(name);
    o.set_enabled(true);
    (*o.mutable_properties())["address"].set_string_value("192.0.2.1");
    return o;
  }

  static v1::ConfigObject App(const std::string& name, int64_t host_dbid) {
    v1::ConfigObject o;
    o.set_type(v1::OBJECT_TYPE_APPLICATION);
    o.set_name(name);
    (*o.mutable_properties())["app_type"].set_string_value("ThirdPartyServer");
    if (host_dbid != 0) (*o.mutable_properties())["host"].mutable_ref_value()->set_dbid(host_dbid);
    return o;
  }

  //! Everything, as (type, dbid, serialized) in order: to compare states.
  std::vector<std::string> Dump() {
    std::vector<std::string> out;
    for (auto type : {v1::OBJECT_TYPE_TENANT, v1::OBJECT_TYPE_FOLDER, v1::OBJECT_TYPE_HOST,
                      v1::OBJECT_TYPE_APPLICATION, v1::OBJECT_TYPE_SOLUTION}) {
      v1::ListRequest req;
      req.set_type(type);
      auto snap = db_->List(req);
      EXPECT_TRUE(snap.ok());
      for (const auto& o : snap->objects) out.push_back(*o);
    }
    return out;
  }

  tandem::testing::TempDir dir_;
  SimClock clock_;
  std::unique_ptr<ConfigDatabase> db_;
};

}  // namespace tandem::confserv
