// export and import: the whole configuration as one JSON document.
#include <algorithm>
#include <memory>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "config/object_json.h"
#include "config/object_types.h"
#include "ctl/commands.h"
#include "ctl/errors.h"

namespace tandem::ctl {
namespace {

using config::TypeName;

//! Objects per Transaction RPC of an import.
constexpr size_t kImportChunk = 20000;
//! Imports at least this big report progress on stderr.
constexpr size_t kProgressThreshold = 1000;

struct ExportArgs {
  std::string type;
};

struct ImportArgs {
  std::string file;
  std::string file_flag;  // -f FILE
  bool force = false;
};

//! "operation[3]: properties.host: ..." -> {3, "properties.host: ..."};
//! {-1, message} when the server's message names no operation.
std::pair<int64_t, std::string> FailedOperation(absl::string_view message) {
  int64_t index = -1;
  if (absl::ConsumePrefix(&message, "operation[")) {
    const size_t close = message.find("]: ");
    if (close != absl::string_view::npos && absl::SimpleAtoi(message.substr(0, close), &index)) {
      return {index, std::string(message.substr(close + 3))};
    }
  }
  return {-1, std::string(message)};
}

absl::Status RunExport(CommandContext& ctx, const ExportArgs& args) {
  std::vector<v1::ObjectType> types = config::AllTypes();
  if (!args.type.empty()) {
    TANDEM_ASSIGN_OR_RETURN(v1::ObjectType type, ParseTypeArg(args.type));
    types = {type};
  }
  TANDEM_ASSIGN_OR_RETURN(config::ConfigClient * client, ctx.Client());
  auto info = client->GetServerInfo();
  if (!info.ok()) return ctx.Describe(info.status(), "read server info");
  std::vector<v1::ConfigObject> objects;
  std::set<int64_t> revisions;
  for (v1::ObjectType type : types) {
    v1::ListRequest request;
    request.set_type(type);
    absl::Status status = client->List(request, [&](const v1::ListResponse& response) {
      revisions.insert(response.revision());
      for (const auto& object : response.objects()) objects.push_back(object);
      return absl::OkStatus();
    });
    if (!status.ok()) return ctx.Describe(status, absl::StrCat("export ", TypeName(type)));
  }
  if (args.type.empty()) {
    // A listing that misses objects would make a silently incomplete backup.
    auto after = client->GetServerInfo();
    if (!after.ok()) return ctx.Describe(after.status(), "read server info");
    if (after->revision() == info->revision() &&
        static_cast<int64_t>(objects.size()) != after->object_count()) {
      return absl::InternalError(absl::StrCat(
          "export incomplete: server ", ctx.options().server, " holds ", after->object_count(),
          " objects at revision ", after->revision(), " but listed ", objects.size(),
          "; nothing was written; report this server bug"));
    }
  }
  int64_t revision = revisions.empty() ? info->revision() : *revisions.rbegin();
  if (revisions.size() > 1) {
    ctx.err() << "tandemctl: warning: the configuration changed during the export (revisions "
              << *revisions.begin() << ".." << *revisions.rbegin()
              << "); objects may be inconsistent with each other; export again when it is quiet\n";
  }
  config::ExportHeader header;
  header.revision = revision;
  header.history_id = info->history_id();
  header.exported_at = absl::Now();
  ctx.out() << config::DumpJson(config::MakeExport(header, std::move(objects)), 2) << "\n";
  return absl::OkStatus();
}

absl::Status RunImport(CommandContext& ctx, const ImportArgs& args) {
  if (!args.file.empty() && !args.file_flag.empty() && args.file != args.file_flag) {
    return UsageError("give the export document once: as FILE or as -f FILE");
  }
  const std::string file = args.file.empty() ? args.file_flag : args.file;
  if (file.empty()) return UsageError("give the export document: FILE, -f FILE, or - for stdin");
  const std::string source = file == "-" ? "stdin" : file;
  TANDEM_ASSIGN_OR_RETURN(nlohmann::json json, ReadJsonInput(file, ctx.in()));
  auto parsed = config::ParseExport(json);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", parsed.status().message(), "; nothing was imported"));
  }
  std::vector<v1::ConfigObject> objects = *std::move(parsed);
  json = nlohmann::json();  // The parsed document may be large; free it.
  TANDEM_ASSIGN_OR_RETURN(config::ConfigClient * client, ctx.Client());
  auto info = client->GetServerInfo();
  if (!info.ok()) return ctx.Describe(info.status(), "read server info");
  if (info->object_count() > 0 && !args.force) {
    return absl::FailedPreconditionError(absl::StrCat(
        "server ", ctx.options().server, " already holds ", info->object_count(),
        " objects; nothing was imported; import into an empty server, or pass --force to add "
        "to them (objects whose DBID is taken will fail the import)"));
  }
  const size_t total = objects.size();
  const absl::Duration timeout =
      std::max(absl::Seconds(ctx.options().timeout_s), absl::Seconds(300));
  int64_t first_revision = 0, last_revision = 0;
  for (size_t begin = 0; begin < total; begin += kImportChunk) {
    size_t end = std::min(total, begin + kImportChunk);
    v1::TransactionRequest request;
    std::vector<std::string> names;  // what each operation creates, for errors
    names.reserve(end - begin);
    for (size_t i = begin; i < end; ++i) {
      v1::ConfigObject& object = objects[i];
      names.push_back(
          absl::StrCat(TypeName(object.type()), " '", object.name(), "'",
                       object.dbid() != 0 ? absl::StrCat(" (dbid ", object.dbid(), ")") : ""));
      object.set_revision(0);
      *request.add_operations()->mutable_create()->mutable_object() = std::move(object);
    }
    auto response = client->Transaction(request, timeout);
    if (!response.ok()) {
      // Each chunk is one transaction: all of it or none.
      const std::string done =
          begin == 0 ? "nothing was imported"
                     : absl::StrCat("objects 1..", begin, " were imported, none after");
      auto [index, reason] = FailedOperation(response.status().message());
      if (index >= 0 && static_cast<size_t>(index) < names.size()) {
        return absl::Status(
            response.status().code(),
            absl::StrCat("import ", source, ": ", names[index], " (object ", begin + index + 1,
                         " of ", total, "): ", reason, "; ", done));
      }
      return ctx.Describe(response.status(), absl::StrCat("import objects ", begin + 1, "..", end,
                                                          " of ", total, " (", done, ")"));
    }
    if (first_revision == 0) first_revision = response->first_revision();
    last_revision = response->last_revision();
    if (total >= kProgressThreshold) {
      ctx.err() << "tandemctl: imported " << end << "/" << total << " objects\n";
    }
  }
  if (ctx.options().output == OutputFormat::kJson) {
    nlohmann::json out = {
        {"imported", total}, {"first_revision", first_revision}, {"last_revision", last_revision}};
    ctx.out() << config::DumpJson(out, 2) << "\n";
  } else {
    ctx.out() << "imported " << total << " objects";
    if (total > 0) ctx.out() << " (revisions " << first_revision << ".." << last_revision << ")";
    ctx.out() << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

void AddTransferCommands(CLI::App& app, CommandContext& ctx, Action* action) {
  auto export_args = std::make_shared<ExportArgs>();
  CLI::App* exp = app.add_subcommand(
      "export", "Write every object (or those of one type) as an export document to stdout");
  exp->add_option("--type", export_args->type, "export only this type");
  exp->footer("Example:\n  tandemctl export > config.json\n  tandemctl export --type host");
  exp->callback([&ctx, action, export_args] {
    *action = [&ctx, export_args] { return RunExport(ctx, *export_args); };
  });

  auto import_args = std::make_shared<ImportArgs>();
  CLI::App* imp =
      app.add_subcommand("import", "Create the objects of an export document, keeping their DBIDs");
  imp->add_option("FILE", import_args->file, "export document; - reads stdin");
  imp->add_option("-f,--file", import_args->file_flag, "the same as FILE");
  imp->add_flag("--force", import_args->force, "import even if the server already has objects");
  imp->footer(
      "All objects or none (per 20000 objects): an error names the object and says what was\n"
      "imported. Examples:\n  tandemctl --server new-host:9000 import config.json\n"
      "  tandemctl export | tandemctl --server new-host:9000 import -");
  imp->callback([&ctx, action, import_args] {
    *action = [&ctx, import_args] { return RunImport(ctx, *import_args); };
  });
}

}  // namespace tandem::ctl
