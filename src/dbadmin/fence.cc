// Fencing a DBMS against source addresses (see dbadmin.h): pg_hba.conf reject
// rules in a block tandemctl owns, or nft rules in a table tandemctl owns.
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "common/subprocess.h"
#include "dbadmin/dbadmin.h"
#include "nlohmann/json.hpp"
#include "tandem/storage/pg_admin.h"

namespace tandem::dbadmin {
namespace {

namespace pgadmin = storage::pgadmin;

constexpr char kBegin[] =
    "# BEGIN tandem fence (managed by `tandemctl db fence`/`unfence`; do not edit)";
constexpr char kEnd[] = "# END tandem fence";
constexpr char kNftComment[] = "tandem-fence";

SubprocessOptions Quick() {
  SubprocessOptions o;
  o.timeout = absl::Seconds(30);
  return o;
}

// ---- pg_hba.conf

struct HbaFile {
  std::vector<std::string> before, after;  // lines outside our block
  std::vector<std::string> fenced;         // CIDRs in our block, in order
  struct stat st {};
};

absl::StatusOr<HbaFile> ReadHba(const std::string& path) {
  HbaFile f;
  if (stat(path.c_str(), &f.st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno),
                     " (fence --method hba runs on the DBMS host; give --hba-file if the file "
                     "is elsewhere)"));
  }
  std::ifstream in(path);
  std::string line;
  enum { kBefore, kInside, kAfter } where = kBefore;
  while (std::getline(in, line)) {
    if (line == kBegin && where == kBefore) {
      where = kInside;
    } else if (line == kEnd && where == kInside) {
      where = kAfter;
    } else if (where == kInside) {
      // "host all all 198.51.100.2/32 reject": the address is the 4th word.
      std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (words.size() == 5 && words[1] == "all" &&
          std::find(f.fenced.begin(), f.fenced.end(), words[3]) == f.fenced.end()) {
        f.fenced.push_back(words[3]);
      }
    } else {
      (where == kBefore ? f.before : f.after).push_back(line);
    }
  }
  if (where == kInside) {
    return absl::DataLossError(absl::StrCat(path, " has \"", kBegin, "\" but no \"", kEnd,
                                            "\": fix the file by hand, then try again"));
  }
  return f;
}

// Writes next to the file, fsyncs and renames over it, keeping owner and mode.
absl::Status WriteFileAtomically(const std::string& path, const std::string& content,
                                 const struct stat& like) {
  const std::string tmp = path + ".tandem-tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, like.st_mode & 07777);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  bool ok = write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ok = ok && fchmod(fd, like.st_mode & 07777) == 0;
  if (geteuid() == 0) ok = ok && fchown(fd, like.st_uid, like.st_gid) == 0;
  ok = ok && fsync(fd) == 0;
  const int err = errno;
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(ok ? errno : err)));
  }
  const std::string dir = path.substr(0, path.rfind('/') + 1);
  int dfd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return absl::OkStatus();
}

std::string RenderHba(const HbaFile& f) {
  std::string out;
  if (!f.fenced.empty()) {
    // First match wins in pg_hba.conf: the fence goes on top.
    absl::StrAppend(&out, kBegin, "\n");
    for (const std::string& cidr : f.fenced) {
      absl::StrAppend(&out, "host all all ", cidr, " reject\n");
      absl::StrAppend(&out, "host replication all ", cidr, " reject\n");
    }
    absl::StrAppend(&out, kEnd, "\n");
  }
  for (const std::string& l : f.before) absl::StrAppend(&out, l, "\n");
  for (const std::string& l : f.after) absl::StrAppend(&out, l, "\n");
  return out;
}

