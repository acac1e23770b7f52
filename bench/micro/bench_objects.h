// Representative objects and changes shared by the micro benchmarks.
#pragma once

#include <string>

#include "tandem/config/v1/config.pb.h"

namespace tandem::bench {

namespace v1 = ::tandem::config::v1;

//! An Application with a host, a port, two connections and a few options.
inline v1::ConfigObject SampleApplication(int64_t i) {
  v1::ConfigObject app;
  app.set_type(v1::OBJECT_TYPE_APPLICATION);
  app.set_dbid(1000 + i);
  app.set_name("app-" + std::to_string(i));
  app.set_enabled(true);
  auto& props = *app.mutable_properties();
  props["app_type"].set_string_value("Sample");
  auto* host = props["host"].mutable_ref_value();
  host->set_type(v1::OBJECT_TYPE_HOST);
  host->set_dbid(7);
  auto* port = props["ports"].mutable_list_value()->add_values()->mutable_record_value();
  (*port->mutable_fields())["id"].set_string_value("default");
  (*port->mutable_fields())["port"].set_int_value(7000);
  for (int c = 0; c < 2; ++c) {
    auto* conn = props["connections"].mutable_list_value()->add_values()->mutable_record_value();
    (*conn->mutable_fields())["server"].mutable_ref_value()->set_dbid(2000 + c);
    (*conn->mutable_fields())["port_id"].set_string_value("default");
    (*conn->mutable_fields())["keepalive_timeout_s"].set_int_value(30);
  }
  props["working_directory"].set_string_value("/opt/bench");
  props["command_line"].set_string_value("./sample_app");
  props["arguments"].set_string_value("-app app-" + std::to_string(i));
  auto& log = *(*app.mutable_options())["log"].mutable_entries();
  log["verbose"] = "standard";
  log["all"] = "/var/log/app.log";
  (*(*app.mutable_annex())["meta"].mutable_entries())["owner"] = "bench";
  return app;
}

//! An UPDATED change of an Application (before and after), as history stores it.
inline v1::Change SampleChange(int64_t revision) {
  v1::Change change;
  change.set_revision(revision);
  change.set_kind(v1::CHANGE_KIND_UPDATED);
  change.set_type(v1::OBJECT_TYPE_APPLICATION);
  change.set_dbid(1001);
  change.set_who("tandem-load");
  change.mutable_committed_at()->set_seconds(1'760'000'000);
  *change.mutable_before() = SampleApplication(1);
  *change.mutable_after() = SampleApplication(1);
  (*change.mutable_after()->mutable_properties())["command_line"].set_string_value("./v2");
  return change;
}

}  // namespace tandem::bench
