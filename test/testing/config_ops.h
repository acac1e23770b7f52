// Configuration calls the integration tests make again and again: create a
// Host, and check that acknowledged writes are all there.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "grpcpp/support/status.h"
#include "testing/tandemd_process.h"

namespace tandem::testing {

//! Creates the Host `name` (address 192.0.2.7) through `server`; returns the
//! call's status and, when it succeeded, the revision in *revision.
grpc::Status CreateHost(const TandemdProcess& server, const std::string& name,
                        int64_t* revision = nullptr,
                        std::chrono::milliseconds deadline = std::chrono::seconds(10));

//! Every Host in `acked` (name -> revision acknowledged) is readable through
//! `server` at that revision (gtest failures otherwise).
void ExpectHostsAtRevisions(const TandemdProcess& server,
                            const std::map<std::string, int64_t>& acked);

}  // namespace tandem::testing
