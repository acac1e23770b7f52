// dns: point the framework names at a region (RFC 2136 update + TSIG) and
// read them back from the authoritative server.
//   dns set NAME ADDRESS   replace the name's A/AAAA records with ADDRESS
//   dns show NAME...       the A/AAAA records the server answers
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "config/object_json.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/help.h"
#include "ctl/table_printer.h"
#include "dns/dns_client.h"

namespace tandem::ctl {
namespace {

struct DnsArgs {
  std::string server;
  std::string zone;
  std::string key_file;
  std::string name;
  std::string address;
  std::vector<std::string> names;
  uint32_t ttl = 60;
  double timeout_s = 3;
};

//! One name's A and AAAA answers.
struct NameAnswer {
  std::string name;
  std::string rcode;
  std::vector<std::pair<std::string, dns::Record>> records;  // (type, record)
};

absl::StatusOr<NameAnswer> LookupBoth(dns::DnsClient& client, const dns::ServerAddress& server,
                                      const std::string& name) {
  NameAnswer out;
  out.name = name;
  for (const char* type : {"A", "AAAA"}) {
    absl::StatusOr<dns::Answer> answer = client.Lookup(server, name, type);
    if (!answer.ok()) return answer.status();
    if (out.rcode.empty() || out.rcode == "NOERROR") out.rcode = answer->rcode;
    for (const dns::Record& r : answer->records) out.records.emplace_back(type, r);
  }
  return out;
}

nlohmann::json RecordsJson(const NameAnswer& answer) {
  nlohmann::json records = nlohmann::json::array();
  for (const auto& [type, r] : answer.records) {
    records.push_back({{"type", type}, {"address", r.address}, {"ttl", r.ttl}});
  }
  return records;
}

//! "A 192.0.2.1 ttl 60, AAAA ..." or "(no A/AAAA records: NXDOMAIN)".
std::string Describe(const NameAnswer& answer) {
  if (answer.records.empty()) {
    return absl::StrCat("no A/AAAA records (", answer.rcode == "NOERROR" ? "NODATA" : answer.rcode,
                        ")");
  }
  std::vector<std::string> parts;
  for (const auto& [type, r] : answer.records) {
    parts.push_back(absl::StrCat(type, " ", r.address, " ttl ", r.ttl));
  }
  return absl::StrJoin(parts, ", ");
}

bool IsExactly(const NameAnswer& answer, const std::string& address, uint32_t ttl) {
  return answer.records.size() == 1 && answer.records[0].second.address == address &&
         answer.records[0].second.ttl == ttl;
}

dns::DnsClientPtr MakeClient(const DnsArgs& args) {
  dns::DnsClientOptions options;
  options.timeout = absl::Seconds(args.timeout_s);
  return dns::NewDnsClient(options);
}

absl::Status RunSet(CommandContext& ctx, const DnsArgs& args) {
  absl::StatusOr<dns::ServerAddress> server = dns::ParseServer(args.server);
  if (!server.ok()) return UsageError(server.status().message());
  absl::StatusOr<std::string> zone = dns::AbsoluteName(args.zone);
  if (!zone.ok()) return UsageError(absl::StrCat("bad --zone: ", zone.status().message()));
  absl::StatusOr<std::string> name = dns::NameInZone(args.name, *zone);
  if (!name.ok()) return UsageError(name.status().message());
  absl::StatusOr<dns::IpAddress> address = dns::ParseAddress(args.address);
  if (!address.ok()) return UsageError(address.status().message());
  absl::StatusOr<dns::TsigKey> key = dns::LoadTsigKey(args.key_file);
  if (!key.ok()) return key.status();

  dns::DnsClientPtr client = MakeClient(args);
  absl::StatusOr<NameAnswer> before = LookupBoth(*client, *server, *name);
  if (!before.ok()) return before.status();
  dns::SetAddressRequest request;
  request.server = *server;
  request.zone = *zone;
  request.name = *name;
  request.address = address->text;
  request.ttl = args.ttl;
  request.key = *key;
  if (absl::Status s = client->SetAddress(request); !s.ok()) return s;
  absl::StatusOr<NameAnswer> after = LookupBoth(*client, *server, *name);
  if (!after.ok()) return after.status();
  if (!IsExactly(*after, address->text, args.ttl)) {
    return absl::InternalError(absl::StrCat("the server accepted the update of ", *name,
                                            " but now answers ", Describe(*after), "; is ",
                                            server->ToString(), " the primary for ", *zone, "?"));
  }
  const bool changed = !IsExactly(*before, address->text, args.ttl);

  if (ctx.options().output == OutputFormat::kJson) {
    nlohmann::json out = {{"name", *name},
                          {"zone", *zone},
                          {"server", server->ToString()},
                          {"key", key->name},
                          {"before", RecordsJson(*before)},
                          {"after", RecordsJson(*after)},
                          {"changed", changed}};
    ctx.out() << config::DumpJson(out, 2) << "\n";
    return absl::OkStatus();
  }
  ctx.out() << *name << "\n  before: " << Describe(*before) << "\n  after:  " << Describe(*after)
            << "\n";
  if (changed) {
    ctx.out() << "updated " << *name << " at " << server->ToString() << "\n";
  } else {
    ctx.out() << "unchanged: " << *name << " already was " << address->text << " (ttl " << args.ttl
              << ")\n";
  }
  return absl::OkStatus();
}

absl::Status RunShow(CommandContext& ctx, const DnsArgs& args) {
  absl::StatusOr<dns::ServerAddress> server = dns::ParseServer(args.server);
  if (!server.ok()) return UsageError(server.status().message());
  std::vector<std::string> names;
  for (const std::string& n : args.names) {
    absl::StatusOr<std::string> name =
        args.zone.empty() ? dns::AbsoluteName(n) : dns::NameInZone(n, args.zone);
    if (!name.ok()) return UsageError(name.status().message());
    names.push_back(*name);
  }
  dns::DnsClientPtr client = MakeClient(args);
  std::vector<NameAnswer> answers;
  for (const std::string& name : names) {
    absl::StatusOr<NameAnswer> answer = LookupBoth(*client, *server, name);
    if (!answer.ok()) return answer.status();
    answers.push_back(std::move(*answer));
  }
  if (ctx.options().output == OutputFormat::kJson) {
    nlohmann::json out = nlohmann::json::array();
    for (const NameAnswer& a : answers) {
      out.push_back({{"name", a.name}, {"rcode", a.rcode}, {"records", RecordsJson(a)}});
    }
    ctx.out() << config::DumpJson(out, 2) << "\n";
    return absl::OkStatus();
  }
  TablePrinter table({"NAME", "TYPE", "ADDRESS", "TTL", "RCODE"}, 80);
  for (const NameAnswer& a : answers) {
    if (a.records.empty()) table.AddRow({a.name, "-", "-", "-", a.rcode});
    for (const auto& [type, r] : a.records) {
      table.AddRow({a.name, type, r.address, absl::StrCat(r.ttl), a.rcode});
    }
  }
  table.Print(ctx.out());
  return absl::OkStatus();
}

void AddCommonOptions(CLI::App* cmd, DnsArgs& args) {
  cmd->add_option("--dns-server", args.server,
                  "the authoritative DNS server, IP[:PORT] (default port 53; never resolved)")
      ->envname("TANDEM_DNS_SERVER")
      ->type_name("IP[:PORT]")
      ->required();
  cmd->add_option("--dns-timeout", args.timeout_s, "seconds to wait for each answer")
      ->check(PositiveSeconds(600))
      ->capture_default_str();
}

//! dns talks to a DNS server, never to a configuration server.
absl::Status CheckFlags(const CommandContext& ctx) {
  return RefuseServerFlags(ctx, "dns", "the DNS server as --dns-server (or TANDEM_DNS_SERVER)",
                           "--dns-timeout");
}

}  // namespace

void AddDnsCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  CLI::App* dns = app.add_subcommand(
      "dns", "Point names at addresses with signed dynamic updates (RFC 2136 + TSIG)");
  dns->require_subcommand(1);
  dns->footer(
      "Env: TANDEM_DNS_SERVER, TANDEM_DNS_ZONE, TANDEM_DNS_KEY_FILE.\n"
      "Examples:\n"
      "  tandemctl dns show cfgmaster --zone tandem.test --dns-server 192.0.2.53\n"
      "  tandemctl dns set cfgmaster 203.0.113.11 --ttl 5 --dns-server 192.0.2.53 \\\n"
      "      --zone tandem.test --key-file /etc/tandem/dns.key");
  auto args = std::make_shared<DnsArgs>();

