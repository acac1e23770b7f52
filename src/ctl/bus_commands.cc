// tandemctl bus status: the Message Servers as they say they are (GetInfo):
// which member of each pair acts, with which epoch, whether its backup's
// copy is live, and every channel's last sequence, retention and
// subscribers, with how far the backup's copy of it is behind.
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/tcp_probe.h"
#include "ctl/bus_status.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/lookup.h"
#include "ctl/table_printer.h"
#include "grpcpp/client_context.h"
#include "net/channel.h"
#include "nlohmann/json.hpp"
#include "tandem/msg/v1/bus.grpc.pb.h"

namespace tandem::ctl {
namespace {

namespace mv1 = ::tandem::msg::v1;

struct BusArgs {
  std::string from;
};

BusAnswer Ask(CommandContext& ctx, const TlsFiles& tls, const NamedAddress& server) {
  BusAnswer a{server, std::nullopt, ""};
  // A host that is down costs half a second, not the whole timeout.
  if (!AddressAnswers(server.address, absl::Milliseconds(500))) {
    a.error = "does not accept connections";
    return a;
  }
  net::ChannelOptions co;
  co.tls = tls;
  auto stub = mv1::MessageBus::NewStub(net::MakeChannel(server.address, co));
  grpc::ClientContext call;
  call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(ctx.options().timeout_s)));
  mv1::BusInfo info;
  grpc::Status st = stub->GetInfo(&call, {}, &info);
  if (!st.ok()) {
    a.error = st.error_message();
  } else {
    a.info = std::move(info);
  }
  return a;
}

std::string Role(const BusAnswer& a) {
  if (!a.info) return "unreachable";
  return a.info->acting() ? "acting" : "backup";
}

std::string Copy(const BusAnswer& a) {
  if (!a.info || a.info->acting()) return "-";
  return a.info->copying() ? "live" : "not copying";
}

absl::Status RunBusStatus(CommandContext& ctx, const BusArgs& args) {
  std::vector<NamedAddress> servers;
  if (!args.from.empty()) {
    TANDEM_ASSIGN_OR_RETURN(servers, MessageServerPair(ctx, args.from, "a Message Server", "show"));
  } else {
    TANDEM_ASSIGN_OR_RETURN(std::vector<v1::ConfigObject> apps, MessageServerApps(ctx));
    for (const v1::ConfigObject& app : apps) {
      TANDEM_ASSIGN_OR_RETURN(std::string address, AddressOf(ctx, app));
      servers.push_back({app.name(), address});
    }
    if (servers.empty()) {
      return absl::NotFoundError(
          "the configuration has no MessageServer Application: there is no bus to show");
    }
  }
  TANDEM_ASSIGN_OR_RETURN(TlsFiles tls, ClientTls(ctx.options()));
  std::vector<BusAnswer> answers;
  for (const NamedAddress& s : servers) answers.push_back(Ask(ctx, tls, s));
  // Each acting server's channels, with the partner's copy of each.
  struct Row {
    std::string server;
    mv1::ChannelInfo channel;
    std::optional<int64_t> backup_seq;
  };
  std::vector<Row> rows;
  for (const BusAnswer& a : answers) {
    if (!a.info || !a.info->acting()) continue;
    const BusAnswer* partner = PartnerOf(answers, a);
    const bool partner_copies =
        partner != nullptr && partner->info && !partner->info->acting() && partner->info->copying();
    std::map<std::string, int64_t> copied;
    if (partner_copies) {
      for (const mv1::ChannelInfo& c : partner->info->channels()) copied[c.name()] = c.last_seq();
    }
    for (const mv1::ChannelInfo& c : a.info->channels()) {
      Row r{a.server.application, c, std::nullopt};
      if (partner_copies) r.backup_seq = copied[c.name()];  // 0: nothing of it copied
      rows.push_back(std::move(r));
    }
  }
  const std::vector<std::string> warnings = BusWarnings(answers);

  if (ctx.options().output == OutputFormat::kJson) {
    nlohmann::json j = {{"servers", nlohmann::json::array()},
                        {"channels", nlohmann::json::array()},
                        {"warnings", warnings}};
    for (const BusAnswer& a : answers) {
      nlohmann::json s = {
          {"application", a.server.application}, {"address", a.server.address}, {"role", Role(a)}};
      if (a.info) {
        s["epoch"] = a.info->epoch();
        s["partner"] = a.info->partner();
        s["copying"] = a.info->copying();
      } else {
        s["error"] = a.error;
      }
      j["servers"].push_back(std::move(s));
    }
    for (const Row& r : rows) {
      nlohmann::json c = {{"server", r.server},
                          {"channel", r.channel.name()},
                          {"history", r.channel.history()},
                          {"last_seq", r.channel.last_seq()},
                          {"kept", r.channel.kept()},
                          {"kept_bytes", r.channel.kept_bytes()},
                          {"subscribers", r.channel.subscribers()}};
      if (r.backup_seq) c["backup_last_seq"] = *r.backup_seq;
      j["channels"].push_back(std::move(c));
    }
    ctx.out() << j.dump(2) << "\n";
  } else {
    TablePrinter t({"SERVER", "ADDRESS", "ROLE", "EPOCH", "PARTNER", "COPY"});
    for (const BusAnswer& a : answers) {
      t.AddRow({a.server.application, a.server.address, Role(a),
                a.info ? absl::StrCat(a.info->epoch()) : "-",
                a.info && !a.info->partner().empty() ? a.info->partner() : "-", Copy(a)});
    }
    t.Print(ctx.out());
    ctx.out() << "\n";
    if (rows.empty()) {
      ctx.out() << "no channels (no acting server answered, or nothing was published or "
                   "subscribed yet)\n";
    } else {
      TablePrinter c(
          {"SERVER", "CHANNEL", "LAST SEQ", "KEPT", "KEPT BYTES", "SUBSCRIBERS", "BACKUP BEHIND"});
      for (const Row& r : rows) {
        c.AddRow({r.server, r.channel.name(), absl::StrCat(r.channel.last_seq()),
                  absl::StrCat(r.channel.kept()), absl::StrCat(r.channel.kept_bytes()),
                  absl::StrCat(r.channel.subscribers()),
                  r.backup_seq ? absl::StrCat(r.channel.last_seq() - *r.backup_seq) : "-"});
      }
      c.Print(ctx.out());
    }
    for (const std::string& w : warnings) ctx.out() << "WARNING: " << w << "\n";
  }
  return WarningsStatus(warnings);
}

}  // namespace

