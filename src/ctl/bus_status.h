// What `tandemctl bus status` warns of, from the servers' answers (apart
// from the command so that every case is tested without a split brain).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ctl/lookup.h"
#include "tandem/msg/v1/bus.pb.h"

namespace tandem::ctl {

//! One Message Server's GetInfo, or why it gave none.
struct BusAnswer {
  NamedAddress server;
  std::optional<msg::v1::BusInfo> info;
  std::string error;
};

//! The answer of the partner `a` names (its GetInfo's `partner`), if it was
//! asked; null otherwise (and when `a` did not answer).
const BusAnswer* PartnerOf(const std::vector<BusAnswer>& answers, const BusAnswer& a);

//! Both members of a pair acting, neither, a backup that does not copy, a
//! server alone that does not act, a server that does not answer: one line
//! each, a pair once.
std::vector<std::string> BusWarnings(const std::vector<BusAnswer>& answers);

}  // namespace tandem::ctl
