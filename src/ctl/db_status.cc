#include "ctl/db_status.h"

#include <unistd.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "config/object_json.h"
#include "ctl/errors.h"
#include "ctl/table_printer.h"
#include "dbadmin/dbadmin.h"
#include "tandem/storage/pg_admin.h"

namespace tandem::ctl {
namespace {

namespace pgadmin = storage::pgadmin;

struct Row {
  std::string conninfo;
  absl::StatusOr<pgadmin::ServerState> state;
  std::optional<int64_t> lag_bytes;          // standby: primary's WAL - replayed
  std::optional<int64_t> missing_revisions;  // standby: primary's revision - its own
};

std::string Seconds(const std::optional<double>& s) {
  return s.has_value() ? absl::StrFormat("%.3f", *s) : "-";
}

nlohmann::json ToJson(const Row& row) {
  nlohmann::json j = {{"conninfo", pgadmin::RedactedConninfo(row.conninfo)},
                      {"reachable", row.state.ok()}};
  if (!row.state.ok()) {
    j["error"] = std::string(row.state.status().message());
    return j;
  }
  const pgadmin::ServerState& s = *row.state;
  j["endpoint"] = s.endpoint;
  j["role"] = s.in_recovery ? "standby" : "primary";
  j["server_version"] = s.server_version;
  j["timeline"] = s.timeline;
  j["wal_lsn"] = s.wal_lsn;
  j["fenced_hba"] = s.hba_rejected;
  j["hba_errors"] = s.hba_errors;
  if (s.in_recovery) {
    j["receive_lsn"] = s.receive_lsn;
    j["upstream"] = s.upstream;
    j["receiver_status"] = s.receiver_status;
    j["replay_paused"] = s.replay_paused;
    j["last_replay_age_s"] =
        s.last_replay_age_s.has_value() ? nlohmann::json(*s.last_replay_age_s) : nlohmann::json();
    if (row.lag_bytes) j["lag_bytes"] = *row.lag_bytes;
  } else {
    j["synchronous_standby_names"] = s.synchronous_standby_names;
    j["missing_sync_standbys"] = s.missing_sync_standbys;
    nlohmann::json standbys = nlohmann::json::array();
    for (const pgadmin::Standby& st : s.standbys) {
      standbys.push_back(
          {{"name", st.application_name},
           {"client_addr", st.client_addr},
           {"state", st.state},
           {"sync_state", st.sync_state},
           {"replay_lsn", st.replay_lsn},
           {"lag_bytes", st.lag_bytes},
           {"replay_lag_s",
            st.replay_lag_s.has_value() ? nlohmann::json(*st.replay_lag_s) : nlohmann::json()}});
    }
    j["standbys"] = standbys;
  }
  nlohmann::json config = {{"present", s.config.present}};
  if (s.config.present) {
    config["revision"] = s.config.revision;
    config["history_id"] = s.config.history_id;
    config["schema_version"] = s.config.schema_version;
    if (row.missing_revisions) config["missing_revisions"] = *row.missing_revisions;
  }
  j["config_database"] = config;
  return j;
}

std::vector<std::string> Warnings(const std::vector<Row>& rows) {
  std::vector<std::string> w;
  std::map<std::string, std::vector<std::string>> primaries;  // history id -> endpoints
  for (const Row& row : rows) {
    if (!row.state.ok()) {
      w.push_back(absl::StrCat(pgadmin::ConninfoLabel(row.conninfo),
                               ": unreachable: ", row.state.status().message()));
      continue;
    }
    const pgadmin::ServerState& s = *row.state;
    for (const std::string& name : s.missing_sync_standbys) {
      w.push_back(absl::StrCat(
          s.endpoint, ": synchronous standby '", name,
          "' is not streaming: commits wait for it (confserv bounds the wait, [storage] "
          "sync_commit_timeout_s); bring it back, or clear synchronous_standby_names"));
    }
    if (s.in_recovery && s.receiver_status.empty()) {
      w.push_back(absl::StrCat(s.endpoint, ": standby is not receiving WAL from its primary"));
    }
    if (s.replay_paused) w.push_back(absl::StrCat(s.endpoint, ": standby replay is paused"));
    for (const std::string& e : s.hba_errors) w.push_back(absl::StrCat(s.endpoint, ": ", e));
    if (!s.in_recovery && s.config.present) {
      primaries[s.config.history_id].push_back(s.endpoint);
    }
  }
  for (const auto& [id, endpoints] : primaries) {
    if (endpoints.size() > 1) {
      w.push_back(absl::StrCat(absl::StrJoin(endpoints, " and "),
                               " are all writable primaries of the same configuration (history ",
                               id, "): fence or stop all but one"));
    }
  }
  return w;
}

}  // namespace

absl::Status RunDbStatus(CommandContext& ctx, const std::vector<std::string>& conninfos,
                         const std::string& nft_table) {
  std::vector<Row> rows;
  for (const std::string& c : conninfos) rows.push_back({c, pgadmin::Probe(c), {}, {}});
  // Lag of each standby against the primary of the same configuration.
  for (Row& row : rows) {
    if (!row.state.ok() || !row.state->in_recovery) continue;
    for (const Row& p : rows) {
      if (!p.state.ok() || p.state->in_recovery) continue;
      auto primary_lsn = pgadmin::ParseLsn(p.state->wal_lsn);
      auto replayed = pgadmin::ParseLsn(row.state->wal_lsn);
      if (primary_lsn.ok() && replayed.ok()) {
        row.lag_bytes = static_cast<int64_t>(*primary_lsn) - static_cast<int64_t>(*replayed);
      }
      row.missing_revisions = pgadmin::RevisionsBehind(*row.state, *p.state);
      break;
    }
  }
  std::vector<std::string> nft;
  if (geteuid() == 0) {
    auto listed = dbadmin::ListNftFences(nft_table);
    if (listed.ok()) nft = *listed;
  }
  const std::vector<std::string> warnings = Warnings(rows);
  if (ctx.options().output == OutputFormat::kJson) {
    nlohmann::json out = {{"servers", nlohmann::json::array()},
                          {"nft_fences_this_host", nft},
                          {"warnings", warnings}};
    for (const Row& row : rows) out["servers"].push_back(ToJson(row));
    ctx.out() << config::DumpJson(out, 2) << "\n";
  } else {
    TablePrinter servers({"DBMS", "ROLE", "TL", "WAL", "LAG BYTES", "REPLAYED AGO S", "REVISION",
                          "BEHIND", "FENCED (pg_hba)"},
                         64);
    for (const Row& row : rows) {
      if (!row.state.ok()) {
        servers.AddRow({pgadmin::ConninfoLabel(row.conninfo), "unreachable"});
        continue;
      }
      const pgadmin::ServerState& s = *row.state;
      servers.AddRow(
          {s.endpoint, s.in_recovery ? "standby" : "primary", absl::StrCat(s.timeline), s.wal_lsn,
           row.lag_bytes ? absl::StrCat(*row.lag_bytes) : "-",
           s.in_recovery ? Seconds(s.last_replay_age_s) : "-",
           s.config.present ? absl::StrCat(s.config.revision) : "(no Tandem schema)",
           row.missing_revisions ? absl::StrCat(*row.missing_revisions, " revisions") : "-",
           s.hba_rejected.empty() ? "-" : absl::StrJoin(s.hba_rejected, ",")});
    }
    servers.Print(ctx.out());
    for (const Row& row : rows) {
      if (!row.state.ok() || row.state->in_recovery) continue;
      const pgadmin::ServerState& s = *row.state;
      ctx.out() << "\nstandbys of " << s.endpoint << " (synchronous_standby_names '"
                << s.synchronous_standby_names << "'):\n";
      TablePrinter standbys(
          {"NAME", "ADDRESS", "STATE", "SYNC", "REPLAY LSN", "LAG BYTES", "REPLAY LAG S"});
      for (const pgadmin::Standby& st : s.standbys) {
        standbys.AddRow({st.application_name, st.client_addr, st.state, st.sync_state,
                         st.replay_lsn, absl::StrCat(st.lag_bytes), Seconds(st.replay_lag_s)});
      }
      for (const std::string& name : s.missing_sync_standbys) {
        standbys.AddRow({name, "-", "MISSING", "sync (required)", "-", "-", "-"});
      }
      if (standbys.rows() == 0) {
        ctx.out() << "  none\n";
      } else {
        standbys.Print(ctx.out());
      }
    }
    if (!nft.empty())
      ctx.out() << "\nfenced on this host (nft): " << absl::StrJoin(nft, ", ") << "\n";
    for (const std::string& w : warnings) ctx.out() << "WARNING: " << w << "\n";
  }
  return WarningsStatus(warnings);
}

}  // namespace tandem::ctl
