// How tandemctl shows objects and changes: tables (default) or JSON.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "config/object_types.h"
#include "ctl/options.h"
#include "tandem/config/v1/config.pb.h"

namespace tandem::ctl {

namespace v1 = ::tandem::config::v1;

//! The properties shown as table columns for a type ("address", "os" for Host).
const std::vector<std::string>& KeyProperties(v1::ObjectType type);

//! How a table shows a reference, e.g. "fw-p (3)" (RefNames::Show); empty =
//! the bare DBID. JSON always has the DBIDs.
using RefShower = std::function<std::string(v1::ObjectType type, int64_t dbid)>;

//! Prints a list of objects of one type: DBID, NAME, ENABLED, REVISION and
//! the type's key properties (table), or a JSON array (json).
void PrintObjects(const std::vector<v1::ConfigObject>& objects, v1::ObjectType type,
                  OutputFormat format, std::ostream& out, const RefShower& refs = nullptr);

//! Prints one object in full: a readable block (table) or a JSON object.
void PrintObject(const v1::ConfigObject& object, OutputFormat format, std::ostream& out,
                 const RefShower& refs = nullptr);

//! A value as tables show it: like config::ValueToString, references by `refs`.
std::string ShowValue(const v1::Value& value, const RefShower& refs);

//! One line per change: "12  updated  Application 5 'x'  by tandemctl  at T"
//! (table) or the change as one JSON line (json).
std::string FormatChange(const v1::Change& change, OutputFormat format);

//! "Application 'x' (dbid 5)".
std::string Describe(const v1::ConfigObject& object);

using config::ProxyModeName;
using config::RoleName;

}  // namespace tandem::ctl