absl::StatusOr<FenceResult> ChangeHba(const FenceSpec& spec, bool fence) {
  if (spec.conninfo.empty()) {
    return absl::InvalidArgumentError(
        "fence --method hba needs --conninfo: a superuser connection that is not fenced (a "
        "Unix socket is best), to reload the configuration");
  }
  std::string path = spec.hba_file;
  if (path.empty()) {
    TANDEM_ASSIGN_OR_RETURN(path, pgadmin::ShowSetting(spec.conninfo, "hba_file"));
  }
  TANDEM_ASSIGN_OR_RETURN(HbaFile file, ReadHba(path));
  const std::string original = RenderHba(file);
  FenceResult result;
  result.where = path;
  for (const std::string& cidr : spec.addresses) {
    auto it = std::find(file.fenced.begin(), file.fenced.end(), cidr);
    if (fence == (it != file.fenced.end())) {
      result.unchanged.push_back(cidr);
    } else {
      result.changed.push_back(cidr);
      if (fence) {
        file.fenced.push_back(cidr);
      } else {
        file.fenced.erase(it);
      }
    }
  }
  if (!result.changed.empty()) {
    TANDEM_RETURN_IF_ERROR(WriteFileAtomically(path, RenderHba(file), file.st));
    absl::StatusOr<std::vector<std::string>> errors = pgadmin::ReloadConfiguration(spec.conninfo);
    if (!errors.ok() || !errors->empty()) {
      // The server must never load a broken file: put the old one back.
      (void)WriteFileAtomically(path, original, file.st);
      if (!errors.ok()) return errors.status();
      return absl::FailedPreconditionError(absl::StrCat(
          path, " would not load (", absl::StrJoin(*errors, "; "), "); the file is unchanged"));
    }
  }
  if (fence) {
    // pg_hba.conf only guards new connections: end the fenced ones.
    TANDEM_ASSIGN_OR_RETURN(result.sessions_ended,
                            pgadmin::TerminateSessionsFrom(spec.conninfo, spec.addresses));
  }
  return result;
}

// ---- nftables

struct NftRule {
  int64_t handle = 0;
  std::string cidr;
  int port = 0;
};

absl::StatusOr<std::vector<NftRule>> ReadNftRules(const std::string& table) {
  absl::StatusOr<SubprocessResult> r =
      RunSubprocess({"nft", "-j", "list", "table", "inet", table}, Quick());
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    if (absl::StrContains(r->output, "No such file or directory")) {
      return std::vector<NftRule>{};  // no table: no fences
    }
    return absl::FailedPreconditionError(
        absl::StrCat("`nft list table inet ", table, "` failed: ", r->output,
                     absl::StrContains(r->output, "ermission") ? " (run as root)" : ""));
  }
  nlohmann::json doc = nlohmann::json::parse(r->output, nullptr, /*allow_exceptions=*/false);
  std::vector<NftRule> rules;
  if (!doc.is_object() || !doc.contains("nftables")) return rules;
  for (const auto& item : doc["nftables"]) {
    if (!item.contains("rule")) continue;
    const auto& rule = item["rule"];
    if (!rule.contains("comment") || !rule["comment"].is_string()) continue;
    // Comment: "tandem-fence <cidr> <port>" — ours, and the key of the rule.
    std::vector<std::string> words = absl::StrSplit(rule["comment"].get<std::string>(), ' ');
    NftRule n;
    if (words.size() != 3 || words[0] != kNftComment || !absl::SimpleAtoi(words[2], &n.port)) {
      continue;
    }
    n.cidr = words[1];
    n.handle = rule.value("handle", int64_t{0});
    rules.push_back(n);
  }
  return rules;
}

absl::Status Nft(const std::string& command) {
  // One argument: nft joins its arguments anyway, and "-10" must not look
  // like an option.
  return RunChecked({"nft", command}, Quick()).status();
}

