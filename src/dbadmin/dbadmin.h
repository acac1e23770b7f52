// DBMS operations for operators: build a streaming standby, turn an old
// primary into a standby of the new one, and fence a DBMS against given
// source addresses. Runs the PostgreSQL tools (pg_basebackup, pg_rewind,
// pg_ctl) and nft; asks the servers through storage/pg_admin.h. Used by
// `tandemctl db`; the disaster-recovery automation will use it too.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tandem::dbadmin {

//! How the PostgreSQL tools are run.
struct Tools {
  std::string bin_dir = "/usr/lib/postgresql/15/bin";
  //! Owner of the data directories; the tools run as this user when we are root.
  std::string os_user = "postgres";
  //! Progress lines for the operator (may be empty).
  std::function<void(const std::string&)> progress;
  //! Let long-running tools show their own progress on stderr.
  bool tool_progress = false;
};

//! Where and how a standby runs.
struct StandbySpec {
  //! The primary to stream from; its user needs the REPLICATION attribute
  //! (and superuser, or pg_monitor, for the checks).
  std::string primary_conninfo;
  std::string data_dir;
  //! application_name the standby reports; synchronous_standby_names uses it.
  std::string name = "tandem_standby";
  bool synchronous = false;
  //! If non-zero, written to the standby's postgresql.auto.conf.
  int port = 0;
  //! Start it (pg_ctl start) and wait until it streams.
  bool start = true;
  //! Extra server options for pg_ctl start -o (e.g. "-k /run/pg -c listen_addresses=...").
  std::string start_options;
  absl::Duration timeout = absl::Minutes(30);
};

//! pg_basebackup -R into an empty (or new) directory, then start it and, if
//! synchronous, add it to the primary's synchronous_standby_names once it
//! streams. On failure nothing is left in the directory.
absl::Status CreateReplica(const StandbySpec& spec, const Tools& tools);

enum class RebuildMethod { kAuto, kRewind, kBasebackup };

//! Turns the stopped old primary in spec.data_dir into a standby of the new
//! primary: pg_rewind (fast; needs data checksums or wal_log_hints), or a
//! fresh pg_basebackup with the old directory kept beside it as
//! DIR.before-rebuild-<UTC time>. kAuto tries rewind first. Returns what was done.
absl::StatusOr<std::string> Rebuild(const StandbySpec& spec, RebuildMethod method,
                                    const Tools& tools);

//! "198.51.100.7" -> "198.51.100.7/32"; "2001:db8::/32" stays; host bits
//! below the prefix are cleared. Errors name the bad input.
absl::StatusOr<std::string> NormalizeCidr(const std::string& address);

enum class FenceMethod { kHba, kNft };

struct FenceSpec {
  FenceMethod method = FenceMethod::kHba;
  //! CIDRs (NormalizeCidr'd).
  std::vector<std::string> addresses;
  //! A superuser connection that is not itself fenced (a Unix socket is
  //! best): finds pg_hba.conf and the port, reloads, ends fenced sessions.
  std::string conninfo;
  //! kHba: the file to edit (default: the server's hba_file setting).
  std::string hba_file;
  //! kNft: the DBMS port (default: the server's port setting).
  int port = 0;
  std::string nft_table = "tandem_fence";
};

struct FenceResult {
  std::vector<std::string> changed;    // fenced (or unfenced) now
  std::vector<std::string> unchanged;  // already so
  int64_t sessions_ended = 0;
  std::string where;  // the file or the nft table
};

//! Refuses connections from the addresses to the DBMS; idempotent.
absl::StatusOr<FenceResult> Fence(const FenceSpec& spec);
//! Takes those addresses' fences away; idempotent.
absl::StatusOr<FenceResult> Unfence(const FenceSpec& spec);

//! This host's nft fences ("198.51.100.2/32 port 5433"); empty without the table.
absl::StatusOr<std::vector<std::string>> ListNftFences(const std::string& table = "tandem_fence");

}  // namespace tandem::dbadmin
