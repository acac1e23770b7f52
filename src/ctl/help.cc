#include "ctl/help.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ctl/suggest.h"

namespace tandem::ctl {
namespace {

bool TakesValue(const CLI::Option* opt) { return opt->get_type_size_max() > 0; }

//! Every named subcommand of `app`.
std::vector<const CLI::App*> Subcommands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* a) { return !a->get_name().empty(); });
}

std::vector<std::string> SubcommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* a : Subcommands(app)) names.push_back(a->get_name());
  return names;
}

//! The option named `name` in the innermost command of `path` that has it
//! (options of enclosing commands are valid further in: fallthrough).
const CLI::Option* FindOption(const std::vector<const CLI::App*>& path, const std::string& name) {
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    if (const CLI::Option* opt = (*it)->get_option_no_throw(name)) return opt;
  }
  return nullptr;
}

std::string PathName(const std::vector<const CLI::App*>& path) {
  std::vector<std::string> names;
  for (const CLI::App* a : path) names.push_back(a->get_name());
  return absl::StrJoin(names, " ");
}

//! The option's names for completion: "--server", "-o", "--output".
std::vector<std::string> OptionNames(const CLI::Option* opt) {
  std::vector<std::string> out;
  for (const std::string& s : opt->get_snames()) out.push_back("-" + s);
  for (const std::string& l : opt->get_lnames()) out.push_back("--" + l);
  return out;
}

std::string ShellWords(const std::vector<std::string>& words) { return absl::StrJoin(words, " "); }

}  // namespace

void AddGlobalOptionsToHelp(CLI::App& app) {
  std::vector<std::pair<std::string, std::string>> rows;
  size_t width = 0;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_lnames().empty() || opt->get_lnames()[0] == "help") continue;
    std::string name = absl::StrJoin(OptionNames(opt), ", ");
    if (TakesValue(opt)) absl::StrAppend(&name, " ", opt->get_type_name());
    std::string text = opt->get_description();
    if (!opt->get_envname().empty()) absl::StrAppend(&text, " [env ", opt->get_envname(), "]");
    width = std::max(width, name.size());
    rows.emplace_back(std::move(name), std::move(text));
  }
  std::string block = "Global options (valid before or after the command):";
  for (const auto& [name, text] : rows) {
    absl::StrAppend(&block, "\n  ", name, std::string(width + 2 - name.size(), ' '), text);
  }
  std::function<void(CLI::App&)> add = [&](CLI::App& cmd) {
    for (CLI::App* sub : cmd.get_subcommands([](CLI::App* a) { return !a->get_name().empty(); })) {
      const std::string own = sub->get_footer();
      sub->footer(own.empty() ? block : absl::StrCat(own, "\n\n", block));
      add(*sub);
    }
  };
  add(app);
}

std::vector<const CLI::App*> CommandPath(const CLI::App& app, int argc, const char* const* argv,
                                         std::string* unknown) {
  std::vector<const CLI::App*> path = {&app};
  unknown->clear();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (absl::StartsWith(arg, "-") && arg.size() > 1) {
      if (absl::StrContains(arg, '=')) continue;
      const CLI::Option* opt = FindOption(path, arg);
      if (opt != nullptr && TakesValue(opt)) ++i;  // its value
      continue;
    }
    const CLI::App* current = path.back();
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : Subcommands(*current)) {
      if (sub->check_name(arg)) next = sub;
    }
    if (next != nullptr) {
      path.push_back(next);
      continue;
    }
    if (current->get_require_subcommand_min() > 0) *unknown = arg;
    break;
  }
  return path;
}

std::string ParseErrorLine(const CLI::App& app, const CLI::ParseError& error, int argc,
                           const char* const* argv) {
  std::string unknown;
  const std::vector<const CLI::App*> path = CommandPath(app, argc, argv, &unknown);
  const std::string where = PathName(path);
  if (!unknown.empty()) {
    const std::string hint = ClosestMatch(unknown, SubcommandNames(*path.back()));
    return absl::StrCat("tandemctl: unknown command '", unknown, "'",
                        path.size() > 1 ? absl::StrCat(" for '", where, "'") : "",
                        hint.empty() ? "" : absl::StrCat("; did you mean '", hint, "'?"), "; run '",
                        where, " --help' for the commands");
  }
  std::string message = error.what();
  // An unknown flag: suggest the closest one the command has.
  const std::string prefix = "The following arguments were not expected: ";
  if (absl::StartsWith(message, prefix)) {
    std::string first;
    for (absl::string_view word : absl::StrSplit(message.substr(prefix.size()), ' ')) {
      if (absl::StartsWith(word, "-")) {
        first = std::string(word);
        break;
      }
    }
    if (!first.empty()) {
      std::vector<std::string> names;
      for (const CLI::App* a : path) {
        for (const CLI::Option* opt : a->get_options()) {
          for (const std::string& n : OptionNames(opt)) names.push_back(n);
        }
      }
      const std::string hint = ClosestMatch(first, names);
      return absl::StrCat("tandemctl: unknown option '", first, "' for '", where, "'",
                          hint.empty() ? "" : absl::StrCat("; did you mean '", hint, "'?"),
                          "; run '", where, " --help'");
    }
  }
  if (message == "A subcommand is required") {
    message = absl::StrCat(
        "'", where, "' needs a command: ", absl::StrJoin(SubcommandNames(*path.back()), ", "));
  }
  return absl::StrCat("tandemctl: ", message, "; run '", where, " --help'");
}