absl::StatusOr<FenceResult> ChangeNft(const FenceSpec& spec, bool fence) {
  int port = spec.port;
  if (port == 0) {
    if (spec.conninfo.empty()) {
      return absl::InvalidArgumentError("fence --method nft needs --port or --conninfo");
    }
    TANDEM_ASSIGN_OR_RETURN(std::string p, pgadmin::ShowSetting(spec.conninfo, "port"));
    if (!absl::SimpleAtoi(p, &port))
      return absl::InternalError("the server's port is not a number");
  }
  TANDEM_ASSIGN_OR_RETURN(std::vector<NftRule> rules, ReadNftRules(spec.nft_table));
  FenceResult result;
  result.where = absl::StrCat("nft table inet ", spec.nft_table, ", port ", port);
  if (fence) {
    TANDEM_RETURN_IF_ERROR(Nft(absl::StrCat("add table inet ", spec.nft_table)));
    TANDEM_RETURN_IF_ERROR(Nft(absl::StrCat("add chain inet ", spec.nft_table,
                                            " input { type filter hook input priority -10; "
                                            "policy accept; }")));
  }
  for (const std::string& cidr : spec.addresses) {
    auto it = std::find_if(rules.begin(), rules.end(),
                           [&](const NftRule& r) { return r.cidr == cidr && r.port == port; });
    if (fence == (it != rules.end())) {
      result.unchanged.push_back(cidr);
      continue;
    }
    if (fence) {
      const char* family = absl::StrContains(cidr, ":") ? "ip6" : "ip";
      // A reset, not a silent drop: clients fail over at once.
      TANDEM_RETURN_IF_ERROR(Nft(absl::StrCat(
          "add rule inet ", spec.nft_table, " input ", family, " saddr ", cidr, " tcp dport ", port,
          " reject with tcp reset comment \"", kNftComment, " ", cidr, " ", port, "\"")));
    } else {
      TANDEM_RETURN_IF_ERROR(
          Nft(absl::StrCat("delete rule inet ", spec.nft_table, " input handle ", it->handle)));
      rules.erase(it);
    }
    result.changed.push_back(cidr);
  }
  if (!fence && rules.empty()) {
    // Nothing of ours left: remove the table (absent already is fine).
    (void)RunSubprocess({"nft", "delete", "table", "inet", spec.nft_table}, Quick());
  }
  if (fence && !spec.conninfo.empty()) {
    // Established sessions get resets on their next packet; end them now.
    TANDEM_ASSIGN_OR_RETURN(result.sessions_ended,
                            pgadmin::TerminateSessionsFrom(spec.conninfo, spec.addresses));
  }
  return result;
}

absl::StatusOr<FenceResult> Change(const FenceSpec& spec, bool fence) {
  if (spec.addresses.empty()) {
    return absl::InvalidArgumentError("give at least one address to fence (--from ADDRESS)");
  }
  return spec.method == FenceMethod::kHba ? ChangeHba(spec, fence) : ChangeNft(spec, fence);
}

}  // namespace

absl::StatusOr<std::string> NormalizeCidr(const std::string& address) {
  std::pair<std::string, std::string> parts =
      absl::StrSplit(absl::StripAsciiWhitespace(address), absl::MaxSplits('/', 1));
  unsigned char buf[16] = {};
  int family, bits;
  if (inet_pton(AF_INET, parts.first.c_str(), buf) == 1) {
    family = AF_INET;
    bits = 32;
  } else if (inet_pton(AF_INET6, parts.first.c_str(), buf) == 1) {
    family = AF_INET6;
    bits = 128;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("'", address,
                     "' is not an IP address or CIDR (e.g. 198.51.100.7 or "
                     "198.51.100.0/24)"));
  }
  int prefix = bits;
  if (!parts.second.empty() || absl::StrContains(address, "/")) {
    if (!absl::SimpleAtoi(parts.second, &prefix) || prefix < 0 || prefix > bits) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", address, "': the prefix length must be 0..", bits));
    }
  }
  for (int i = prefix; i < bits; ++i) buf[i / 8] &= static_cast<unsigned char>(~(0x80 >> (i % 8)));
  char text[INET6_ADDRSTRLEN];
  inet_ntop(family, buf, text, sizeof text);
  return absl::StrCat(text, "/", prefix);
}

absl::StatusOr<FenceResult> Fence(const FenceSpec& spec) { return Change(spec, true); }
absl::StatusOr<FenceResult> Unfence(const FenceSpec& spec) { return Change(spec, false); }

absl::StatusOr<std::vector<std::string>> ListNftFences(const std::string& table) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<NftRule> rules, ReadNftRules(table));
  std::vector<std::string> out;
  for (const NftRule& r : rules) out.push_back(absl::StrCat(r.cidr, " port ", r.port));
  return out;
}

}  // namespace tandem::dbadmin