  CLI::App* set = dns->add_subcommand(
      "set", "Replace every A/AAAA record of NAME with ADDRESS (one signed update)");
  set->add_option("NAME", args->name, "name in the zone; relative names are inside --zone")
      ->required();
  set->add_option("ADDRESS", args->address, "IPv4 or IPv6 address")->required();
  set->add_option("--ttl", args->ttl, "TTL of the new record, in seconds")
      ->check(CLI::Range(0, 2147483647))
      ->capture_default_str();
  AddCommonOptions(set, *args);
  set->add_option("--zone", args->zone, "the zone to update, e.g. tandem.test")
      ->envname("TANDEM_DNS_ZONE")
      ->required();
  set->add_option("--key-file", args->key_file, "TSIG key file as written by tsig-keygen")
      ->envname("TANDEM_DNS_KEY_FILE")
      ->required();
  set->footer(
      "Prints the answer before and after; setting the address a name already has is fine.\n"
      "Env: TANDEM_DNS_SERVER, TANDEM_DNS_ZONE, TANDEM_DNS_KEY_FILE.\n"
      "Examples:\n"
      "  tandemctl dns set cfgmaster 203.0.113.11 --ttl 5 --dns-server 192.0.2.53 \\\n"
      "      --zone tandem.test --key-file /etc/tandem/dns.key\n"
      "  tandemctl -o json dns set fw-p.tandem.test. 2001:db8::11 --dns-server [2001:db8::53]:53 "
      "--zone tandem.test --key-file dns.key");
  set->callback([&ctx, args, action] {
    *action = [&ctx, args]() -> absl::Status {
      TANDEM_RETURN_IF_ERROR(CheckFlags(ctx));
      return RunSet(ctx, *args);
    };
  });

  CLI::App* show = dns->add_subcommand("show", "The A/AAAA records a server answers for names");
  show->add_option("NAME", args->names, "names (absolute, or relative to --zone)")->required();
  AddCommonOptions(show, *args);
  show->add_option("--zone", args->zone, "take names without a trailing dot inside this zone")
      ->envname("TANDEM_DNS_ZONE");
  show->footer(
      "Asks the server directly (no recursion, not the local resolver).\n"
      "Examples:\n"
      "  tandemctl dns show cfgmaster fw-p fw-b --zone tandem.test --dns-server 192.0.2.53\n"
      "  tandemctl -o json dns show cfgmaster.tandem.test --dns-server 127.0.0.1:5353");
  show->callback([&ctx, args, action] {
    *action = [&ctx, args]() -> absl::Status {
      TANDEM_RETURN_IF_ERROR(CheckFlags(ctx));
      return RunShow(ctx, *args);
    };
  });
}

}  // namespace tandem::ctl