CLI::Validator PositiveSeconds(double max) {
  return CLI::Validator(
      [max](std::string& text) -> std::string {
        double seconds = 0;
        if (!absl::SimpleAtod(text, &seconds) || !std::isfinite(seconds)) {
          return absl::StrCat("'", text, "' is not a number of seconds");
        }
        if (seconds <= 0) return "must be > 0";
        if (seconds > max) return absl::StrCat("must be at most ", max, " seconds");
        return "";
      },
      "SECONDS");
}

std::string CompletionScript(const CLI::App& app, const std::string& shell) {
  // One case per command path: the words that may follow it (its commands
  // and the options valid there), and the options that take a value.
  std::string cases;
  std::set<std::string> value_options;
  std::function<void(const CLI::App&, const std::string&, std::vector<std::string>)> walk =
      [&](const CLI::App& cmd, const std::string& key, std::vector<std::string> inherited) {
        std::vector<std::string> words = SubcommandNames(cmd);
        for (const CLI::Option* opt : cmd.get_options()) {
          if (opt->get_positional()) continue;
          for (const std::string& n : OptionNames(opt)) {
            inherited.push_back(n);
            if (TakesValue(opt)) value_options.insert(n);
          }
        }
        words.insert(words.end(), inherited.begin(), inherited.end());
        absl::StrAppend(&cases, "    '", key, "') words='", ShellWords(words), "' ;;\n");
        for (const CLI::App* sub : Subcommands(cmd)) {
          walk(*sub, key.empty() ? sub->get_name() : absl::StrCat(key, " ", sub->get_name()),
               inherited);
        }
      };
  walk(app, "", {});
  std::vector<std::string> values(value_options.begin(), value_options.end());
  std::string script = absl::StrCat(
      shell == "zsh" ? "#compdef tandemctl\n# zsh: uses bash completion (bashcompinit).\n"
                       "(( $+functions[compdef] )) || { autoload -U +X compinit && compinit; }\n"
                       "autoload -U +X bashcompinit && bashcompinit\n"
                     : "",
      "# tandemctl completion for ", shell,
      ": source it, or put it where your shell loads\n"
      "# completions (bash: /etc/bash_completion.d/tandemctl).\n"
      "_tandemctl() {\n"
      "  local cur prev path w i words\n"
      "  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
      "  prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      "  case \" ",
      ShellWords(values),
      " \" in\n"
      "    *\" $prev \"*)\n"
      "      case \"$prev\" in\n"
      "        -o|--output) _tandemctl_reply \"$cur\" table json ;;\n"
      "        -f|--file|--site|--key-file|--journal|--sqlite|--hba-file)\n"
      "          COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
      "        *) COMPREPLY=() ;;\n"
      "      esac\n"
      "      return 0 ;;\n"
      "  esac\n"
      "  path=''\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    w=\"${COMP_WORDS[i]}\"\n"
      "    case \" ",
      ShellWords(values),
      " \" in *\" $w \"*) ((i++)); continue ;; esac\n"
      "    case \"$w\" in -*) continue ;; esac\n"
      "    # bash splits host:port at ':' (COMP_WORDBREAKS): skip ':' and what follows\n"
      "    if [[ \"$w\" == : ]]; then ((i++)); continue; fi\n"
      "    if _tandemctl_words \"${path:+$path }$w\" >/dev/null; then path=\"${path:+$path }$w\"; "
      "else break; fi\n"
      "  done\n"
      "  words=$(_tandemctl_words \"$path\")\n"
      "  case \"$path\" in\n"
      "    get|list|create|update|delete|set-option|grant|revoke|watch|export)\n"
      "      [[ \"$cur\" != -* ]] && words=\"$words app host tenant folder solution person "
      "access-group alarm-condition\" ;;\n"
      "    completion) words=\"$words bash zsh\" ;;\n"
      "  esac\n"
      "  _tandemctl_reply \"$cur\" $words\n"
      "}\n"
      "# COMPREPLY: the words ($2...) that start with $1 (zsh's compgen would not filter)\n"
      "_tandemctl_reply() {\n"
      "  local cur=\"$1\" w\n"
      "  shift\n"
      "  COMPREPLY=()\n"
      "  for w in \"$@\"; do [[ \"$w\" == \"$cur\"* ]] && COMPREPLY+=(\"$w\"); done\n"
      "  return 0\n"
      "}\n"
      "_tandemctl_words() {\n"
      "  local words\n"
      "  case \"$1\" in\n",
      cases,
      "    *) return 1 ;;\n"
      "  esac\n"
      "  echo \"$words\"\n"
      "}\n"
      "complete -F _tandemctl tandemctl\n");
  return script;
}

}  // namespace tandem::ctl