const BusAnswer* PartnerOf(const std::vector<BusAnswer>& answers, const BusAnswer& a) {
  if (!a.info || a.info->partner().empty()) return nullptr;
  for (const BusAnswer& b : answers) {
    if (b.server.application == a.info->partner()) return &b;
  }
  return nullptr;
}

std::vector<std::string> BusWarnings(const std::vector<BusAnswer>& answers) {
  std::vector<std::string> w;
  std::set<std::string> pairs_seen;
  for (const BusAnswer& a : answers) {
    if (!a.info) {
      w.push_back(absl::StrCat(a.server.application, " at ", a.server.address, " does not answer (",
                               a.error, ")"));
      continue;
    }
    if (!a.info->acting() && !a.info->copying()) {
      w.push_back(absl::StrCat(a.server.application,
                               " (backup) does not copy its partner: what it has not copied "
                               "would be lost at a takeover; see its log"));
    }
    const std::string& partner = a.info->partner();
    if (partner.empty()) {
      if (!a.info->acting()) {
        w.push_back(absl::StrCat(a.server.application, " has no partner and does not act"));
      }
      continue;
    }
    // A partner not asked, or not answering (its own line says so), and a
    // pair already judged from its other member: nothing more.
    const BusAnswer* other = PartnerOf(answers, a);
    const std::string pair = a.server.application < partner ? a.server.application + "/" + partner
                                                            : partner + "/" + a.server.application;
    if (other == nullptr || !other->info || !pairs_seen.insert(pair).second) continue;
    if (a.info->acting() && other->info->acting()) {
      w.push_back(absl::StrCat("split brain: both ", a.server.application, " (epoch ",
                               a.info->epoch(), ") and ", partner, " (epoch ", other->info->epoch(),
                               ") act; subscribers of either may miss what the other took"));
    } else if (!a.info->acting() && !other->info->acting()) {
      w.push_back(absl::StrCat("neither ", pair,
                               " acts: publishers and subscribers are refused until one takes "
                               "the lock; see their logs"));
    }
  }
  return w;
}

void AddBusCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  CLI::App* bus = app.add_subcommand("bus", "The Message Servers' bus");
  bus->require_subcommand(1);
  auto args = std::make_shared<BusArgs>();
  CLI::App* status = bus->add_subcommand(
      "status", "Which server of each Message Server pair acts, and every channel");
  status
      ->add_option("--from", args->from,
                   "one Message Server pair (NAME|DBID of an Application; its backup is shown "
                   "too); default: every MessageServer Application")
      ->type_name("NAME");
  status->footer(
      "Asks each server (GetInfo, which needs no grant). ROLE: acting (takes\n"
      "publishers and subscribers), backup (copies the acting one; COPY says whether its copy\n"
      "is live) or unreachable. BACKUP BEHIND: messages of the channel the backup has not\n"
      "copied yet (lost if it took over now). Exits 1 with a WARNING line when both members\n"
      "of a pair act, neither does, a backup does not copy, or a server does not answer.\n"
      "Examples:\n"
      "  tandemctl bus status\n"
      "  tandemctl bus status --from ms-r1\n"
      "  tandemctl -o json bus status --from lms-r1");
  status->callback(
      [&ctx, action, args] { *action = [&ctx, args] { return RunBusStatus(ctx, *args); }; });
}

}  // namespace tandem::ctl
